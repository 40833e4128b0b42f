"""Running Alembic from the application (`deskops db upgrade`) and checking the schema is current."""

from __future__ import annotations

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from alembic import command
from bot.db import Database
from bot.resources import CHECKOUT, migrations_folder

# The source checkout's root (tests and the console's limits file look beside it).
PROJECT_ROOT = CHECKOUT


def alembic_config(database_url: str) -> Config:
    """Alembic's configuration, built here rather than read from alembic.ini (which an installed
    deskops does not have): the migrations shipped in the package and DATABASE_URL."""
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    config.set_main_option("path_separator", "os")
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def head_revision(database_url: str) -> str | None:
    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def schema_is_current(db: Database) -> bool:
    return current_revision(db) == head_revision(db.url)
