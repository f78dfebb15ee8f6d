"""`make bench`: jointuse against a FastAPI hello-world on this machine, in one run.

Starts both with production settings (uvloop, httptools, no access log, one worker
each) on a fresh PostgreSQL database, seeds a partnership and a year of bookings on
one space, then measures interleaved rounds and prints medians and ratios."""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import secrets
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from bench.load import Result, build_request, run

REPO = Path(__file__).resolve().parents[1]
ADMIN_KEY = "bench-admin-" + secrets.token_hex(8)
LA = ZoneInfo("America/Los_Angeles")
TARGETS = {
    "POST /v1/bookings": 0.20,
    "POST /v1/bookings, keyed": 0.25,
    "GET /v1/bookings/{id}": 0.35,
    "GET availability (7 days)": 0.25,
    "GET /v1/events (200)": 0.10,
    "GET site calendar.ics (year)": 0.10,
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


LOG_DIR = REPO / "bench" / "results"


# What `jointuse serve` runs: httptools with bounded heads and timeouts (431, 408).
SERVE_PROTOCOL = "app.core.protocol:HttpProtocol"


def serve(
    app: str, port: int, env: dict[str, str], http: str = "httptools"
) -> subprocess.Popen[bytes]:
    # Logs go to a file: a pipe nobody reads would block the server once full.
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    suffix = "" if http == "httptools" else "-protocol"
    log = (LOG_DIR / f"{app.split(':')[0]}{suffix}.log").open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port),
         "--loop", "uvloop", "--http", http, "--no-access-log", "--log-level", "warning"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited; see {LOG_DIR}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer")


def pg_admin_dsn() -> str:
    return os.environ.get("BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/test")


SOCKET_DIRS = ("/var/run/postgresql", "/run/postgresql", "/tmp")


