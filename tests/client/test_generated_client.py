"""Issue 14: the integrator's path. `openapi-python-client` generates a client from the
app's OpenAPI document without a warning, and a partner's script written against it
(`partner_script.py`) passes `mypy --strict` and runs against a live server on SQLite and
on PostgreSQL: anonymous reads with a plain `Client`, ids from one answer passed to the
next call, a cancel without a body, a conflict and a rules violation as typed problems."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.core.migrate import upgrade
from app.main import create_app
from tests.bookings.helpers import world
from tests.conftest import ADMIN_KEY, PostgresDatabases, settings_for
from tests.ops.conftest import VENV_BIN, Served, clean_env, fresh_pg_url, serving

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("partner_script.py")
PACKAGE = "jointuse_client"
# No post hooks: the generator would run ruff over its output, which says nothing of the
# document (and warns when ruff is not on PATH).
GENERATOR_CONFIG = "post_hooks: []\n"
MYPY_CONFIG = "[mypy]\nstrict = True\npython_version = 3.11\nwarn_unreachable = True\n"


@dataclass
class Generated:
    root: Path  # holds the package `jointuse_client`
    output: str  # what the generator printed


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    """The client generated from the app's document, as an integrator does it."""
    root = tmp_path_factory.mktemp("generated")
    document = root / "openapi.json"
    app = create_app(settings_for(f"sqlite:///{root / 'never-opened.db'}"))
    document.write_text(json.dumps(app.openapi()))
    config = root / "generator.yaml"
    config.write_text(GENERATOR_CONFIG)
    run = subprocess.run(
        [
            str(VENV_BIN / "openapi-python-client"), "generate",
            "--path", str(document), "--meta", "none",
            "--output-path", str(root / PACKAGE), "--config", str(config),
        ],
        capture_output=True, text=True, timeout=120, cwd=root,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    return Generated(root, output)


def test_the_client_generates_without_a_warning(generated: Generated) -> None:
    assert "warning" not in generated.output.lower(), generated.output
    assert "error" not in generated.output.lower(), generated.output
    assert (generated.root / PACKAGE / "api" / "bookings" / "create_booking.py").exists()


def test_the_partner_script_type_checks_under_mypy_strict(generated: Generated) -> None:
    config = generated.root / "mypy.ini"
    config.write_text(MYPY_CONFIG)
    run = subprocess.run(
        [
            sys.executable, "-m", "mypy", "--config-file", str(config),
            "--cache-dir", str(generated.root / ".mypy_cache"), str(SCRIPT),
        ],
        capture_output=True, text=True, timeout=300,
        cwd=generated.root, env=clean_env(MYPYPATH=str(generated.root)),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


@pytest.fixture
def server(backend: str, tmp_path: Path, pg_databases: PostgresDatabases) -> Iterator[Served]:
    """`jointuse serve` on a fresh, migrated database of the backend, with an admin key."""
    url = (
        f"sqlite:///{tmp_path / 'partner.db'}"
        if backend == "sqlite"
        else fresh_pg_url(pg_databases, "partner")
    )
    upgrade(url)
    with serving(url, tmp_path, JOINTUSE_ADMIN_KEY=ADMIN_KEY) as served:
        yield served


async def test_the_partner_script_runs_against_a_live_server(
    server: Served, generated: Generated, tmp_path: Path
) -> None:
    # Seeded as an admin would, through the API: a district's school site with a gym, an
    # agreement with the city that names a community group, and that group's key.
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as admin:
        seeded = await world(admin)
    partner_key = seeded.group_key["Authorization"].removeprefix("Bearer ")
    run = subprocess.run(
        [sys.executable, str(SCRIPT), server.base_url, partner_key, seeded.site["name"]],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env=clean_env(PYTHONPATH=str(generated.root)),
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "cancelled" in run.stdout
