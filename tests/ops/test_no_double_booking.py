"""No double booking, ever: simultaneous requests against a real server with two
worker processes, on SQLite (BEGIN IMMEDIATE) and PostgreSQL (exclusion constraint)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from tests.bookings.helpers import local, next_weekday
from tests.conftest import ADMIN, ADMIN_KEY, BACKENDS, PostgresDatabases, bearer
from tests.ops.conftest import Served, migrated_url, serving

pytestmark = pytest.mark.slow

RACERS = 32
WORKERS = 2


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_databases: PostgresDatabases,
) -> Iterator[Served]:
    """A server with two worker processes per database for the module."""
    workdir = tmp_path_factory.mktemp(f"race-{request.param}")
    url = migrated_url(request.param, workdir, pg_databases, "race")
    with serving(url, workdir, workers=WORKERS, JOINTUSE_ADMIN_KEY=ADMIN_KEY) as server:
        yield server


async def _setup(http: httpx.AsyncClient, *, auto_confirm: bool = True) -> dict[str, Any]:
    async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        r = await http.post(path, json=body, headers=ADMIN)
        assert r.status_code == 201, r.text
        return r.json()

    city = await post("/v1/parties", {"name": "City of Sacramento", "kind": "city"})
    district = await post(
        "/v1/parties", {"name": "Sacramento City Unified", "kind": "school_district"}
    )
    group = await post("/v1/parties", {"name": "Oak Park Youth Soccer", "kind": "community_group"})
    await post("/v1/agreements", {
        "kind": "blanket", "name": "Blanket", "party_ids": [city["id"], district["id"]],
        "direct_partner_ids": [group["id"]], "starts_on": "2020-01-01", "status": "active",
        "terms": {"auto_confirm": auto_confirm},
    })
    site = await post("/v1/sites", {
        "name": "Hiram Johnson High", "kind": "school", "owner_party_id": district["id"],
        "custodial_hours": {"tue": [["06:00", "18:00"]]}, "custodial_rate_cents_per_hour": 4200,
    })
    gym = await post(
        f"/v1/sites/{site['id']}/spaces", {"name": "Gym", "kind": "gym", "capacity": 300}
    )
    partner = await post("/v1/api-keys", {"party_id": group["id"], "role": "partner"})
    manager = await post("/v1/api-keys", {"party_id": district["id"], "role": "manager"})
    return {
        "gym": gym["id"],
        "partner": bearer(partner["secret"]),
        "manager": bearer(manager["secret"]),
    }


def _window(offset_minutes: int, day_offset_weeks: int = 2) -> dict[str, str]:
    day = next_weekday(1, weeks_ahead=day_offset_weeks)
    start = local(day, "18:00") + timedelta(minutes=offset_minutes)
    return {"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat()}


async def _all_at_once(calls: list[Any]) -> list[httpx.Response]:
    """Open every connection first, then let all requests go together."""
    gate = asyncio.Event()

    async def one(call: Any) -> httpx.Response:
        await gate.wait()
        return await call()

    tasks = [asyncio.create_task(one(c)) for c in calls]
    await asyncio.sleep(0.05)
    gate.set()
    return await asyncio.gather(*tasks)


def _client(base_url: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=RACERS + 4)
    )


@pytest.mark.parametrize("kept", [False, True], ids=["facts read", "facts kept"])
async def test_of_32_simultaneous_overlapping_bookings_exactly_one_succeeds(
    served: Served, kept: bool
) -> None:
    async with _client(served.base_url) as http:
        world = await _setup(http)
        if kept:
            # Earlier bookings of the gym, at once so that both workers likely see one:
            # the racers then book on kept facts, and only the constraint stops them.
            earlier = [
                lambda i=i: http.post(
                    "/v1/bookings",
                    headers=world["partner"],
                    json={
                        "space_id": world["gym"],
                        "purpose": "warm-up",
                        "attendance": 10,
                        **_window(0, 3 + i),
                    },
                )
                for i in range(8)
            ]
            assert {r.status_code for r in await _all_at_once(earlier)} == {201}

        def booking(i: int) -> Any:
            body = {
                "space_id": world["gym"],
                "purpose": f"racer {i}",
                "attendance": 10,
                **_window(i),
            }
            return lambda: http.post("/v1/bookings", json=body, headers=world["partner"])

        responses = await _all_at_once([booking(i) for i in range(RACERS)])
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 409: RACERS - 1}, [
            r.text for r in responses if r.status_code not in (201, 409)
        ]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {"booking-conflict"}
        window = _window(0)
        held = await http.get(
            "/v1/bookings",
            params={"space_id": world["gym"], "to": window["end"]},
            headers=world["partner"],
        )
        assert [b["status"] for b in held.json()["items"]] == ["confirmed"]


async def test_of_32_simultaneous_approvals_and_declines_exactly_one_wins(served: Served) -> None:
    async with _client(served.base_url) as http:
        world = await _setup(http, auto_confirm=False)
        r = await http.post(
            "/v1/bookings", json={"space_id": world["gym"], **_window(0)}, headers=world["partner"]
        )
        assert r.status_code == 201 and r.json()["status"] == "requested", r.text
        booking_id = r.json()["id"]

        def act(i: int) -> Any:
            action = "approve" if i % 2 else "decline"
            return lambda: http.post(
                f"/v1/bookings/{booking_id}/{action}", headers=world["manager"]
            )

        responses = await _all_at_once([act(i) for i in range(RACERS)])
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 409: RACERS - 1}, [
            r.text for r in responses if r.status_code not in (200, 409)
        ]
        assert {r.json()["code"] for r in responses if r.status_code == 409} == {
            "invalid-transition"
        }
        history = await http.get(f"/v1/bookings/{booking_id}/history", headers=world["manager"])
        assert [e["action"] for e in history.json()["items"]][1:] in (["approved"], ["declined"])


async def test_of_32_bookings_moved_onto_one_window_at_once_exactly_one_moves(
    served: Served,
) -> None:
    async with _client(served.base_url) as http:
        world = await _setup(http)
        moves = []
        for i in range(RACERS):
            # Distinct weeks, so the bookings are made without conflict...
            r = await http.post(
                "/v1/bookings",
                json={"space_id": world["gym"], **_window(0, day_offset_weeks=2 + i)},
                headers=world["partner"],
            )
            assert r.status_code == 201, r.text
            moves.append((r.json()["id"], r.headers["etag"]))
        target = _window(30)  # ...then all re-timed onto the same evening at once.

        def move(booking_id: int, etag: str) -> Any:
            return lambda: http.patch(
                f"/v1/bookings/{booking_id}",
                json=target,
                headers={**world["partner"], "If-Match": etag},
            )

        responses = await _all_at_once([move(b, e) for b, e in moves])
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 409: RACERS - 1}, [
            r.text for r in responses if r.status_code not in (200, 409)
        ]
        on_target = await http.get(
            "/v1/bookings",
            params={"space_id": world["gym"], "from": target["start"], "to": target["end"]},
            headers=world["partner"],
        )
        assert len(on_target.json()["items"]) == 1


async def test_simultaneous_bookings_and_cancellations_at_one_site_succeed_and_share_one_coverage(
    served: Served,
) -> None:
    """Evening bookings in different spaces of one site re-bill the same site date at
    once: none may fail (no deadlock) and the charges must add up to one coverage."""
    async with _client(served.base_url) as http:
        world = await _setup(http)
        gym = await http.get(f"/v1/spaces/{world['gym']}", headers=world["partner"])
        site_id = gym.json()["site_id"]
        spaces = [world["gym"]]
        for i in range(RACERS - 1):
            r = await http.post(
                f"/v1/sites/{site_id}/spaces",
                json={"name": f"Room {i}", "kind": "classroom", "capacity": 30},
                headers=ADMIN,
            )
            spaces.append(r.json()["id"])
        evening = _window(0)  # 18:00-20:00 on a Tuesday: past custodial hours
        early = [  # half of the rooms are booked first, to be cancelled in the race
            (
                await http.post(
                    "/v1/bookings", json={"space_id": s, **evening}, headers=world["partner"]
                )
            ).json()["id"]
            for s in spaces[: RACERS // 2]
        ]

        def book(space_id: int) -> Any:
            return lambda: http.post(
                "/v1/bookings", json={"space_id": space_id, **evening}, headers=world["partner"]
            )

        def cancel(booking_id: int) -> Any:
            return lambda: http.post(f"/v1/bookings/{booking_id}/cancel", headers=world["partner"])

        calls = [book(s) for s in spaces[RACERS // 2 :]] + [cancel(b) for b in early]
        responses = await _all_at_once(calls)
        assert Counter(r.status_code for r in responses) == {201: RACERS // 2, 200: RACERS // 2}, [
            r.text for r in responses if r.status_code >= 300
        ]
        agreement = (await http.get("/v1/agreements", headers=ADMIN)).json()["items"][-1]
        day = evening["start"][:10]
        statement = await http.get(
            f"/v1/agreements/{agreement['id']}/statement",
            params={"from": day, "to": day},
            headers=ADMIN,
        )
        assert statement.status_code == 200, statement.text
        # One custodian for the evening: 18:00-20:00 extends the 06:00-18:00 shift (120 minutes).
        assert statement.json()["custodial_minutes"] == 120
        assert len(statement.json()["lines"]) == RACERS // 2


async def test_32_copies_of_one_booking_with_one_idempotency_key_make_it_once(
    served: Served,
) -> None:
    # Contract section 8: the same request sent at the same instant to both workers.
    # Without the key the copies after the first would be refused as conflicts with it;
    # with it, each gets the booking (the first answer, replayed) or "still running".
    async with _client(served.base_url) as http:
        world = await _setup(http)
        body = {"space_id": world["gym"], "purpose": "one intent", **_window(0, 5)}
        headers = {**world["partner"], "Idempotency-Key": "one-intent-7c1e"}

        def copy() -> Any:
            return lambda: http.post("/v1/bookings", json=body, headers=headers)

        responses = await _all_at_once([copy() for _ in range(RACERS)])
        answers = Counter(
            (r.status_code, r.json().get("code") or r.json()["id"]) for r in responses
        )
        made = [r for r in responses if r.status_code == 201]
        assert len({r.json()["id"] for r in made}) == 1, answers
        assert set(answers) <= {(201, made[0].json()["id"]), (409, "idempotency-in-flight")}
        assert [r.headers.get("idempotent-replayed") for r in made].count(None) <= 1
        again = await http.post("/v1/bookings", json=body, headers=headers)
        assert (again.status_code, again.json()["id"]) == (201, made[0].json()["id"])
        held = await http.get(
            "/v1/bookings", params={"space_id": world["gym"]}, headers=world["partner"]
        )
        assert [b["id"] for b in held.json()["items"]] == [made[0].json()["id"]]
