"""GET /metrics on a server of several worker processes counts every worker's requests
(prometheus-client's multiprocess mode, set up by `jointuse serve --workers N`)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.core.migrate import upgrade
from tests.conftest import ADMIN, ADMIN_KEY
from tests.ops.conftest import serving

pytestmark = pytest.mark.slow

REQUESTS = 40


def test_metrics_count_the_requests_of_every_worker(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'metrics.db'}"
    upgrade(url)
    with serving(url, tmp_path, workers=2, JOINTUSE_ADMIN_KEY=ADMIN_KEY) as served:
        pids = set()
        for _ in range(REQUESTS):
            # A connection each: the kernel hands them to either worker.
            with httpx.Client(base_url=served.base_url) as c:
                assert c.get("/healthz").status_code == 200
        text = httpx.get(served.base_url + "/metrics", headers=ADMIN).text
        for line in served.process.output().splitlines():
            if "Started server process" in line:
                pids.add(line.split("[")[-1].split("]")[0])
    counted = sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "jointuse_http_requests_total" and s.labels.get("route") == "/healthz"
    )
    assert len(pids) >= 2
    assert counted == REQUESTS
