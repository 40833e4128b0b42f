"""The MSP's brand as end users see it in e-mails and on pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.config import Settings


@dataclass(frozen=True)
class Brand:
    name: str = "Helpdesk"
    # An http(s) image; e-mails and pages read fine without it (its alt text is the name).
    logo_url: str | None = None
    support_email: str = "helpdesk@localhost"

    @classmethod
    def from_settings(cls, settings: Settings) -> Brand:
        return cls(
            name=settings.brand_name,
            logo_url=settings.brand_logo_url,
            support_email=settings.support_address,
        )

    def context(self) -> dict[str, str | None]:
        """What every e-mail and page template sees."""
        return {
            "brand_name": self.name,
            "brand_logo_url": self.logo_url,
            "support_email": self.support_email,
        }
