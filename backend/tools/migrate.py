"""Run the Alembic migrations from code (used by the CLI, `make run` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def alembic_config(url: str) -> Config:
    """An Alembic config for the URL, independent of the working directory."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Bring the database at URL to the given revision (every branch head by default)."""
    command.upgrade(alembic_config(url), revision)
