"""The `jointuse` command."""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Annotated

import typer

from app.core.auth import Role
from app.core.config import ConfigError, Settings, get_settings

cli = typer.Typer(
    help="jointuse: joint-use facility bookings", no_args_is_help=True, add_completion=False
)


def _settings() -> Settings:
    try:
        return get_settings()
    except ConfigError as exc:
        typer.secho(f"configuration error: {exc}", fg="red", err=True)
        raise typer.Exit(2) from None


def _require_database(settings: Settings) -> None:
    """One clear line, not a traceback, when the database cannot be reached."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from app.core.db import create_engine

    async def ping() -> None:
        engine = create_engine(settings)
        try:
            async with asyncio.timeout(settings.db_timeout_seconds):
                async with engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    try:
        asyncio.run(ping())
    except (OSError, DBAPIError, TimeoutError) as exc:
        where = settings.async_url.render_as_string(hide_password=True)
        reason = getattr(exc, "orig", None) or exc
        message = str(reason) or type(reason).__name__  # a TimeoutError has no text
        typer.secho(f"cannot reach the database {where}: {message}", fg="red", err=True)
        raise typer.Exit(1) from None


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Bring the database to the latest (or the given) Alembic revision."""
    from app.core.migrate import upgrade

    settings = _settings()
    _require_database(settings)
    upgrade(settings.database_url, revision)
    typer.echo(f"database at revision {revision}")


@cli.command("demo-data")
def demo_data(
    force: Annotated[bool, typer.Option(help="Replace the data of a non-empty database")] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing (and succeed) if the database has data")
    ] = False,
) -> None:
    """Load the demo partnership: the City of Sacramento, its school districts, sites."""
    from app.demo import DatabaseNotEmpty, DatabaseNotMigrated, load_demo_data

    settings = _settings()
    _require_database(settings)
    try:
        summary = asyncio.run(load_demo_data(settings, force=force, progress=True))
    except DatabaseNotMigrated as exc:
        typer.secho(str(exc), fg="red", err=True)
        raise typer.Exit(1) from None
    except DatabaseNotEmpty:
        if if_empty:
            typer.echo("database already has data; demo data not loaded")
            return
        typer.secho(
            "the database is not empty; use --force to replace its data", fg="red", err=True
        )
        raise typer.Exit(1) from None
    typer.echo("loaded: " + ", ".join(f"{n} {what}" for what, n in summary.items()))


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Serve the API with uvicorn (uvloop, httptools with the limits of `core.protocol`)."""
    import uvicorn

    from app.core.logs import uvicorn_log_config

    settings = _settings()
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # One /metrics view of every worker process (prometheus-client's multiprocess
        # mode): a fresh folder, set before the workers start and import the metrics.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="jointuse-metrics-")
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        # httptools, with bounded heads and timed-out slow requests (431, 408).
        http="app.core.protocol:HttpProtocol",
        ws="none",  # no WebSocket routes: an upgrade request is answered as plain HTTP
        access_log=False,  # our own, optional, JSON access log is JOINTUSE_ACCESS_LOG
        log_config=uvicorn_log_config(settings.log_level),
        proxy_headers=True,
    )


@cli.command("create-api-key")
def create_api_key(
    party: Annotated[int | None, typer.Option(help="Party id the key acts for")] = None,
    role: Annotated[Role, typer.Option(help="admin, manager or partner")] = Role.partner,
    name: Annotated[str, typer.Option(help="A label for the key")] = "cli",
) -> None:
    """Make an API key and print its secret (shown only this once)."""
    from app.core.db import Database, create_engine
    from app.core.errors import DomainError
    from app.keys.service import create_api_key as make_key

    settings = _settings()
    _require_database(settings)

    async def run() -> str:
        db = Database.for_engine(create_engine(settings))
        try:
            async with db.write_sessions() as session, session.begin():
                _, secret = await make_key(session, party_id=party, role=role, name=name)
            return secret
        finally:
            await db.engine.dispose()

    try:
        typer.echo(asyncio.run(run()))
    except DomainError as exc:
        typer.secho(str(exc.detail), fg="red", err=True)
        raise typer.Exit(1) from None


@cli.command()
def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Stop when nothing is left to deliver now")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Deliveries taken at a time")] = 200,
    concurrency: Annotated[
        int, typer.Option(min=1, max=512, help="Deliveries sent at once")
    ] = 64,
) -> None:
    """Deliver webhooks: the change feed's events, signed, retried for 24 hours. Run one
    or more (on PostgreSQL, on any number of hosts; on SQLite, one). Stops on SIGTERM."""
    from app.core.logs import configure_logging
    from app.webhooks.worker import serve

    settings = _settings()
    configure_logging(settings.log_level)
    _require_database(settings)
    # On uvloop, as `jointuse serve` runs (uvicorn[standard] installs it).
    import uvloop

    uvloop.run(serve(settings, once=once, batch=batch, concurrency=concurrency))


def main() -> None:
    cli()
