"""No Docker engine runs here, so the Dockerfile's own commands are run instead:
its COPY lines into a build directory, its `pip install` in a fresh venv, its ENV,
its CMD (migrate, then serve) and its HEALTHCHECK, against a temporary SQLite file."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import httpx
import pytest
from alembic.script import ScriptDirectory

from app.core.migrate import alembic_config
from tests.ops.conftest import REPO, ServerProcess, clean_env, free_port, running

pytestmark = pytest.mark.slow

DOCKERFILE = REPO / "Dockerfile"


@dataclass
class Dockerfile:
    """The instructions these tests act on, read the way `docker build` reads them."""

    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    # (sources, destination, workdir at the time)
    copies: list[tuple[list[str], str, str]] = field(default_factory=list)
    # (shell command, workdir at the time)
    installs: list[tuple[str, str]] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)
    healthcheck: str = ""
    user: str = ""
    workdir: str = "/"
    exposed: list[str] = field(default_factory=list)

    @property
    def start_command(self) -> list[str]:
        return [*self.entrypoint, *self.cmd]


def instructions(text: str) -> Iterator[tuple[str, str]]:
    logical = ""
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.rstrip().endswith("\\"):
            logical += line.rstrip()[:-1] + " "
            continue
        logical += line
        keyword, _, args = logical.strip().partition(" ")
        yield keyword.upper(), args.strip()
        logical = ""


def exec_or_shell(args: str) -> list[str]:
    return json.loads(args) if args.startswith("[") else ["/bin/sh", "-c", args]


def parse(text: str) -> Dockerfile:
    df = Dockerfile()
    for keyword, args in instructions(text):
        if keyword == "FROM":
            df.base = args.split()[0]
        elif keyword == "ENV":
            df.env.update(dict(pair.split("=", 1) for pair in shlex.split(args)))
        elif keyword == "WORKDIR":
            df.workdir = str(PurePosixPath(df.workdir, args))
        elif keyword == "COPY":
            parts = [
                p
                for p in (json.loads(args) if args.startswith("[") else args.split())
                if not p.startswith("--")
            ]
            df.copies.append((parts[:-1], parts[-1], df.workdir))
        elif keyword == "RUN" and re.search(r"\bpip install\b", args):
            df.installs.append((args, df.workdir))
        elif keyword == "CMD":
            df.cmd = exec_or_shell(args)
        elif keyword == "ENTRYPOINT":
            df.entrypoint = exec_or_shell(args)
        elif keyword == "HEALTHCHECK":
            df.healthcheck = re.sub(r"^.*?\bCMD\s+", "", args)
        elif keyword == "USER":
            df.user = args
        elif keyword == "EXPOSE":
            df.exposed += args.split()
    return df


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse(DOCKERFILE.read_text())


def interpreter_for(base: str) -> str:
    """The image's Python version when this machine has it, else the one running the tests."""
    match = re.match(r"python:(\d+\.\d+)", base)
    candidate = shutil.which(f"python{match.group(1)}") if match else None
    if candidate is None:
        return sys.executable
    works = subprocess.run([candidate, "-c", "import venv"], capture_output=True, check=False)
    return candidate if works.returncode == 0 else sys.executable  # e.g. a pyenv shim


@dataclass
class Image:
    """A stand-in for the built image: a root directory (`/` of the image) and a venv
    whose bin is first on PATH, as /usr/local/bin is in the python image."""

    root: Path
    venv: Path
    dockerfile: Dockerfile

    def path(self, image_path: str) -> Path:
        return self.root / PurePosixPath(image_path).relative_to("/")

    def env(self, **overrides: str) -> dict[str, str]:
        env = clean_env(**self.dockerfile.env)
        env.pop("VIRTUAL_ENV", None)
        env["PATH"] = f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env.update(overrides)
        return env


