"""The `jointuse` command: migrate, create-api-key, and clear errors for bad settings."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from app.cli import cli
from app.core.config import get_settings
from app.main import create_app
from tests.conftest import ADMIN, bearer, settings_for
from tests.ops.conftest import free_port

# None unsets a variable for the command, so a developer's exports do not leak in.
UNSET = {"JOINTUSE_ADMIN_KEY": None, "JOINTUSE_LOG_LEVEL": None}


@pytest.fixture(autouse=True)
def fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Settings are cached per process: every command reads them afresh, and from
    a directory with no `.env`."""
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def jointuse(*args: str, database_url: str) -> Result:
    return CliRunner().invoke(cli, list(args), env={**UNSET, "DATABASE_URL": database_url})


@pytest.fixture
def migrated_sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = jointuse("migrate", database_url=url)
    assert result.exit_code == 0, result.output
    return url


def test_migrate_makes_the_schema_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"
    result = jointuse("migrate", database_url=f"sqlite:///{path}")
    assert result.exit_code == 0, result.output
    assert "head" in result.stdout
    with sqlite3.connect(path) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert {"alembic_version", "parties", "api_keys", "sites", "spaces"} <= tables


def test_migrate_twice_is_harmless(migrated_sqlite_url: str) -> None:
    result = jointuse("migrate", database_url=migrated_sqlite_url)
    assert result.exit_code == 0, result.output


async def test_create_api_key_prints_a_key_that_authenticates(migrated_sqlite_url: str) -> None:
    app = create_app(settings_for(migrated_sqlite_url))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as client,
    ):
        party = await client.post(
            "/v1/parties",
            json={"name": "Sacramento City Unified", "kind": "school_district"},
            headers=ADMIN,
        )
        assert party.status_code == 201, party.text
        party_id = party.json()["id"]

        # The command runs its own event loop: give it a thread.
        result = await asyncio.to_thread(
            jointuse,
            "create-api-key",
            "--party",
            str(party_id),
            "--role",
            "manager",
            database_url=migrated_sqlite_url,
        )
        assert result.exit_code == 0, result.output
        secret = result.stdout.strip()
        assert secret.startswith("ju_")

        r = await client.get(f"/v1/parties/{party_id}", headers=bearer(secret))
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "Sacramento City Unified"


def test_create_api_key_for_an_unknown_party_fails_with_a_message(migrated_sqlite_url: str) -> None:
    result = jointuse(
        "create-api-key", "--party", "999", "--role", "manager", database_url=migrated_sqlite_url
    )
    assert result.exit_code != 0
    assert "999" in result.stderr
    assert "Traceback" not in result.output


def test_create_api_key_refuses_an_unknown_role(migrated_sqlite_url: str) -> None:
    result = jointuse(
        "create-api-key", "--party", "1", "--role", "janitor", database_url=migrated_sqlite_url
    )
    assert result.exit_code == 2
    assert "janitor" in result.output


@pytest.mark.parametrize("command", ["migrate", "serve", "create-api-key"])
@pytest.mark.parametrize("bad_url", ["mysql://x", "not a url", "sqlite://"])
def test_a_bad_database_url_is_a_clear_error_not_a_traceback(command: str, bad_url: str) -> None:
    result = jointuse(command, database_url=bad_url)
    assert result.exit_code not in (0, None)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["migrate", "create-api-key"])
def test_an_unreachable_database_is_a_clear_error_not_a_traceback(command: str) -> None:
    args = ["create-api-key", "--party", "1"] if command == "create-api-key" else [command]
    result = jointuse(*args, database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/jointuse")
    assert result.exit_code not in (0, None)
    assert isinstance(result.exception, SystemExit), result.exception
    assert "cannot reach the database" in result.stderr
