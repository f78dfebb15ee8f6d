"""Helpers for tests that start real processes: free ports, a clean environment,
server processes that are always killed, and their logs shown when a test fails."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest

from app.core import clock
from app.core.clock import SystemClock
from app.core.migrate import upgrade
from tests.conftest import PostgresDatabases

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent

T = TypeVar("T")


@pytest.fixture(autouse=True)
def real_time() -> Iterator[None]:
    """Servers started here run on real time (`clean_env` drops JOINTUSE_TEST_NOW), so
    the dates these tests pick are real dates too, whatever day the run chose."""
    with clock.installed(SystemClock()):
        yield


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**overrides: str) -> dict[str, str]:
    """The test's environment without jointuse settings a developer may have exported."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not (k.startswith("JOINTUSE_") or k in ("DATABASE_URL", "PORT", "WEB_CONCURRENCY"))
    }
    env.update(overrides)
    return env


def poll(check: Callable[[], T | None], *, timeout: float, interval: float = 0.05, what: str) -> T:
    """Call `check` until it returns something other than None, or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def fresh_pg_url(pg_databases: PostgresDatabases, label: str) -> str:
    """A new, empty PostgreSQL database, dropped at the end of the run."""
    return pg_databases.create(f"_{label}_{secrets.token_hex(2)}")


def migrated_url(
    backend: str, workdir: Path, pg_databases: PostgresDatabases, label: str
) -> str:
    """A new database of `backend` (a SQLite file in `workdir`), migrated to head."""
    url = (
        f"sqlite:///{workdir / f'{label}.db'}"
        if backend == "sqlite"
        else fresh_pg_url(pg_databases, label)
    )
    upgrade(url)
    return url


class ServerProcess:
    """A process in its own process group, its stderr in a file; `stop` kills the group."""

    def __init__(
        self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
    ) -> None:
        self.argv = list(argv)
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")

    def wait_ready(self, base_url: str, *, path: str = "/readyz", timeout: float = 30.0) -> None:
        def answered() -> bool | None:
            if self.proc.poll() is not None:
                code = self.proc.returncode
                output = self.output()
                raise RuntimeError(f"{self.argv} exited with {code} before answering:\n{output}")
            try:
                return True if httpx.get(base_url + path, timeout=1.0).status_code == 200 else None
            except httpx.TransportError:
                return None

        try:
            poll(answered, timeout=timeout, interval=0.1, what=f"{base_url}{path}")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}; output so far:\n{self.output()}") from None

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self._signal(signal.SIGTERM)
            with suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        # Workers or a shell may outlive the leader: clear the whole group.
        self._signal(signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(timeout=timeout)
        self._log_file.close()
        return self.proc.returncode

    def _signal(self, sig: signal.Signals) -> None:
        with suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)


@contextmanager
def running(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path, log: Path
) -> Iterator[ServerProcess]:
    """A started process, killed with its whole group however the block ends."""
    server = ServerProcess(argv, env=env, cwd=cwd, log=log)
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Served:
    """A running `jointuse serve` and where it answers."""

    process: ServerProcess
    base_url: str


@contextmanager
def serving(database_url: str, workdir: Path, *, workers: int = 1, **env: str) -> Iterator[Served]:
    """`jointuse serve` on a free port of 127.0.0.1, every worker started, killed at the end.
    The database must be migrated already: the server never makes tables."""
    port = free_port()
    argv = [str(VENV_BIN / "jointuse"), "serve", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip
    environ = clean_env(DATABASE_URL=database_url, **env)
    with running(argv, env=environ, cwd=workdir, log=workdir / "server.log") as process:
        base_url = f"http://127.0.0.1:{port}"
        process.wait_ready(base_url)
        # Ready means one worker answers; callers racing requests want every worker up.
        poll(
            lambda: process.output().count("Application startup complete") >= workers or None,
            timeout=30,
            what=f"{workers} workers to start",
        )
        yield Served(process, base_url)


def _processes_of(item: pytest.Item) -> list[ServerProcess]:
    found = []
    for value in getattr(item, "funcargs", {}).values():
        process = value if isinstance(value, ServerProcess) else getattr(value, "process", None)
        if isinstance(process, ServerProcess):
            found.append(process)
    return found


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing test that used a server shows what the server printed."""
    report = yield
    if report.failed:
        for server in _processes_of(item):
            report.sections.append((f"output of {' '.join(server.argv)}", server.output()))
    return report
