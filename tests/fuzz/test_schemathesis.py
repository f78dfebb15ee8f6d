"""Issue 14: schemathesis with every check (`--checks all`) and every phase (examples,
coverage, fuzzing, stateful) over every operation, against `jointuse serve` holding the
demo partnership, on SQLite and on PostgreSQL: no server error, and no failure but those
a schema cannot express (`hooks.py` drops them, docs/fuzzing.md says why).

Two runs a database: as the admin (everything reachable), and as a community group's
partner key with a second group's key as its peer (what a partner may reach, and that
one cannot read the other's objects). Bounded in `make test`; `make fuzz` sets
JOINTUSE_FUZZ_EXAMPLES (and JOINTUSE_FUZZ_SEED, JOINTUSE_FUZZ_STEPS) for a long run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.core.migrate import upgrade
from tests.conftest import ADMIN_KEY, BACKENDS, PostgresDatabases
from tests.ops.conftest import VENV_BIN, Served, clean_env, fresh_pg_url, serving

HERE = Path(__file__).parent
BASE_CONFIG = HERE / "schemathesis.toml"
REPO = HERE.parents[1]

# `make test`: a few cases per operation and phase (~1-2 minutes a database); `make fuzz`
# raises them.
EXAMPLES = int(os.environ.get("JOINTUSE_FUZZ_EXAMPLES", "5"))
STEPS = int(os.environ.get("JOINTUSE_FUZZ_STEPS", "10"))
SEED = os.environ.get("JOINTUSE_FUZZ_SEED", "20261204")
LONG = EXAMPLES > 20
TIMEOUT_SECONDS = int(os.environ.get("JOINTUSE_FUZZ_TIMEOUT", "600" if not LONG else "14400"))

# Ids the demo data holds, offered to generated cases half the time (the rest are drawn),
# so that operations on one booking or site reach more than a 404.
ID_PARAMETERS = {
    "bookings": ["booking_id", "body.booking_id"],
    "sites": ["site_id", "body.site_id"],
    "spaces": ["space_id", "body.space_id", "parent_space_id", "body.parent_space_id"],
    "agreements": ["agreement_id", "body.agreement_id"],
    # Not the items of `party_ids` and `direct_partner_ids`: drawn from a dictionary one by
    # one, they would repeat, which those arrays' `uniqueItems` forbids.
    "parties": [
        "party_id", "owner_party_id", "body.party_id", "body.owner_party_id",
        "body.incurred_by_party_id",
    ],
    "series": ["series_id"],
    "exceptions": ["exception_id"],
    "items": ["item_id"],
}  # fmt: skip


@dataclass
class Keys:
    partner_a: str
    partner_b: str
    ids: list[int]  # the partner keys' ids, never revoked by the run


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    pg_databases: PostgresDatabases,
) -> Iterator[Served]:
    """`jointuse serve` on a fresh database of the backend holding the demo data (both
    runs of a backend share it: the admin's leaves what it made for the partner's)."""
    backend = str(request.param)
    workdir = tmp_path_factory.mktemp(f"fuzz-{backend}")
    url = (
        f"sqlite:///{workdir / 'fuzz.db'}"
        if backend == "sqlite"
        else fresh_pg_url(pg_databases, "fuzz")
    )
    upgrade(url)
    loaded = subprocess.run(
        [str(VENV_BIN / "jointuse"), "demo-data"], env=clean_env(DATABASE_URL=url),
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stdout[-3000:] + loaded.stderr[-3000:]
    # Thousands of requests a minute with one partner key: unlimited (tests/ratelimits).
    with serving(
        url, workdir, JOINTUSE_ADMIN_KEY=ADMIN_KEY, JOINTUSE_RATE_LIMIT_PER_MINUTE="0"
    ) as served:
        yield served


def admin_client(server: Served) -> httpx.Client:
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=30)


def items(client: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    """The first page of a list, or nothing if the caller may not read it."""
    r = client.get(path, params={"limit": 200, **params})
    if r.status_code == 403:
        return []
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def partner_keys(client: httpx.Client) -> Keys:
    """Keys of two community groups that book under the demo's agreements."""
    groups = list(
        dict.fromkeys(p for a in items(client, "/v1/agreements") for p in a["direct_partner_ids"])
    )
    assert len(groups) >= 2, "the demo data names fewer than two direct partners"
    made = []
    for party_id in groups[:2]:
        r = client.post(
            "/v1/api-keys", json={"party_id": party_id, "role": "partner", "name": "fuzz partner"}
        )
        assert r.status_code == 201, r.text
        made.append(r.json())
    return Keys(made[0]["secret"], made[1]["secret"], [k["id"] for k in made])


def known_ids(client: httpx.Client) -> dict[str, list[int]]:
    """Ids of what the caller sees: the partner's own bookings for its run, so that what
    it reads is its own and its peer's replay means something."""
    bookings = items(client, "/v1/bookings") + items(client, "/v1/bookings", status="requested")
    sites = items(client, "/v1/sites")
    agreements = items(client, "/v1/agreements")
    ids = {
        "bookings": [b["id"] for b in bookings],
        "sites": [s["id"] for s in sites],
        "spaces": [s["id"] for s in items(client, "/v1/spaces")],
        "agreements": [a["id"] for a in agreements],
        "parties": [p["id"] for p in items(client, "/v1/parties")],
        "series": [b["series_id"] for b in bookings if b["series_id"] is not None],
        "exceptions": [
            e["id"]
            for s in sites[:10]
            for e in items(client, f"/v1/sites/{s['id']}/calendar-exceptions")
        ],
        "items": [
            i["id"]
            for a in agreements
            for i in items(client, f"/v1/agreements/{a['id']}/cost-items")
        ],
    }
    return {name: sorted(set(values))[:200] for name, values in ids.items() if values}


