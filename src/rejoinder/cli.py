"""The ``rejoinder`` command: serve, migrate, and administration tasks."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from rejoinder.settings import Settings

app = typer.Typer(
    help="Rejoinder: the comment section for every page on the web.", no_args_is_help=True
)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")
identity_app = typer.Typer(help="Imported authors.", no_args_is_help=True)
app.add_typer(identity_app, name="identity")
console = Console(stderr=True)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
) -> None:
    """Serve the web app and the API."""
    import uvicorn

    settings = Settings()
    if workers is not None:
        # Each worker builds its own Settings from the environment, and must know it is
        # not alone (the thread cache stays off on PostgreSQL without Redis, for one).
        os.environ["REJOINDER_WORKERS"] = str(workers)
    console.print(f"Rejoinder on http://{host or settings.host}:{port or settings.port}")
    uvicorn.run(
        "rejoinder.app:serve_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        proxy_headers=False,  # the app reads X-Forwarded-For itself, from trusted proxies only
        server_header=False,
        log_level="info",
        access_log=settings.access_log,
        # Live streams never finish on their own: without a limit, a restart would wait up
        # to their lifetime. Cut them after 5 s; browsers reconnect to the new process.
        timeout_graceful_shutdown=5,
    )


@app.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads",
) -> None:
    """Bring the database schema up to date (or to REVISION)."""
    from rejoinder.db import migrate as migrations

    settings = Settings()
    migrations.upgrade(settings, revision)
    console.print(f"[green]Database at {revision}[/green]")


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@user_app.command("create")
def create_user(
    name: Annotated[str, typer.Argument(help="Username.")],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account an admin.")] = False,
    email: Annotated[str | None, typer.Option(help="E-mail address.")] = None,
) -> None:
    """Create an account; the password comes from a prompt, or from stdin when piped."""
    from pydantic import ValidationError

    from rejoinder.accounts.models import Role
    from rejoinder.accounts.schemas import AccountCreate
    from rejoinder.errors import RejoinderError

    try:
        data = AccountCreate(username=name, password=_read_password(), email=email)
    except ValidationError as exc:
        for error in exc.errors():
            console.print(f"[red]{'.'.join(map(str, error['loc']))}: {error['msg']}[/red]")
        raise typer.Exit(2) from None
    role = Role.ADMIN if admin else Role.USER
    try:
        asyncio.run(_create_user(data, role))
    except RejoinderError as exc:
        console.print(f"[red]{exc.detail}[/red]")
        raise typer.Exit(1) from None
    console.print(f"[green]Created {role.value} {name}[/green]")


async def _create_user(data: object, role: object) -> None:
    from rejoinder.accounts.models import Role
    from rejoinder.accounts.schemas import AccountCreate
    from rejoinder.accounts.service import AccountService
    from rejoinder.db.engine import Database
    from rejoinder.moderation.limits import MemoryRateLimiter

    assert isinstance(data, AccountCreate)
    assert isinstance(role, Role)
    settings = Settings()
    db = Database(settings)
    try:
        async with db.write_session() as session:
            service = AccountService(session, settings, MemoryRateLimiter())
            await service.register(data.username, data.password, data.email, role=role)
            await session.commit()
    finally:
        await db.dispose()


@user_app.command("role")
def set_user_role(
    name: Annotated[str, typer.Argument(help="Username.")],
    role: Annotated[str, typer.Argument(help="user, moderator or admin.")],
) -> None:
    """Appoint a moderator or admin (or make one a user again)."""
    from rejoinder.accounts.models import Role
    from rejoinder.errors import RejoinderError

    try:
        new_role = Role(role)
    except ValueError:
        console.print(f"Role must be one of: {', '.join(r.value for r in Role)}", style="red")
        raise typer.Exit(2) from None
    try:
        asyncio.run(_set_role(name, new_role))
    except RejoinderError as exc:
        console.print(exc.detail, markup=False, style="red")
        raise typer.Exit(1) from None
    console.print(f"{name} is now {new_role.value}", markup=False, style="green")


async def _set_role(name: str, role: object) -> None:
    from rejoinder.accounts.models import Role
    from rejoinder.db.engine import Database
    from rejoinder.moderation.roles import set_role

    assert isinstance(role, Role)
    db = Database(Settings())
    try:
        async with db.write_session() as session:
            await set_role(session, name, role, actor=None)
            await session.commit()
    finally:
        await db.dispose()


@app.command("fetch")
def fetch_page(
    url: Annotated[str, typer.Argument(help="The page to fetch.")],
    store: Annotated[
        bool, typer.Option(help="Update the page's discussion, if it has one, with the result.")
    ] = True,
) -> None:
    """Fetch a page now (as the background fetcher would) and print its metadata."""
    from rejoinder.errors import RejoinderError
    from rejoinder.fetching.manual import METADATA_FIELDS, fetch_now
    from rejoinder.fetching.safe_http import FetchError

    try:
        result = asyncio.run(fetch_now(Settings(), url, store=store))
    except (RejoinderError, FetchError) as exc:
        console.print(f"Not fetched: {exc}", markup=False, style="red")
        raise typer.Exit(1) from None
    meta = result.metadata
    # Page text is hostile: plain echo (no rich markup), control characters already removed.
    typer.echo(f"url: {result.page.url}")
    for name in METADATA_FIELDS:
        value = getattr(meta, name)
        if value is not None:
            typer.echo(f"{name}: {value}")
    typer.echo(f"text: {len(meta.text)} characters, sha256 {meta.text_sha256}")
    if result.page_id is not None:
        typer.echo(f"stored on page {result.page_id}")


@app.command("import")
def import_comments(
    fmt: Annotated[
        str,
        typer.Argument(metavar="FORMAT", help="disqus, wordpress, isso, text or rejoinder-json."),
    ],
    file: Annotated[Path, typer.Argument(help="The export file (Isso: its comments.db).")],
    site: Annotated[
        str | None, typer.Option(help="The site's address (Isso stores paths only).")
    ] = None,
    url: Annotated[str | None, typer.Option(help="The article's address (text format).")] = None,
    keep_spam: Annotated[bool, typer.Option("--keep-spam", help="Import spam, as spam.")] = False,
    keep_deleted: Annotated[
        bool, typer.Option("--keep-deleted", help="Keep deleted comments as placeholders.")
    ] = False,
) -> None:
    """Import comments from another system; the whole file or, on any error, nothing."""
    from rejoinder.importers.cli import run_import

    raise typer.Exit(run_import(console, fmt, file, site, url, keep_spam, keep_deleted))


@app.command("export")
def export_comments(
    fmt: Annotated[
        str, typer.Argument(metavar="FORMAT", help="rejoinder-json, web-annotation or csv.")
    ],
    page: Annotated[str | None, typer.Option(help="One page, by any of its URLs.")] = None,
    site: Annotated[str | None, typer.Option(help="Every page of a host.")] = None,
    all_pages: Annotated[bool, typer.Option("--all", help="The whole instance.")] = False,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="File to write.")] = None,
) -> None:
    """Export comments of a page, a site or the whole instance (to stdout without -o)."""
    from rejoinder.exports.cli import run_export

    raise typer.Exit(run_export(console, fmt, page, site, all_pages, output))


@identity_app.command("claim")
def claim_identity(
    identity: Annotated[int, typer.Argument(help="Imported identity id.", min=1)],
    account: Annotated[str, typer.Argument(help="Username of the account.")],
) -> None:
    """Make an imported author's comments show as an account's."""
    from rejoinder.importers.cli import run_claim

    raise typer.Exit(run_claim(console, identity, account))