@pytest.fixture(scope="module")
def image(dockerfile: Dockerfile, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Image]:
    """`docker build`, without Docker: the COPY lines and the pip install lines."""
    root = tmp_path_factory.mktemp("image")
    venv_dir = root / "venv"
    python = interpreter_for(dockerfile.base)
    subprocess.run([python, "-m", "venv", str(venv_dir)], check=True)
    built = Image(root, venv_dir, dockerfile)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for sources, dest, workdir in dockerfile.copies:
        target = built.path(str(PurePosixPath(workdir, dest)))
        for source in sources:
            src = REPO / source
            assert src.exists(), f"Dockerfile copies {source}, which is not in the repository"
            if src.is_dir():
                shutil.copytree(src, target, ignore=ignore, dirs_exist_ok=True)
            else:
                into = target / src.name if dest.endswith("/") or len(sources) > 1 else target
                into.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, into)
    assert dockerfile.installs, "the Dockerfile has no `RUN pip install` line"
    for command, workdir in dockerfile.installs:
        cwd = built.path(workdir)
        cwd.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            ["/bin/sh", "-c", command],
            check=False,
            cwd=cwd,
            env=built.env(),
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"{command!r} failed:\n{done.stdout}\n{done.stderr}"
    yield built
    shutil.rmtree(root, ignore_errors=True)  # a whole venv: not worth keeping between runs


@dataclass
class Container:
    process: ServerProcess
    base_url: str
    env: dict[str, str]
    cwd: Path


@pytest.fixture(scope="module")
def container(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """`docker run`: the image's start command with its ENV, the database in a temporary
    data directory (the /data volume) and the port moved to a free one."""
    data = tmp_path_factory.mktemp("data")
    port = free_port()
    env = image.env(DATABASE_URL=f"sqlite:///{data / 'jointuse.db'}", PORT=str(port))
    start = image.dockerfile.start_command
    with running(start, env=env, cwd=data, log=data / "container.log") as process:
        base_url = f"http://127.0.0.1:{port}"
        process.wait_ready(base_url, path="/healthz", timeout=60)
        yield Container(process, base_url, env, data)


def test_the_image_runs_as_a_non_root_user(dockerfile: Dockerfile) -> None:
    assert dockerfile.user and dockerfile.user.split(":")[0] not in ("root", "0")


def test_the_image_is_a_slim_python_3_12(dockerfile: Dockerfile) -> None:
    assert re.fullmatch(r"python:3\.12(\.\d+)?-slim(-\w+)?", dockerfile.base), dockerfile.base


def test_the_image_exposes_8000_and_keeps_its_database_in_the_data_volume(
    dockerfile: Dockerfile,
) -> None:
    assert "8000" in dockerfile.exposed
    assert dockerfile.env["DATABASE_URL"] == "sqlite:////data/jointuse.db"


def test_the_start_command_migrates_before_it_serves(dockerfile: Dockerfile) -> None:
    command = " ".join(dockerfile.start_command)
    assert 0 <= command.find("jointuse migrate") < command.find("jointuse serve")


def test_the_started_image_answers_healthz(container: Container) -> None:
    r = httpx.get(container.base_url + "/healthz", timeout=5)
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_the_started_image_answers_readyz(container: Container) -> None:
    r = httpx.get(container.base_url + "/readyz", timeout=5)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}


def test_the_start_command_migrated_the_database_to_head(container: Container) -> None:
    with sqlite3.connect(container.cwd / "jointuse.db") as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    assert version == (ScriptDirectory.from_config(alembic_config()).get_current_head(),)
    # ... and the API reads the schema it made.
    assert httpx.get(container.base_url + "/v1/sites", timeout=5).status_code == 200


def test_the_healthcheck_command_passes_against_the_running_image(
    dockerfile: Dockerfile, container: Container
) -> None:
    assert dockerfile.healthcheck, "the Dockerfile has no HEALTHCHECK"
    done = subprocess.run(
        exec_or_shell(dockerfile.healthcheck),
        env=container.env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_the_healthcheck_command_fails_when_nothing_answers(
    dockerfile: Dockerfile, image: Image
) -> None:
    env = image.env(PORT=str(free_port()))
    done = subprocess.run(
        exec_or_shell(dockerfile.healthcheck), env=env, capture_output=True, timeout=30, check=False
    )
    assert done.returncode != 0


def test_the_package_is_installed_into_the_environment_not_linked_to_the_source(
    container: Container, image: Image
) -> None:
    where = subprocess.run(
        ["python", "-c", "import app, migrations; print(app.__file__); print(migrations.__file__)"],
        env=container.env,
        cwd=container.cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(Path(p).is_relative_to(image.venv) for p in where), where
