"""Issue 12: the partner guide's client (`examples/partner_client.py`) against a live
server on each database: a booking retried after a lost answer is made once, the feed
is followed with a saved cursor, and a webhook signed as Standard Webhooks verifies."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from app.core.migrate import upgrade
from tests.bookings.helpers import World, evening, next_weekday, world
from tests.conftest import ADMIN, ADMIN_KEY, PostgresDatabases
from tests.ops.conftest import Served, fresh_pg_url, serving

pytestmark = pytest.mark.slow

_SPEC = importlib.util.spec_from_file_location(
    "partner_client", Path(__file__).parents[2] / "examples" / "partner_client.py"
)
assert _SPEC is not None and _SPEC.loader is not None
partner = importlib.util.module_from_spec(_SPEC)
sys.modules["partner_client"] = partner
_SPEC.loader.exec_module(partner)


@pytest.fixture
def server(backend: str, tmp_path: Path, pg_databases: PostgresDatabases) -> Iterator[Served]:
    url = (
        f"sqlite:///{tmp_path / 'partner.db'}"
        if backend == "sqlite"
        else fresh_pg_url(pg_databases, "partnerclient")
    )
    upgrade(url)
    with serving(url, tmp_path, JOINTUSE_ADMIN_KEY=ADMIN_KEY) as served:
        yield served


async def seeded(server: Served) -> World:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as admin:
        return await world(admin)


class LostAnswers(httpx.BaseTransport):
    """Sends each request; the first `lose` answers never reach the client (a timeout
    after the server acted)."""

    def __init__(self, lose: int) -> None:
        self.inner = httpx.HTTPTransport()
        self.lose = lose
        self.sent = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        self.sent += 1
        if self.sent <= self.lose:
            raise httpx.ReadTimeout("the answer was lost", request=request)
        return response


def count_bookings(server: Served) -> int:
    with httpx.Client(base_url=server.base_url, headers=ADMIN) as c:
        return len(c.get("/v1/bookings", params={"limit": 200}).json()["items"])


async def test_a_booking_whose_answer_was_lost_is_made_once_when_retried(server: Served) -> None:
    w = await seeded(server)
    lossy = LostAnswers(lose=2)
    with httpx.Client(base_url=server.base_url, headers=w.group_key, transport=lossy) as c:
        made = partner.book(c, evening(w.gym["id"], next_weekday(1)), sleep=lambda _: None)
    assert lossy.sent == 3
    assert made["status"] == "confirmed"
    assert count_bookings(server) == 1


async def test_a_rules_violation_is_raised_as_its_problem(server: Served) -> None:
    w = await seeded(server)
    with httpx.Client(base_url=server.base_url, headers=w.group_key) as c:
        body = evening(w.gym["id"], next_weekday(1))
        partner.book(c, body)
        with pytest.raises(partner.Problem) as refused:
            partner.book(c, body)
    assert (refused.value.status, refused.value.code) == (409, "booking-conflict")


async def test_the_feed_is_followed_from_a_saved_cursor(server: Served, tmp_path: Path) -> None:
    w = await seeded(server)
    cursor = tmp_path / "cursor.txt"
    with httpx.Client(base_url=server.base_url, headers=w.group_key) as c:
        first = partner.book(c, evening(w.gym["id"], next_weekday(1)))
        seen = polled(lambda: [e["data"]["id"] for e in partner.follow(c, cursor, limit=1)])
        second = partner.book(c, evening(w.gym["id"], next_weekday(2)))
        later = polled(lambda: [e["data"]["id"] for e in partner.follow(c, cursor)])
    assert (seen, later) == ([first["id"]], [second["id"]])


def polled(follow: Callable[[], list[int]], *, attempts: int = 50) -> list[int]:
    """What a poller sees, polling again while nothing is new: on PostgreSQL an event
    waits for every older transaction of the cluster to end (another database's too)."""
    for _ in range(attempts):
        if found := follow():
            return found
        time.sleep(0.2)
    return []


def signed(secret: str, payload: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    body = json.dumps(payload).encode()
    at = int(time.time())
    msg_id = "msg_2k7Tn"
    signature = Webhook(secret).sign(msg_id, datetime.fromtimestamp(at, UTC), body.decode())
    headers = {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}
    return headers, body


SECRET = "whsec_" + base64.b64encode(b"k" * 24).decode()


def test_a_webhook_signed_by_standard_webhooks_verifies() -> None:
    headers, body = signed(SECRET, {"id": 1, "type": "booking.confirmed"})
    assert partner.verify_webhook(SECRET, headers, body) == {"id": 1, "type": "booking.confirmed"}


@pytest.mark.parametrize("tamper", ["body", "secret", "stale"])
def test_a_webhook_not_signed_so_is_refused(tamper: str) -> None:
    headers, body = signed(SECRET, {"id": 1})
    secret = SECRET
    now = None
    if tamper == "body":
        body = body.replace(b"1", b"2")
    elif tamper == "secret":
        secret = "whsec_" + base64.b64encode(b"x" * 24).decode()
    else:
        now = time.time() + 3600
    with pytest.raises(ValueError):
        partner.verify_webhook(secret, headers, body, now=now)
