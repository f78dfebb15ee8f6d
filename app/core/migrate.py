"""Alembic, driven from code: the only way jointuse makes or changes its schema."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config


def alembic_config(database_url: str | None = None, connection: Any = None) -> Config:
    """Works from a checkout and from an installed package (the Docker image):
    the scripts are found next to the installed `migrations` package."""
    script_location = Path(str(resources.files("migrations")))
    ini = script_location.parent / "alembic.ini"
    cfg = Config(str(ini)) if ini.exists() else Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("path_separator", "os")
    if database_url:
        cfg.attributes["database_url"] = database_url
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)