def create_database(name: str, *, tcp: bool) -> tuple[str, str]:
    """A fresh database and (the server's URL for it, how it is reached). PostgreSQL on
    this machine is reached through its Unix socket, as a co-located deployment would
    be (loopback TCP costs both processes a network stack per round trip), unless
    `tcp`."""
    import psycopg
    from sqlalchemy.engine import make_url

    with psycopg.connect(pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(pg_admin_dsn()).set(database=name)
    port = url.port or 5432
    if not tcp and url.host in ("127.0.0.1", "localhost", "::1"):
        for folder in SOCKET_DIRS:
            if Path(folder, f".s.PGSQL.{port}").exists():
                socket_url = url._replace(host=None, port=None).update_query_dict(
                    {"host": folder, "port": str(port)}
                )
                return socket_url.render_as_string(hide_password=False), f"Unix socket {folder}"
    return url.render_as_string(hide_password=False), f"TCP {url.host}:{port}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(pg_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- seeding --------------------------------------------------------------------

OPEN_ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
CUSTODIAL = {d: [["06:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
SLOTS = [(h, h + 1) for h in range(16, 22)]  # evening hours, partly past custodial hours


def seed(base: str, spaces_per_site: int = 50, sites: int = 4) -> dict[str, object]:
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=base, headers=admin, timeout=30) as c:
        def post(path: str, body: dict[str, object]) -> dict[str, object]:
            r = c.post(path, json=body)
            r.raise_for_status()
            return r.json()

        city = post("/v1/parties", {"name": "City of Sacramento", "kind": "city"})
        district = post(
            "/v1/parties", {"name": "Sacramento City Unified", "kind": "school_district"}
        )
        group = post("/v1/parties", {"name": "Oak Park Youth Soccer", "kind": "community_group"})
        post("/v1/agreements", {
            "kind": "blanket", "name": "Blanket", "party_ids": [city["id"], district["id"]],
            "direct_partner_ids": [group["id"]], "starts_on": "2020-01-01", "status": "active",
            "terms": {"max_advance_days": 3650, "min_notice_hours": 0},
        })
        space_ids: list[int] = []
        for i in range(sites):
            site = post("/v1/sites", {
                "name": f"Bench School {i}", "kind": "school", "owner_party_id": district["id"],
                "open_hours": OPEN_ALL_DAY, "custodial_hours": CUSTODIAL,
                "custodial_rate_cents_per_hour": 4200,
            })
            for j in range(spaces_per_site):
                space = post(f"/v1/sites/{site['id']}/spaces", {
                    "name": f"Room {j}", "kind": "classroom", "capacity": 40,
                    "standard_rental_rate_cents_per_hour": 3000,
                })
                space_ids.append(int(space["id"]))  # type: ignore[arg-type]
        key = post("/v1/api-keys", {"party_id": group["id"], "role": "partner", "name": "bench"})
    return {"space_ids": space_ids, "partner": key["secret"], "party_id": group["id"]}


def year_of_bookings(space_id: int, first: date) -> Iterator[dict[str, object]]:
    """Weekly series bodies covering a year on one space, six evening slots a day."""
    for h0, h1 in SLOTS:
        for weekday in range(7):
            day = first + timedelta(days=weekday)
            start = datetime(day.year, day.month, day.day, h0, tzinfo=LA)
            yield {
                "space_id": space_id, "start": start.isoformat(),
                "end": start.replace(hour=h1).isoformat(),
                "rrule": "FREQ=WEEKLY;COUNT=52", "purpose": "Year-round program", "attendance": 20,
            }


def seed_year(base: str, secret: str, space_id: int, first: date) -> int:
    # A long_term agreement would be the real-world way; the bench partner's blanket
    # agreement has a long max_series_days instead.
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    with httpx.Client(base_url=base, timeout=60) as c:
        agreements = c.get("/v1/agreements", headers=admin).json()["items"]
        c.patch(
            f"/v1/agreements/{agreements[0]['id']}",
            json={"terms": {"max_series_days": 400}},
            headers=admin,
        ).raise_for_status()
        made = 0
        for body in year_of_bookings(space_id, first):
            r = c.post(
                "/v1/booking-series", json=body, headers={"Authorization": f"Bearer {secret}"}
            )
            r.raise_for_status()
            made += len(r.json()["booking_ids"])
    return made


# --- scenarios ------------------------------------------------------------------


def post_bodies(
    space_ids: list[int], first: date, host: str, secret: str, *, idempotent: bool = False
) -> Iterator[bytes]:
    """Distinct spaces and times: every request passes all rules and conflicts with none.
    Requests walk the days first, so a site date gathers a realistic handful of
    bookings (a site date is re-billed as a whole on each booking). `idempotent`: each
    with its own `Idempotency-Key`, as a careful partner sends them."""
    auth = {"Authorization": f"Bearer {secret}"}
    keys = itertools.count(1)
    for h0, h1 in SLOTS:
        for space_id in space_ids:
            for offset in range(365):
                day = first + timedelta(days=offset)
                start = datetime(day.year, day.month, day.day, h0, tzinfo=LA)
                body = json.dumps(
                    {
                        "space_id": space_id,
                        "start": start.isoformat(),
                        "end": start.replace(hour=h1).isoformat(),
                        "purpose": "Chess club",
                        "attendance": 12,
                    }
                ).encode()
                headers = {**auth, "Idempotency-Key": f"bench-{next(keys)}"} if idempotent else auth
                yield build_request("POST", "/v1/bookings", host, body, headers)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (Linux), to report server CPU per request: a
    figure the other load on a shared machine disturbs much less than throughput."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_cpu_seconds(db_name: str) -> float:
    """CPU of the PostgreSQL backends serving the bench database (their command lines
    name it), when the server runs on this machine: the other half of a request's cost."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if db_name.encode() not in (proc / "cmdline").read_bytes():
                continue
        except OSError:
            continue
        total += cpu_seconds(int(proc.name))
    return total


WRITTEN = ("bookings", "booking_events", "custodial_pending")


def settle(url: str) -> float:
    """After a scenario that writes: vacuum and analyze what it wrote, so that the next
    scenario is not measured beside the maintenance the writes set off (autovacuum
    would run on the core PostgreSQL and the load generator share). Checkpoints keep
    PostgreSQL's own cadence. Seconds taken."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    started = time.perf_counter()
    with psycopg.connect(
        dbname=u.database, user=u.username, password=u.password, host=u.query.get("host", u.host),
        port=_port_of(u), autocommit=True,
    ) as conn:
        conn.execute(f"VACUUM (ANALYZE) {', '.join(WRITTEN)}")
    return time.perf_counter() - started


def _port_of(url: Any) -> int:
    given = url.query.get("port")
    return int(given) if given else int(url.port or 5432)


def median_of(results: list[Result]) -> tuple[float, float, float]:
    return (
        statistics.median(r.rps for r in results),
        statistics.median(r.percentile(50) for r in results),
        statistics.median(r.percentile(99) for r in results),
    )


async def measure(args: argparse.Namespace) -> int:
    db_name = f"jointuse_bench_{os.getpid()}"
    url, reached = create_database(db_name, tcp=args.tcp)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "JOINTUSE_ADMIN_KEY": ADMIN_KEY,
        "JOINTUSE_LOG_LEVEL": "WARNING",
        # Limited, as in production, but far above what one partner key sends here: the
        # scenarios pay the limiter (a statement per slice) and are never refused.
        "JOINTUSE_RATE_LIMIT_PER_MINUTE": "1000000000",
    }
    from app.core.migrate import upgrade

    await asyncio.to_thread(upgrade, url)
    app_port, hello_port, guarded_port = free_port(), free_port(), free_port()
    protocol = "httptools" if args.plain_http else SERVE_PROTOCOL
    app_proc = serve("app.main:app", app_port, env, protocol)
    hello_proc = serve("bench.hello:app", hello_port, env)
    # The protocol's own cost: hello world again, served as `jointuse serve` serves.
    guarded_proc = serve("bench.hello:app", guarded_port, env, SERVE_PROTOCOL)
    try:
        base = f"http://127.0.0.1:{app_port}"
        wait_up(base + "/readyz", app_proc)
        wait_up(f"http://127.0.0.1:{hello_port}/hello", hello_proc)
        wait_up(f"http://127.0.0.1:{guarded_port}/hello", guarded_proc)
        data = seed(base)
        space_ids: list[int] = data["space_ids"]  # type: ignore[assignment]
        secret = str(data["partner"])
        today = datetime.now(UTC).astimezone(LA).date()
        year_space = space_ids[-1]
        made = seed_year(base, secret, year_space, today + timedelta(days=1))
        host = f"127.0.0.1:{app_port}"
        auth = {"Authorization": f"Bearer {secret}"}
        # Each POST scenario books its own half of the spaces.
        posts = post_bodies(space_ids[:-1:2], today + timedelta(days=2), host, secret)
        keyed_posts = post_bodies(
            space_ids[1:-1:2], today + timedelta(days=2), host, secret, idempotent=True
        )
        with httpx.Client(base_url=base, headers=auth) as c:
            ids = [
                b["id"]
                for b in c.get(
                    "/v1/bookings", params={"space_id": year_space, "limit": 200}
                ).json()["items"]
            ]
        gets = [build_request("GET", f"/v1/bookings/{i}", host, headers=auth) for i in ids]
        week_from = datetime.combine(today + timedelta(days=60), datetime.min.time(), LA)
        avail = [build_request(
            "GET",
            f"/v1/spaces/{year_space}/availability?from={week_from.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"
            f"&to={(week_from + timedelta(days=7)).astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}",
            host,
        )]
        # The feed from its start as the partner sees it: 200 events of its year.
        feed = [build_request("GET", "/v1/events?limit=200", host, headers=auth)]
        # The public busy-time feed of the year space's site: every booking of its year.
        with httpx.Client(base_url=base) as c:
            year_site = c.get(f"/v1/spaces/{year_space}").json()["site_id"]
        site_calendar = [build_request("GET", f"/v1/sites/{year_site}/calendar.ics", host)]
        hello = [build_request("GET", "/hello", f"127.0.0.1:{hello_port}")]
        guarded = [build_request("GET", "/hello", f"127.0.0.1:{guarded_port}")]
        scenarios = [
            ("hello world", hello_port, lambda: itertools_cycle(hello)),
            ("hello world, core.protocol", guarded_port, lambda: itertools_cycle(guarded)),
            # Built before each round, as the other scenarios' requests are, so that
            # the load generator spends no more per request here than elsewhere.
            (
                "POST /v1/bookings",
                app_port,
                lambda: itertools.chain(list(itertools.islice(posts, 30_000)), posts),
            ),
            (
                "POST /v1/bookings, keyed",
                app_port,
                lambda: itertools.chain(
                    list(itertools.islice(keyed_posts, 30_000)), keyed_posts
                ),
            ),
            ("GET /v1/bookings/{id}", app_port, lambda: itertools_cycle(gets)),
            ("GET availability (7 days)", app_port, lambda: itertools_cycle(avail)),
            ("GET /v1/events (200)", app_port, lambda: itertools_cycle(feed)),
            ("GET site calendar.ics (year)", app_port, lambda: itertools_cycle(site_calendar)),
        ]
        if args.only:
            scenarios = [
                s for s in scenarios if s[0] == "hello world" or any(o in s[0] for o in args.only)
            ]
        pids = {hello_port: hello_proc.pid, app_port: app_proc.pid, guarded_port: guarded_proc.pid}
        results: dict[str, list[Result]] = {name: [] for name, _, _ in scenarios}
        cpu_ms: dict[str, list[float]] = {name: [] for name, _, _ in scenarios}
        db_ms: dict[str, list[float]] = {name: [] for name, _, _ in scenarios}
        for round_no in range(args.rounds):
            for name, port, source in scenarios:
                print(f"  round {round_no + 1}: {name}", file=sys.stderr, flush=True)
                before, db_before = cpu_seconds(pids[port]), database_cpu_seconds(db_name)
                load_before = time.process_time()
                r = await run(
                    "127.0.0.1", port, source, connections=args.connections, seconds=args.seconds
                )
                # The warm-up's requests are not counted in r, so this slightly overstates.
                cpu_ms[name].append((cpu_seconds(pids[port]) - before) * 1000 / max(r.requests, 1))
                db_ms[name].append(
                    (database_cpu_seconds(db_name) - db_before) * 1000 / max(r.requests, 1)
                )
                load_ms = (time.process_time() - load_before) * 1000 / max(r.requests, 1)
                print(
                    f"    {r.rps:8.0f} req/s, {cpu_ms[name][-1]:.3f} ms server CPU, "
                    f"{db_ms[name][-1]:.3f} ms database CPU, "
                    f"{load_ms:.3f} ms load generator CPU per request",
                    file=sys.stderr,
                    flush=True,
                )
                bad = {s: n for s, n in r.statuses.items() if s >= 300}
                if bad:
                    print(
                        f"  round {round_no + 1} {name}: unexpected statuses {bad}", file=sys.stderr
                    )
                results[name].append(r)
                if name.startswith("POST"):
                    print(f"  settled in {settle(url):.2f}s", file=sys.stderr, flush=True)
        ceiling = median_of(results["hello world"])[0]
        hello_cpu = statistics.median(cpu_ms["hello world"])
        print(f"\njointuse bench: {args.rounds} interleaved rounds x {args.seconds}s, "
              f"{args.connections} connections, 1 server worker, PostgreSQL by {reached}; "
              f"{made} bookings on the availability space")
        print(f"machine: {platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
              f"Python {platform.python_version()}\n")
        # cpu ratio: hello world's server CPU per request over the scenario's, a steadier
        # figure than throughput on a shared machine (the server is what saturates).
        print(
            f"{'scenario':30} {'req/s':>9} {'ratio':>7} {'target':>7} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'cpu ms/req':>11} {'cpu ratio':>10} {'db cpu ms/req':>14}"
        )
        failed = False
        for name, _, _ in scenarios:
            rps, p50, p99 = median_of(results[name])
            ratio = rps / ceiling if ceiling else 0
            target = TARGETS.get(name)
            mark = "" if target is None else (" ok" if ratio >= target else " LOW")
            failed |= mark == " LOW"
            cpu, db_cpu = statistics.median(cpu_ms[name]), statistics.median(db_ms[name])
            print(f"{name:30} {rps:9.0f} {ratio:7.2f} {target or '':>7} {p50:8.2f} {p99:8.2f} "
                  f"{cpu:11.2f} {hello_cpu / cpu if cpu else 0:10.2f} {db_cpu:14.2f}{mark}")
        return 1 if (failed and args.strict) else 0
    finally:
        for proc in (app_proc, hello_proc, guarded_proc):
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_database(db_name)


def itertools_cycle(items: list[bytes]) -> Iterator[bytes]:
    while True:
        yield from items


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--only", action="append", metavar="TEXT",
                        help="run only the scenarios whose name contains TEXT (and hello world)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio is under target")
    parser.add_argument("--plain-http", action="store_true",
                        help="serve jointuse on uvicorn's httptools, not `jointuse serve`'s "
                        "protocol (core.protocol)")
    parser.add_argument("--tcp", action="store_true",
                        help="reach a PostgreSQL on this machine by TCP, not by its Unix socket")
    args = parser.parse_args()
    import uvloop

    sys.exit(uvloop.run(measure(args)))


if __name__ == "__main__":
    main()
