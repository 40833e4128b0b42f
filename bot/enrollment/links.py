"""What an invitation sends people to and shows them: the landing page and app links, the
values its e-mail templates see, and the e-mail's QR code of its link."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from bot.config import Settings
from bot.enrollment.models import Platform, PlatformChoice
from bot.integrations.mail.port import InlineImage, OutgoingEmail
from bot.qr import qr_png

# Pixels a module: about 360 pixels square for an invitation link, which the e-mail shows at 200
# (sharp on high-density screens too); at 8 a module is a byte of the PNG, the quickest to draw.
EMAIL_QR_SCALE = 8
QR_CONTENT_ID = "invitation-link-qr@deskops"
STORE_NAMES = {Platform.IOS: "App Store", Platform.ANDROID: "Google Play"}
# What differs between the invitation e-mails of a batch: filled into one rendering (a stencil).
PERSONAL_VALUES = ("display_name", "username", "deep_link", "landing_url", "open_url")


@dataclass(frozen=True)
class EnrollmentLinks:
    """Where an invitation's e-mail and landing page send people."""

    public_url: str
    server: str | None
    ios_app_url: str
    android_app_url: str
    deep_link_template: str

    def store_url(self, platform: Platform) -> str:
        return self.ios_app_url if platform is Platform.IOS else self.android_app_url

    def store_links(self, platforms: PlatformChoice) -> list[dict[str, str]]:
        """The store page of each platform the invitation is for (`Both`: both, in one e-mail)."""
        return [
            {"platform": p.label, "store": STORE_NAMES[p], "url": self.store_url(p)}
            for p in platforms.platforms
        ]

    def deep_link(self, username: str | None) -> str | None:
        """The app's link with the server (and the user name, when known) filled in."""
        if not self.server:
            return None
        link = self.deep_link_template.format(
            server=quote(self.server, safe=""), username=quote(username or "", safe="")
        )
        if username:
            return link
        # The basic URL knows no user: leave out the empty parameter rather than send "username=".
        scheme, netloc, path, query, fragment = urlsplit(link)
        kept = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if v]
        return urlunsplit((scheme, netloc, path, urlencode(kept, quote_via=quote), fragment))

    @property
    def basic_url(self) -> str:
        """The basic enrollment URL: tapped on a device it starts enrollment."""
        return f"{self.public_url}/enroll"

    def landing_url(self, token: str) -> str:
        return f"{self.public_url}/enroll/{token}"

    def open_url(self, token: str) -> str:
        """Records *opened*, then opens Acronis Access (the deep link)."""
        return f"{self.landing_url(token)}/open"

    def email_context(
        self, token: str, *, display_name: str, platform: PlatformChoice, username: str, expires_at: datetime
    ) -> dict[str, object]:
        """What the invitation e-mail templates show for one invitation link (the HTML part's QR
        code of the landing link is the inline image `cid:QR_CONTENT_ID`)."""
        return {
            **self.batch_context(platform, expires_at),
            **self.personal_context(token, display_name=display_name, username=username),
        }

    def batch_context(self, platform: PlatformChoice, expires_at: datetime) -> dict[str, object]:
        """The part of `email_context` every invitation of a batch shares."""
        return {
            "platform": platform.device_label,
            "store_links": self.store_links(platform),
            "qr_cid": QR_CONTENT_ID,
            "server": self.server,
            "expires_at": expires_at,
        }

    def personal_context(self, token: str, *, display_name: str, username: str) -> dict[str, str | None]:
        """The part of `email_context` that is the invitee's own (PERSONAL_VALUES)."""
        return {
            "display_name": display_name,
            "username": username,
            "deep_link": self.deep_link(username),
            "landing_url": self.landing_url(token),
            "open_url": self.open_url(token),
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> EnrollmentLinks:
        return cls(
            public_url=settings.public_url,
            server=settings.enrollment_server,
            ios_app_url=settings.ios_app_url,
            android_app_url=settings.android_app_url,
            deep_link_template=settings.enrollment_deep_link,
        )


def invitation_with_qr(email: OutgoingEmail, link: str) -> OutgoingEmail:
    """The invitation e-mail with the QR code of its link as the HTML part's inline image."""
    image = InlineImage(QR_CONTENT_ID, qr_png(link, scale=EMAIL_QR_SCALE), filename="invitation-qr.png")
    return replace(email, inline_images=(image,))
