"""`jointuse worker` as it runs: real processes against a real server's database and a
local receiver. Killed with SIGKILL in the middle of a batch and started again, it
delivers every event, none lost, a repeat only with the same `webhook-id`; two workers
at once share the deliveries without sending one twice."""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.bookings.helpers import local, next_weekday
from tests.conftest import ADMIN, ADMIN_KEY, BACKENDS, PostgresDatabases
from tests.ops.conftest import (
    VENV_BIN,
    ServerProcess,
    clean_env,
    migrated_url,
    poll,
    running,
    serving,
)
from tests.ops.test_no_double_booking import _setup

pytestmark = pytest.mark.slow

BOOKINGS = 120


class Receiver:
    """An HTTP receiver on 127.0.0.1 that keeps what it was sent, a little slowly (so
    that a kill finds deliveries on the wire)."""

    def __init__(self, delay: float = 0.005) -> None:
        self.seen: dict[str, list[bytes]] = defaultdict(list)
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                length = int(self.headers["content-length"])
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was delivered
                    return
                time.sleep(delay)
                with receiver.lock:
                    receiver.seen[self.headers["webhook-id"]].append(body)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            # The workers' connections at once (the default backlog of 5 refuses some).
            request_queue_size = 128

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def distinct(self) -> int:
        with self.lock:
            return len(self.seen)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


@pytest.fixture(params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path: Path, pg_databases: PostgresDatabases,
    receiver: Receiver,
) -> Iterator[dict[str, Any]]:  # fmt: skip
    """A served database with a webhook to `receiver` and BOOKINGS bookings made after it:
    the database's URL and the `webhook-id` of each event due."""
    url = migrated_url(request.param, tmp_path, pg_databases, "webhooks")
    with serving(
        url, tmp_path, JOINTUSE_ADMIN_KEY=ADMIN_KEY, JOINTUSE_WEBHOOK_ALLOW_PRIVATE_URLS="1"
    ) as served, httpx.Client(base_url=served.base_url, timeout=30) as http:
        async def setup() -> dict[str, Any]:
            async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as a:
                return await _setup(a)

        made = asyncio.run(setup())
        hook = http.post("/v1/webhooks", json={"url": receiver.url}, headers=ADMIN)
        assert hook.status_code == 201, hook.text
        for n in range(BOOKINGS):
            day = next_weekday(1, weeks_ahead=2 + n // 20)
            start = local(day, "07:00") + timedelta(minutes=30 * (n % 20))
            body = {
                "space_id": made["gym"], "start": start.isoformat(),
                "end": (start + timedelta(minutes=30)).isoformat(), "purpose": "Practice",
                "attendance": 20,
            }  # fmt: skip
            r = http.post("/v1/bookings", json=body, headers=made["partner"])
            assert r.status_code == 201, r.text
        events = http.get("/v1/events", params={"limit": 200}, headers=ADMIN).json()["items"]
        assert len(events) == BOOKINGS
        hook_id = hook.json()["id"]
        yield {
            "url": url,
            "http": http,
            "hook_id": hook_id,
            "expected": {f"msg_{hook_id}_{e['id']}": e for e in events},
            "workdir": tmp_path,
        }


def _worker(world: dict[str, Any], name: str) -> Any:
    env = clean_env(
        DATABASE_URL=world["url"],
        JOINTUSE_WEBHOOK_ALLOW_PRIVATE_URLS="1",
        # A 1 s timeout: a lease of 7 s, so that a killed worker's batch comes due soon.
        JOINTUSE_WEBHOOK_TIMEOUT_SECONDS="1",
    )
    argv = [str(VENV_BIN / "jointuse"), "worker", "--batch", "20", "--concurrency", "4"]
    return running(argv, env=env, cwd=world["workdir"], log=world["workdir"] / f"{name}.log")


def _assert_every_event_delivered_alike(world: dict[str, Any], receiver: Receiver) -> None:
    with receiver.lock:
        seen = dict(receiver.seen)
    assert set(seen) == set(world["expected"])
    for message_id, bodies in seen.items():
        # A repeat is the same message: same id, same body, the feed's item.
        assert {json.loads(b)["id"] for b in bodies} == {world["expected"][message_id]["id"]}
        assert all(json.loads(b) == world["expected"][message_id] for b in bodies)


def _delivered(world: dict[str, Any]) -> list[dict[str, Any]]:
    http: httpx.Client = world["http"]
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        page = http.get(
            f"/v1/webhooks/{world['hook_id']}/deliveries", params=params, headers=ADMIN
        ).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_a_worker_killed_mid_batch_and_started_again_loses_no_event(world, receiver):
    with _worker(world, "first") as first:
        poll(lambda: receiver.distinct() >= 30 or None, timeout=60, what="first deliveries")
        first.proc.kill()  # SIGKILL: no chance to record what it sent
        first.proc.wait(timeout=10)
    killed_at = receiver.distinct()
    assert killed_at < BOOKINGS, "the worker finished before it was killed: a slower receiver"
    with _worker(world, "second"):
        poll(
            lambda: receiver.distinct() == BOOKINGS or None,
            timeout=90,
            what=f"all {BOOKINGS} events delivered (had {killed_at})",
        )
        poll(
            lambda: all(d["status"] == "delivered" for d in _delivered(world)) or None,
            timeout=30,
            what="every delivery recorded",
        )
    _assert_every_event_delivered_alike(world, receiver)
    assert len(_delivered(world)) == BOOKINGS


def test_two_workers_at_once_deliver_each_event_once(world, receiver):
    with _worker(world, "one"), _worker(world, "two"):
        poll(lambda: receiver.distinct() == BOOKINGS or None, timeout=60, what="all delivered")
        poll(
            lambda: all(d["status"] == "delivered" for d in _delivered(world)) or None,
            timeout=30,
            what="every delivery recorded",
        )
    _assert_every_event_delivered_alike(world, receiver)
    with receiver.lock:
        assert all(len(bodies) == 1 for bodies in receiver.seen.values())
    assert [d for d in _delivered(world) if len(d["attempts"]) != 1] == []


def test_a_worker_stops_on_sigterm_after_its_batch(world, receiver, tmp_path):
    with _worker(world, "stopped") as worker:
        poll(lambda: receiver.distinct() >= 1 or None, timeout=60, what="a delivery")
        code = ServerProcess.stop(worker)
    assert code == 0, worker.output()
    assert "webhook worker stopped" in worker.output()
    # What it sent before stopping, it recorded: nothing is sent twice after a restart.
    with _worker(world, "again"):
        poll(lambda: receiver.distinct() == BOOKINGS or None, timeout=60, what="all delivered")
        poll(
            lambda: all(d["status"] == "delivered" for d in _delivered(world)) or None,
            timeout=30,
            what="every delivery recorded",
        )
    with receiver.lock:
        assert all(len(bodies) == 1 for bodies in receiver.seen.values())
