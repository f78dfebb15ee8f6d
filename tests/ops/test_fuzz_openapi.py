"""No input of any shape produces a 500: schemathesis generates requests from the
OpenAPI document (examples, boundary values, fuzzing) against a real server holding
the demo partnership, with an admin key, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from app.core.migrate import upgrade
from tests.conftest import ADMIN_KEY, BACKENDS, PostgresDatabases
from tests.ops.conftest import VENV_BIN, clean_env, fresh_pg_url, serving

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("backend", BACKENDS)
def test_generated_requests_never_get_a_server_error(
    backend: str, tmp_path: Path, pg_databases: PostgresDatabases
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'fuzz.db'}"
        if backend == "sqlite"
        else fresh_pg_url(pg_databases, "fuzz")
    )
    upgrade(url)
    loaded = subprocess.run(
        [str(VENV_BIN / "jointuse"), "demo-data"], env=clean_env(DATABASE_URL=url),
        capture_output=True, text=True, timeout=300,
    )
    assert loaded.returncode == 0, loaded.stderr
    with serving(url, tmp_path, JOINTUSE_ADMIN_KEY=ADMIN_KEY) as server:
        fuzz = subprocess.run(
            [
                str(VENV_BIN / "schemathesis"), "run", f"{server.base_url}/openapi.json",
                "--header", f"Authorization: Bearer {ADMIN_KEY}",
                "--checks", "not_a_server_error",
                "--phases", "examples,coverage,fuzzing",
                "--max-examples", "25",
                "--seed", "20261123",
            ],
            capture_output=True, text=True, timeout=600, cwd=tmp_path,
        )
    assert fuzz.returncode == 0, fuzz.stdout[-6000:]
    assert "passed" in fuzz.stdout
