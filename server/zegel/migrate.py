"""Apply Alembic migrations from code (used by ``zegel init`` and the tests)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    if not (MIGRATIONS / "env.py").exists():
        raise RuntimeError(f"migrations not found at {MIGRATIONS}; run Zegel from its source checkout")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def current_revision(database_url: str) -> str | None:
    """The applied migration, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    from zegel.db import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
