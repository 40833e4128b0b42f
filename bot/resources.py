"""Files deskops reads at run time that live outside the Python packages in the repository: the
Alembic migrations (`alembic/`) and the Slack app manifest (`app.yaml`).

The wheel carries them inside the `bot` package, as `bot/_shipped/` (setup.py copies them there at
build time), so an installed deskops never looks next to `site-packages`, where `alembic/` is the
Alembic library itself. A source checkout (the editable install of `make install`) reads them
where they are kept, at the top of the repository.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED = PACKAGE_DIR / "_shipped"
CHECKOUT = PACKAGE_DIR.parent


def resource(name: str) -> Path:
    """`alembic` or `app.yaml`, from the installed package, else from the source checkout."""
    shipped = SHIPPED / name
    if shipped.exists():
        return shipped
    return CHECKOUT / name


def migrations_folder() -> Path:
    return resource("alembic")


def manifest_file() -> Path:
    return resource("app.yaml")
