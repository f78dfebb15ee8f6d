"""Contract section 8, webhooks: made by admins and managers, a secret shown once,
deliveries of the feed's events signed as Standard Webhooks do, retried with backoff
for a day, and a log of every try. The worker runs in-process here, its receiver an
httpx mock; tests/ops/test_webhook_worker.py runs the real `jointuse worker`."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook as Verifier

from app.core import clock
from app.core.db import Database
from app.core.time import utcnow
from app.webhooks.rules import RETRY_FOR
from app.webhooks.worker import Worker
from tests.api.support import assert_problem
from tests.bookings.helpers import book, evening, new_key, next_weekday, world
from tests.bookings.test_series_api import make_series, series_body
from tests.conftest import ADMIN, settings_for

pytestmark = pytest.mark.dates

# A public address (nothing is sent to it: the worker's client is a mock).
RECEIVER = "http://93.184.216.34/jointuse/events"


class Receiver:
    """What a receiver saw: each request, answered with the next status of `answers`
    (then 204)."""

    def __init__(self, *answers: int) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.answers.pop(0) if self.answers else 204)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


def worker_for(
    db: Database, database_urls: dict[str, str], backend: str, receiver: Receiver, **settings: Any
) -> Worker:
    return Worker(
        db,
        settings_for(database_urls[backend], **settings),
        client=httpx.AsyncClient(transport=httpx.MockTransport(receiver)),
        rng=random.Random(7),
    )


@pytest.fixture
def make_worker(
    db: Database, database_urls: dict[str, str], backend: str
) -> Callable[..., Worker]:
    return lambda receiver, **settings: worker_for(db, database_urls, backend, receiver, **settings)


async def make_webhook(
    client: httpx.AsyncClient, headers: dict[str, str] = ADMIN, **body: Any
) -> dict[str, Any]:
    r = await client.post("/v1/webhooks", json={"url": RECEIVER, **body}, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


async def deliveries(client: httpx.AsyncClient, webhook_id: int, **params: Any) -> list[Any]:
    r = await client.get(f"/v1/webhooks/{webhook_id}/deliveries", params=params, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


async def feed_items(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    r = await client.get("/v1/events", params={"limit": 200}, headers=ADMIN)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


# --- managing webhooks ------------------------------------------------------------


async def test_a_new_webhook_shows_its_secret_once_as_standard_webhooks_write_it(client):
    made = await make_webhook(client, event_types=["booking.confirmed"])
    assert made["secret"].startswith("whsec_")
    assert len(base64.b64decode(made["secret"].removeprefix("whsec_"))) >= 24
    assert made["event_types"] == ["booking.confirmed"]
    assert made["party_id"] is None
    r = await client.get(f"/v1/webhooks/{made['id']}", headers=ADMIN)
    assert r.status_code == 200
    assert "secret" not in r.json()
    assert r.json() == {k: v for k, v in made.items() if k != "secret"}


async def test_a_new_webhook_answers_201_with_its_location(client):
    r = await client.post("/v1/webhooks", json={"url": RECEIVER}, headers=ADMIN)
    assert r.status_code == 201
    assert r.headers["Location"] == f"/v1/webhooks/{r.json()['id']}"


async def test_event_types_left_out_are_every_type(client):
    made = await make_webhook(client)
    assert set(made["event_types"]) == {
        "booking.requested", "booking.confirmed", "booking.declined", "booking.cancelled",
        "booking.changed", "series.created", "series.cancelled",
    }  # fmt: skip


@pytest.mark.parametrize(
    "body",
    [
        {"url": RECEIVER, "event_types": ["booking.teleported"]},
        {"url": RECEIVER, "event_types": []},
        {"url": "ftp://93.184.216.34/events"},
        {"url": "not a url"},
        {"event_types": ["booking.confirmed"]},
    ],
)
async def test_a_malformed_webhook_is_a_validation_error(client, body):
    r = await client.post("/v1/webhooks", json=body, headers=ADMIN)
    assert_problem(r, 422, "validation-error")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[fe80::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",
    ],
)
async def test_a_url_reaching_a_loopback_private_or_link_local_address_is_refused(client, url):
    r = await client.post("/v1/webhooks", json={"url": url}, headers=ADMIN)
    assert_problem(r, 422, "validation-error")
    assert "url" in r.text


async def test_a_host_that_does_not_resolve_yet_is_taken_and_its_deliveries_fail_until_it_does(
    client, make_worker
):
    w = await world(client)
    made = await make_webhook(client, url="https://no-such-host.invalid/hook")
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    assert receiver.requests == []
    [delivery] = await deliveries(client, made["id"])
    assert "does not resolve" in delivery["attempts"][0]["error"]
    assert delivery["status"] == "pending"


async def test_a_partner_key_may_not_make_or_list_webhooks(client):
    w = await world(client)
    r = await client.post("/v1/webhooks", json={"url": RECEIVER}, headers=w.group_key)
    assert_problem(r, 403, "forbidden")
    assert_problem(await client.get("/v1/webhooks", headers=w.group_key), 403, "forbidden")


async def test_a_webhook_needs_a_key(client):
    r = await client.post("/v1/webhooks", json={"url": RECEIVER})
    assert_problem(r, 401, "unauthenticated")


async def test_a_manager_manages_its_partys_webhooks_alone(client):
    w = await world(client)
    own = await make_webhook(client, w.district_manager)
    assert own["party_id"] == w.district["id"]
    admins = await make_webhook(client)
    other_manager, _ = await new_key(client, w.city["id"], "manager")
    listed = await client.get("/v1/webhooks", headers=w.district_manager)
    assert [h["id"] for h in listed.json()["items"]] == [own["id"]]
    everything = await client.get("/v1/webhooks", headers=ADMIN)
    assert [h["id"] for h in everything.json()["items"]] == [own["id"], admins["id"]]
    for path in (f"/v1/webhooks/{own['id']}", f"/v1/webhooks/{own['id']}/deliveries"):
        assert_problem(await client.get(path, headers=other_manager), 404, "not-found")
    r = await client.delete(f"/v1/webhooks/{own['id']}", headers=other_manager)
    assert_problem(r, 404, "not-found")


async def test_a_removed_webhook_is_gone_with_its_deliveries(client, make_worker):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await make_worker(Receiver()).run_until_idle()
    assert len(await deliveries(client, made["id"])) == 1
    r = await client.delete(f"/v1/webhooks/{made['id']}", headers=ADMIN)
    assert r.status_code == 204
    assert_problem(await client.get(f"/v1/webhooks/{made['id']}", headers=ADMIN), 404, "not-found")
    r = await client.get(f"/v1/webhooks/{made['id']}/deliveries", headers=ADMIN)
    assert_problem(r, 404, "not-found")


async def test_webhooks_are_listed_a_page_at_a_time(client):
    made = [await make_webhook(client) for _ in range(3)]
    first = (await client.get("/v1/webhooks", params={"limit": 2}, headers=ADMIN)).json()
    rest = (
        await client.get(
            "/v1/webhooks", params={"limit": 2, "cursor": first["next_cursor"]}, headers=ADMIN
        )
    ).json()
    assert [h["id"] for h in first["items"] + rest["items"]] == [h["id"] for h in made]
    assert rest["next_cursor"] is None


# --- deliveries ---------------------------------------------------------------------


async def test_each_event_is_posted_as_the_feed_shows_it_signed_as_standard_webhooks_do(
    client, make_worker
):
    w = await world(client, terms={"auto_confirm": False})
    made = await make_webhook(client)
    booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await client.post(f"/v1/bookings/{booking['id']}/approve", headers=w.district_manager)
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    assert receiver.bodies() == await feed_items(client)
    signer = Verifier(made["secret"])
    for request, item in zip(receiver.requests, await feed_items(client), strict=True):
        assert request.method == "POST"
        assert str(request.url) == RECEIVER
        assert request.headers["content-type"] == "application/json"
        assert request.headers["webhook-id"] == f"msg_{made['id']}_{item['id']}"
        sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
        # The signature Standard Webhooks' own code makes of the same id, time and body.
        expected = signer.sign(request.headers["webhook-id"], sent_at, request.content.decode())
        assert request.headers["webhook-signature"] == expected


async def test_a_receiver_verifies_a_delivery_with_standard_webhooks(client, make_worker):
    # On real time: a receiver checks that the timestamp is its own "now" (5 minutes).
    with clock.installed(clock.SystemClock()):
        w = await world(client)
        made = await make_webhook(client)
        booking = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
        receiver = Receiver()
        await make_worker(receiver).run_until_idle()
    [request] = receiver.requests
    event = Verifier(made["secret"]).verify(request.content, dict(request.headers))
    assert event["type"] == "booking.confirmed"
    assert event["data"] == booking
    # And so does the partner guide's client.
    from tests.examples.test_partner_client import partner

    assert partner.verify_webhook(made["secret"], request.headers, request.content) == event


async def test_a_signature_is_of_this_body_and_this_secret_alone(client, make_worker):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    [request] = receiver.requests
    signer = Verifier(made["secret"])
    sent_at = datetime.fromtimestamp(int(request.headers["webhook-timestamp"]), UTC)
    tampered = signer.sign(request.headers["webhook-id"], sent_at, request.content.decode() + " ")
    assert request.headers["webhook-signature"] != tampered
    other = Verifier(made["secret"][:-4] + "AAA=")
    forged = other.sign(request.headers["webhook-id"], sent_at, request.content.decode())
    assert request.headers["webhook-signature"] != forged


async def test_only_the_chosen_event_types_are_delivered(client, make_worker):
    w = await world(client)
    made = await make_webhook(client, event_types=["booking.cancelled"])
    kept = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    gone = await book(client, w.group_key, evening(w.gym["id"], next_weekday(2)))
    await client.post(f"/v1/bookings/{gone['id']}/cancel", headers=w.group_key)
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    assert [(b["type"], b["data"]["id"]) for b in receiver.bodies()] == [
        ("booking.cancelled", gone["id"])
    ]
    assert kept["id"] != gone["id"]
    assert [d["event_type"] for d in await deliveries(client, made["id"])] == ["booking.cancelled"]


async def test_events_before_the_webhook_was_made_are_not_delivered(client, make_worker):
    w = await world(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    await make_webhook(client)
    later = await book(client, w.group_key, evening(w.gym["id"], next_weekday(2)))
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    assert [b["data"]["id"] for b in receiver.bodies()] == [later["id"]]


async def test_a_managers_webhook_receives_the_events_its_key_sees(client, make_worker):
    w = await world(client)
    made = await make_webhook(client, w.district_manager)
    at_its_site = await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    # Another district's site: not the manager's to see.
    other = await client.post(
        "/v1/parties", json={"name": "Twin Rivers Unified", "kind": "school_district"},
        headers=ADMIN,
    )  # fmt: skip
    assert other.status_code == 201
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    assert [b["data"]["id"] for b in receiver.bodies()] == [at_its_site["id"]]
    assert made["party_id"] == w.district["id"]


async def test_a_delivery_is_made_once_however_often_the_worker_runs(client, make_worker):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    receiver = Receiver()
    worker = make_worker(receiver)
    for _ in range(3):
        await worker.run_until_idle()
    assert len(receiver.requests) == 1
    [delivery] = await deliveries(client, made["id"])
    assert delivery["status"] == "delivered"
    assert delivery["next_attempt_at"] is None
    assert [a["status_code"] for a in delivery["attempts"]] == [204]
    assert delivery["attempts"][0]["error"] is None


async def test_a_failed_delivery_is_tried_again_after_the_base_wait_with_the_same_id(
    client, make_worker
):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    receiver = Receiver(503)
    worker = make_worker(receiver, JOINTUSE_WEBHOOK_RETRY_BASE_SECONDS=10)
    started = utcnow()
    await worker.run_until_idle()
    [delivery] = await deliveries(client, made["id"])
    assert delivery["status"] == "pending"
    assert [(a["status_code"], a["error"]) for a in delivery["attempts"]] == [
        (503, "the receiver answered 503")
    ]
    wait = _instant(delivery["next_attempt_at"]) - started
    assert timedelta(seconds=8) <= wait <= timedelta(seconds=12 + 5)
    await worker.run_until_idle()  # not due yet
    assert len(receiver.requests) == 1
    with clock.installed(clock.OffsetClock.starting_at(utcnow() + timedelta(seconds=13))):
        await worker.run_until_idle()
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert receiver.requests[0].content == receiver.requests[1].content
    [delivery] = await deliveries(client, made["id"])
    assert delivery["status"] == "delivered"
    assert [a["status_code"] for a in delivery["attempts"]] == [503, 204]


async def test_each_retry_waits_about_twice_as_long_as_the_one_before(client, make_worker):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    worker = make_worker(Receiver(*[500] * 6), JOINTUSE_WEBHOOK_RETRY_BASE_SECONDS=10)
    waits = []
    offset = timedelta()
    for _ in range(5):
        with clock.installed(clock.OffsetClock.starting_at(utcnow() + offset)):
            await worker.run_until_idle()
            [delivery] = await deliveries(client, made["id"])
            due = _instant(delivery["next_attempt_at"])
            waits.append((due - _instant(delivery["attempts"][-1]["attempted_at"])).total_seconds())
            offset = due - utcnow() + offset + timedelta(seconds=1)
    for before, after in zip(waits, waits[1:], strict=False):
        assert 2 * before * 0.6 <= after <= 2 * before * 1.6
    assert 8 <= waits[0] <= 12


async def test_a_delivery_failing_for_a_day_is_marked_failed(client, make_worker):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    worker = make_worker(Receiver(*[500] * 100))
    await worker.run_until_idle()
    later = utcnow() + RETRY_FOR + timedelta(minutes=1)
    with clock.installed(clock.OffsetClock.starting_at(later)):
        await worker.run_until_idle()
    [delivery] = await deliveries(client, made["id"])
    assert delivery["status"] == "failed"
    assert delivery["next_attempt_at"] is None
    assert len(delivery["attempts"]) == 2
    assert await deliveries(client, made["id"], status="failed") == [delivery]
    assert await deliveries(client, made["id"], status="pending") == []


async def test_a_receiver_that_cannot_be_reached_is_a_failed_try_with_the_reason(
    client, db, database_urls, backend
):
    w = await world(client)
    made = await make_webhook(client)
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    worker = Worker(
        db,
        settings_for(database_urls[backend]),
        client=httpx.AsyncClient(transport=httpx.MockTransport(refuse)),
    )
    await worker.run_until_idle()
    [delivery] = await deliveries(client, made["id"])
    [attempt] = delivery["attempts"]
    assert attempt["status_code"] is None
    assert "connection refused" in attempt["error"]
    assert delivery["status"] == "pending"


async def test_a_url_that_reaches_a_private_address_at_delivery_is_not_posted_to(
    client, make_worker, database_urls, backend, apps
):
    w = await world(client)
    # Made while private URLs were allowed; delivered by a worker that refuses them.
    apps[backend].state.settings = settings_for(
        database_urls[backend], JOINTUSE_WEBHOOK_ALLOW_PRIVATE_URLS=True
    )
    try:
        made = await make_webhook(client, url="http://127.0.0.1:9/hook")
    finally:
        apps[backend].state.settings = settings_for(database_urls[backend])
    await book(client, w.group_key, evening(w.gym["id"], next_weekday(1)))
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    assert receiver.requests == []
    [delivery] = await deliveries(client, made["id"])
    assert "loopback" in delivery["attempts"][0]["error"]


async def test_a_series_delivers_each_occurrence_and_the_series(client, make_worker):
    w = await world(client)
    await make_webhook(client, event_types=["series.created", "booking.confirmed"])
    body = series_body(w.gym["id"], next_weekday(1), "FREQ=WEEKLY;COUNT=3")
    series = await make_series(client, w.group_key, body)
    receiver = Receiver()
    await make_worker(receiver).run_until_idle()
    types = [b["type"] for b in receiver.bodies()]
    assert sorted(types) == ["booking.confirmed"] * 3 + ["series.created"]
    [created] = [b for b in receiver.bodies() if b["type"] == "series.created"]
    assert created["data"]["id"] == series["id"]


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("url", ["http://[::1/hook", "http://93.184.216.34:99999/hook",
                                 "http://user:pw@93.184.216.34/hook", "http:///hook"])
async def test_a_url_that_is_not_a_receivers_is_a_validation_error(client, url):
    r = await client.post("/v1/webhooks", json={"url": url}, headers=ADMIN)
    assert_problem(r, 422, "validation-error")