def toml_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string


def run_config(
    server: Served, workdir: Path, *, identity: str, keys: Keys, ids: dict[str, list[int]]
) -> Path:
    """The committed settings and this run's: where, as whom, which ids, how long."""
    # Top-level keys first: in TOML, a key after a table's header is that table's.
    lines = [
        f"base-url = {toml_string(server.base_url)}",
        'hooks = "tests.fuzz.hooks"',  # imported from REPO (PYTHONPATH)
        f"seed = {int(SEED)}",
        "request-timeout = 30",
        f"phases.stateful.max-steps = {STEPS}",
    ]
    if identity == "admin":
        lines.append(f"headers = {{ Authorization = {toml_string('Bearer ' + ADMIN_KEY)} }}")
    lines.append(BASE_CONFIG.read_text())
    if identity != "admin":
        wfc = workdir / "identities.json"
        wfc.write_text(json.dumps({"auth": [
            {"name": name, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {key}"}]}
            for name, key in (("partner_a", keys.partner_a), ("partner_b", keys.partner_b))
        ]}))  # fmt: skip
        lines += [
            "[auth.wfc]",
            f"path = {toml_string(str(wfc))}",
            'user = "partner_a"',
            'peers = ["partner_a", "partner_b"]',
        ]
    lines.append("[parameters]")
    for name, keys_of in ID_PARAMETERS.items():
        if name in ids:
            for key in keys_of:
                lines.append(f'{toml_string(key)} = {{ dictionary = "{name}", probability = 0.5 }}')
    for name, values in ids.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}"]
    config = workdir / f"schemathesis-{identity}.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


def phases(identity: str) -> str:
    """Every phase; but the bounded partner run leaves out `coverage`, whose cases (each
    keyword's boundaries, each field missing) the admin's run has just sent."""
    if identity == "partner" and not LONG:
        return "examples,fuzzing,stateful"
    return "examples,coverage,fuzzing,stateful"


def schemathesis(
    config: Path, server: Served, workdir: Path, keys: Keys, identity: str
) -> tuple[int, str]:
    dropped = workdir / "dropped.jsonl"
    argv = [
        str(VENV_BIN / "schemathesis"), "--config-file", str(config),
        "run", f"{server.base_url}/openapi.json",
        "--checks", "all", "--phases", phases(identity),
        "--max-examples", str(EXAMPLES), "--no-color",
        "--report", "junit", "--report-dir", str(workdir / "report"),
    ]  # fmt: skip
    if LONG:
        argv.append("--continue-on-failure")
    run = subprocess.run(
        argv, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, cwd=workdir,
        env=clean_env(
            PYTHONPATH=str(REPO),
            JOINTUSE_FUZZ_DROPPED=str(dropped),
            JOINTUSE_FUZZ_KEEP_KEY_IDS=",".join(map(str, keys.ids)),
        ),
    )  # fmt: skip
    return run.returncode, run.stdout + run.stderr


# The lines of schemathesis' report that say what failed: each failure's operation, check,
# answer and `curl`, and the summary.
REPORT_LINES = re.compile(r"^(_{3,} .* _{3,}|- ST\d+ .*|\[\d{3}\] .*|    `.*|    curl .*)$")


def condensed(output: str, *, width: int = 400) -> str:
    body, _, summary = output.partition("=" * 35 + " SUMMARY ")
    kept = [line[:width] for line in body.splitlines() if REPORT_LINES.match(line)]
    return "\n".join(kept) + "\n\nSUMMARY " + summary


def dropped_reasons(workdir: Path) -> Counter[str]:
    path = workdir / "dropped.jsonl"
    if not path.exists():
        return Counter()
    rows = {line for line in path.read_text().splitlines() if line}
    return Counter(json.loads(row)["reason"] for row in rows)


@pytest.mark.slow
@pytest.mark.parametrize("identity", ["admin", "partner"])
def test_generated_requests_find_no_failure_a_schema_could_express(
    server: Served, identity: str, tmp_path: Path
) -> None:
    with admin_client(server) as client:
        keys = partner_keys(client)
        if identity == "admin":
            ids = known_ids(client)
        else:
            client.headers["Authorization"] = f"Bearer {keys.partner_a}"
            ids = known_ids(client)
    config = run_config(server, tmp_path, identity=identity, keys=keys, ids=ids)
    started = time.monotonic()
    code, output = schemathesis(config, server, tmp_path, keys, identity)
    took = time.monotonic() - started
    (tmp_path / "schemathesis.txt").write_text(output)
    reasons = dropped_reasons(tmp_path)
    summary = ", ".join(f"{name} on {n}" for name, n in sorted(reasons.items()))
    print(f"schemathesis as {identity}, seed {SEED}: {took:.0f} s; ", end="")
    print("operations whose failures were dropped, by reason: ", end="")
    print(summary or "none")
    assert code == 0, f"{tmp_path / 'schemathesis.txt'}:\n{condensed(output)}"
    with admin_client(server) as client:
        for secret in (keys.partner_a, keys.partner_b):
            r = client.get("/v1/parties", headers={"Authorization": f"Bearer {secret}"})
            assert r.status_code == 200, "the run revoked its own key: " + r.text

