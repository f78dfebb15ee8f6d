"""A partner app's side of jointuse: book safely, follow the change feed, verify webhooks.

Only httpx and the standard library. Run it against a server:

    JOINTUSE_URL=http://localhost:8000 JOINTUSE_KEY=ju_... python examples/partner_client.py \
        book '{"space_id": 1, "start": "2027-01-12T18:00:00-08:00", ...}'
    JOINTUSE_URL=... JOINTUSE_KEY=... python examples/partner_client.py follow cursor.txt

docs/partners.md walks through it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx

RETRIED = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class Problem(Exception):
    """An RFC 9457 problem answer: `code` is the stable machine-readable reason."""

    def __init__(self, response: httpx.Response) -> None:
        body = response.json()
        self.status: int = response.status_code
        self.code: str = body.get("code", "")
        self.body: dict[str, Any] = body
        super().__init__(f"{self.status} {self.code}: {body.get('detail')}")


def _retry_after(response: httpx.Response, attempt: int) -> float:
    given = response.headers.get("retry-after")
    return float(given) if given and given.isdigit() else min(2.0**attempt, 30.0)


def book(
    client: httpx.Client,
    body: Mapping[str, Any],
    *,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Make a booking, retrying timeouts, 503s, 429s and 409 `idempotency-in-flight` with
    the same `Idempotency-Key`: the booking is made once, however often the request is
    sent. A rules violation (422) or a conflict (409) is raised as a `Problem`."""
    key = str(uuid.uuid4())  # one per booking intent, kept across its retries
    for attempt in range(attempts):
        try:
            r = client.post("/v1/bookings", json=dict(body), headers={"Idempotency-Key": key})
        except RETRIED:
            sleep(min(2.0**attempt, 30.0))
            continue
        if r.status_code == 201:
            return r.json()  # type: ignore[no-any-return]
        problem = Problem(r)
        retryable = r.status_code in (429, 503) or problem.code == "idempotency-in-flight"
        if not retryable:
            raise problem
        sleep(_retry_after(r, attempt))
    raise TimeoutError(f"no answer after {attempts} attempts (Idempotency-Key {key})")


def follow(
    client: httpx.Client, cursor_file: Path, *, limit: int = 200
) -> Iterator[dict[str, Any]]:
    """Every event after the saved cursor, oldest first; the cursor is saved after each
    page is handed over, so a crash repeats at most that page, never skips one. Ends
    when the feed is caught up (poll again later with the same file)."""
    while True:
        params: dict[str, Any] = {"limit": limit}
        if cursor_file.exists():
            params["after"] = cursor_file.read_text().strip()
        r = client.get("/v1/events", params=params)
        if r.status_code != 200:
            raise Problem(r)
        page = r.json()
        yield from page["items"]
        cursor_file.write_text(page["next_cursor"])  # never null
        if not page["items"]:
            return


def verify_webhook(
    secret: str, headers: Mapping[str, str], body: bytes, *, tolerance_seconds: int = 300,
    now: float | None = None,
) -> dict[str, Any]:
    """A webhook's JSON if it is signed by `secret` (`whsec_...`, as Standard Webhooks
    sign: HMAC-SHA256 of "id.timestamp.body") and recent; else ValueError. Deduplicate on
    `webhook-id`: a retry carries the same one."""
    lower = {k.lower(): v for k, v in headers.items()}
    msg_id, timestamp = lower["webhook-id"], lower["webhook-timestamp"]
    if abs((time.time() if now is None else now) - int(timestamp)) > tolerance_seconds:
        raise ValueError("webhook timestamp too old or too new")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for signature in lower["webhook-signature"].split():
        version, _, value = signature.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return json.loads(body)  # type: ignore[no-any-return]
    raise ValueError("no valid webhook signature")


def main(argv: list[str]) -> int:
    base, key = os.environ["JOINTUSE_URL"], os.environ["JOINTUSE_KEY"]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        if argv[:1] == ["book"]:
            print(json.dumps(book(client, json.loads(argv[1])), indent=2))
        elif argv[:1] == ["follow"]:
            for event in follow(client, Path(argv[1])):
                print(event["id"], event["type"], event["data"]["id"])
        else:
            print(__doc__)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
