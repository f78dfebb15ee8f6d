"""A real `jointuse serve` (uvicorn, two worker processes) talked to over a socket,
on a migrated SQLite file and on a migrated PostgreSQL database."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from app.core.migrate import upgrade
from tests.conftest import ADMIN, ADMIN_KEY, BACKENDS, PostgresDatabases, bearer
from tests.ops.conftest import Served, fresh_pg_url, poll, serving

pytestmark = pytest.mark.slow

WORKERS = 2
# Each request on a fresh connection, so the kernel may hand it to either worker.
REQUESTS_ACROSS_WORKERS = 16


def fresh_connection(server: Served) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url,
        timeout=10.0,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_databases: PostgresDatabases,
) -> Iterator[Served]:
    """One server per database for the module (starting one takes seconds);
    each test makes its own parties and keys."""
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{workdir / 'served.db'}"
    else:
        url = fresh_pg_url(pg_databases, "srv")
    upgrade(url)
    with serving(
        url,
        workdir,
        workers=WORKERS,
        JOINTUSE_ADMIN_KEY=ADMIN_KEY,
        JOINTUSE_ACCESS_LOG="true",
        JOINTUSE_DB_POOL_SIZE="2",
    ) as served:
        yield served


def test_healthz_answers_ok_over_a_socket(server: Served) -> None:
    with fresh_connection(server) as http:
        r = http.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_answers_ok_when_the_database_answers(server: Served) -> None:
    with fresh_connection(server) as http:
        r = http.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_a_revoked_key_is_refused_at_once_by_every_worker(server: Served) -> None:
    with fresh_connection(server) as http:
        party = http.post(
            "/v1/parties",
            json={"name": "Oak Park Neighbors", "kind": "community_group"},
            headers=ADMIN,
        )
        assert party.status_code == 201, party.text
        made = http.post(
            "/v1/api-keys",
            json={"party_id": party.json()["id"], "role": "partner", "name": "front desk"},
            headers=ADMIN,
        )
        assert made.status_code == 201, made.text
        key, key_id = bearer(made.json()["secret"]), made.json()["id"]
        party_path = f"/v1/parties/{party.json()['id']}"

        # Every worker has served the key (and would have cached it, if it cached keys).
        before = [
            http.get(party_path, headers=key).status_code for _ in range(REQUESTS_ACROSS_WORKERS)
        ]
        assert before == [200] * REQUESTS_ACROSS_WORKERS

        revoked = http.delete(f"/v1/api-keys/{key_id}", headers=ADMIN)
        assert revoked.status_code == 204, revoked.text

        after = [http.get(party_path, headers=key) for _ in range(REQUESTS_ACROSS_WORKERS)]
    assert [r.status_code for r in after] == [401] * REQUESTS_ACROSS_WORKERS
    assert {r.json()["code"] for r in after} == {"unauthenticated"}


def test_the_request_id_sent_is_echoed_in_the_response(server: Served) -> None:
    with fresh_connection(server) as http:
        r = http.get("/healthz", headers={"X-Request-ID": "desk-42.retry-1"})
    assert r.headers["x-request-id"] == "desk-42.retry-1"


def test_a_request_without_an_id_gets_one(server: Served) -> None:
    with fresh_connection(server) as http:
        first = http.get("/healthz").headers.get("x-request-id")
        second = http.get("/healthz").headers.get("x-request-id")
    assert first and second and first != second


def test_logs_are_json_lines_carrying_the_request_id(server: Served) -> None:
    with fresh_connection(server) as http:
        assert http.get("/readyz", headers={"X-Request-ID": "log-probe-7"}).status_code == 200

    def logged_lines() -> list[str] | None:
        # The access line is written after the response is sent: wait for it.
        text = server.process.output()
        return text.splitlines() if '"log-probe-7"' in text else None

    lines = [
        line for line in poll(logged_lines, timeout=5, what="the access log line") if line.strip()
    ]
    entries = []
    for line in lines:
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"log line is not JSON: {line!r}")
    assert all({"ts", "level", "logger", "msg"} <= entry.keys() for entry in entries)
    assert any(entry.get("request_id") == "log-probe-7" for entry in entries)


def test_each_request_is_logged_once_by_the_jointuse_access_log(server: Served) -> None:
    with fresh_connection(server) as http:
        assert http.get("/healthz", headers={"X-Request-ID": "log-once-3"}).status_code == 200

    def request_lines() -> list[dict[str, object]] | None:
        entries = [
            json.loads(line)
            for line in server.process.output().splitlines()
            if "log-once-3" in line
        ]
        return entries if any(e["logger"] == "jointuse.access" for e in entries) else None

    entries = poll(request_lines, timeout=5, what="the access log line")
    assert [e["logger"] for e in entries] == ["jointuse.access"]
