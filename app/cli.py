"""Admin commands: python -m app <command>; `python -m app --help` lists them."""

import argparse
import asyncio
import gc
import getpass
import secrets
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit_service
from app.auth import mfa
from app.auth import service as auth_service
from app.clients import service as client_service
from app.clients.schemas import ClientCreate
from app.config import get_settings
from app.db import create_engine, create_sessionmaker, keep_files_private
from app.errors import AppError
from app.idempotency import service as idempotency_service
from app.persons.imports import ImportRejected, run_import
from app.regions import service as region_service
from app.security.policy import Role
from app.security.principal import system_actor
from app.users import service as user_service
from app.users.models import User
from app.users.schemas import UserCreate


async def _in_transaction(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    engine = create_engine(get_settings())
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    try:
        return asyncio.run(_in_transaction(work))
    except (AppError, ValidationError) as exc:
        sys.exit(f"error: {exc}")


def bootstrap(_: argparse.Namespace) -> None:
    """Load regions; create `admin` if there are no users (random password printed once)."""
    settings = get_settings()

    async def work(session: AsyncSession) -> None:
        added = await region_service.ensure_loaded(session)
        if added:
            print(f"regions: loaded {added}")
        if settings.environment == "production" and not settings.bootstrap_admin_password:
            # A generated password would end up in the container's logs.
            if not await user_service.any_users(session):
                print("admin: none created; set REINTEGRASI_BOOTSTRAP_ADMIN_PASSWORD or run create-admin")
            return
        password = settings.bootstrap_admin_password or secrets.token_urlsafe(18)
        if await user_service.ensure_admin(session, password):
            if settings.bootstrap_admin_password:
                print("admin: created with REINTEGRASI_BOOTSTRAP_ADMIN_PASSWORD")
            else:
                print(f"admin: created; password (shown once): {password}")
            if settings.mfa_required:
                # Not printed here: a container's logs would hold it beside the password's setting.
                print("admin: enrol a second factor with a code from `python -m app users enrolment-code`")

    _run(work)


def create_admin(args: argparse.Namespace) -> None:
    """Create an admin user interactively."""
    password = getpass.getpass("password (12+ characters): ")
    if password != getpass.getpass("again: "):
        sys.exit("error: the passwords differ")

    async def work(session: AsyncSession) -> None:
        data = UserCreate(
            username=args.username, full_name=args.full_name, password=password, role=Role.admin
        )
        user = await user_service.create(session, None, data)
        print(f"admin {user.username} created ({user.id})")
        if mfa.required_for(user):
            await _print_enrolment_code(session, user)

    _run(work)


async def _print_enrolment_code(session: AsyncSession, user: User) -> None:
    issued = await mfa.issue_enrolment_code(session, system_actor(), user)
    until = f"{issued.expires_at:%Y-%m-%d %H:%M} UTC"
    print(f"enrolment code for {user.username} (shown once, valid until {until}): {issued.code}")


def enrolment_code(args: argparse.Namespace) -> None:
    """A one-time code for a user to enrol a second factor (the first admin, or a lost last admin)."""

    async def work(session: AsyncSession) -> None:
        user = await user_service.find_by_username(session, args.username)
        if user is None:
            sys.exit(f"error: no user {args.username}")
        await _print_enrolment_code(session, user)

    _run(work)


def create_client(args: argparse.Namespace) -> None:
    """Create an API client; the secret is printed once."""

    async def work(session: AsyncSession) -> None:
        data = ClientCreate(name=args.name, role=Role(args.role), agency_id=args.agency)
        client, secret = await client_service.create(session, None, data)
        print(f"client_id: {client.client_id}\nclient_secret (shown once): {secret}")

    _run(work)


def import_regions(args: argparse.Namespace) -> None:
    """Upsert regions from an official CSV; nothing is deleted."""
    try:
        rows = region_service.read_file(Path(args.file))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        sys.exit(f"error: {exc}")

    async def work(session: AsyncSession) -> None:
        added, changed = await region_service.import_rows(session, rows)
        print(f"regions: {added} added, {changed} changed, {len(rows) - added - changed} unchanged")

    _run(work)


def _count_lines(path: Path) -> int:
    """Lines of a file, read in blocks (for the progress bar; the file may be large)."""
    with path.open("rb") as handle:
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def import_persons(args: argparse.Namespace) -> None:
    """Import persons from CSV into a site: all rows or none (the same checks as the API)."""
    path = Path(args.file)
    try:
        total = max(_count_lines(path) - 1, 1)
        source = path.open("rb")  # read a chunk at a time by the import: memory stays flat
    except OSError as exc:
        sys.exit(f"error: {exc}")

    def progress(done: int) -> None:
        filled = min(int(30 * done / total), 30)
        print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)

    async def work(session: AsyncSession) -> None:
        try:
            report = await run_import(
                session, system_actor(), args.site, source, dry_run=args.dry_run, progress=progress
            )
        except ImportRejected as exc:
            print(file=sys.stderr)  # end the progress bar's line
            for error in exc.extra["errors"]:
                print(f"row {error['row']}, {error['column'] or '-'}: {error['message']}", file=sys.stderr)
            sys.exit(f"error: {exc.detail}")
        print(file=sys.stderr)
        verb = "would create" if report.dry_run else "created"
        print(f"{report.rows} rows valid; {verb} {report.rows if report.dry_run else report.created}")

    # The import makes millions of short-lived objects; frozen, the ~100k long-lived ones of the
    # loaded modules are no longer rescanned by each collection (a quarter of the CPU otherwise).
    gc.freeze()
    with source:
        _run(work)


def purge(_: argparse.Namespace) -> None:
    """Delete expired tokens, sign-in failures, idempotency keys and old anonymous denial counts."""

    async def work(session: AsyncSession) -> None:
        signed_in = await auth_service.purge_expired(session)
        keys = await idempotency_service.purge_expired(session)
        counts = await audit_service.purge_denial_counts(session, get_settings().audit_denial_retention_days)
        print(
            f"purged {signed_in.tokens} tokens, {signed_in.sessions} ended sessions, {signed_in.codes} codes,"
            f" {keys} idempotency keys, {counts} anonymous denial counts"
        )

    _run(work)


def audit_seal(_: argparse.Namespace) -> None:
    """Seal the audit events that are due and anchor the chain's head (file or URL, as configured)."""
    from app.audit import chain  # only these commands need it

    async def work() -> None:
        settings = get_settings()
        engine = create_engine(settings)
        try:
            made = await chain.seal_pending(create_sessionmaker(engine), settings, max_batches=1_000_000)
            async with create_sessionmaker(engine)() as session:
                line = await chain.anchor(session, settings)
        finally:
            await engine.dispose()
        print(f"sealed {made} batches" + (f"; head anchored: seal {line['seal']}" if line else ""))

    asyncio.run(work())


def audit_verify(args: argparse.Namespace) -> None:
    """Check the audit trail's seals, row hashes and anchored heads; exit 1 at the first break."""
    from app.audit import chain

    settings = get_settings()
    path = args.anchors or settings.audit_anchor_file
    anchors = chain.read_anchors(path) if path else []

    async def work(session: AsyncSession) -> chain.Verification:
        return await chain.verify(session, settings, anchors)

    result = _run(work)
    print(
        f"seals {result.seals}, sealed events {result.sealed_events}, unsealed events "
        f"{result.unsealed_events}, anchors {result.anchors}"
    )
    if result.first_break is not None:
        found = result.first_break
        sys.exit(f"BROKEN: {found.kind} at seal {found.seal}, event {found.event_id}: {found.detail}")
    print("ok: the audit trail matches its seals and anchors")


def grant_runtime(args: argparse.Namespace) -> None:
    """PostgreSQL, as the tables' owner: let a runtime role run the app (audit tables: INSERT, SELECT)."""
    from sqlalchemy import text

    from app.db import runtime_grants

    if get_settings().is_sqlite:
        sys.exit("error: roles are PostgreSQL's; SQLite has none")
    try:
        statements = runtime_grants(args.role)
    except ValueError as exc:
        sys.exit(f"error: {exc}")

    async def work(session: AsyncSession) -> None:
        for statement in statements:
            await session.execute(text(statement))
        print(f"granted the runtime privileges to {args.role}")

    _run(work)


def webhook_worker(_: argparse.Namespace) -> None:
    """Deliver webhooks until stopped (SIGINT/SIGTERM); safe to run beside others."""
    from app.webhooks import worker  # only this command needs it

    asyncio.run(worker.main(get_settings()))


def seed_pem(_: argparse.Namespace) -> None:
    """Create the PEM program and its rule set from app/eligibility/seeds/pem.json, and activate it."""
    import json  # only this command reads seed files

    from app.eligibility import service as eligibility_service

    data = json.loads((Path(eligibility_service.__file__).parent / "seeds" / "pem.json").read_text())

    async def work(session: AsyncSession) -> None:
        program, rule_set, changed = await eligibility_service.seed(session, system_actor(), data)
        state = "activated" if changed else "already in place"
        print(f"program {program.code} ({program.id}): rule set v{rule_set.version} {state}")

    _run(work)


def demo(_: argparse.Namespace) -> None:
    """Load the synthetic Karang Dempel scenario (145 persons); a second run changes nothing."""
    from app.demo.load import load  # only this command needs the scenario

    if get_settings().environment == "production":
        sys.exit("error: the demo writes synthetic persons into the registry; not in production")

    async def work(session: AsyncSession) -> None:
        report = await load(session)
        if report.already_loaded:
            print(f"demo: already loaded (site {report.site_id}); nothing changed")
            return
        print(f"demo: loaded {report.persons} persons at Karang Dempel in {report.seconds:.1f} s")
        print(f"  site {report.site_id}; rakor of 30 Oct 2018 {report.rakor_id}")
        print(f"  program PEM {report.program_id}; draft rule set to simulate {report.draft_rule_set_id}")
        print(f"  planned repatriation batch {report.batch_id}")
        for client in report.clients:
            print(f"partner API client of {client.agency_name} (demo credentials):")
            print(f"client_id: {client.client_id}\nclient_secret (shown once): {client.client_secret}")
            print(
                "  token: curl -d grant_type=client_credentials "
                f"-d client_id={client.client_id} -d client_secret={client.client_secret} "
                "http://127.0.0.1:8000/api/v1/auth/token"
            )

    _run(work)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m app", description="Reintegrasi admin commands")
    commands = root.add_subparsers(required=True)

    commands.add_parser("bootstrap", help=bootstrap.__doc__).set_defaults(func=bootstrap)

    admin = commands.add_parser("create-admin", help=create_admin.__doc__)
    admin.add_argument("--username", default="admin")
    admin.add_argument("--full-name", default="Administrator")
    admin.set_defaults(func=create_admin)

    users = commands.add_parser("users", help="staff accounts").add_subparsers(required=True)
    code = users.add_parser("enrolment-code", help=enrolment_code.__doc__)
    code.add_argument("username")
    code.set_defaults(func=enrolment_code)

    clients = commands.add_parser("clients", help="API clients").add_subparsers(required=True)
    create = clients.add_parser("create", help=create_client.__doc__)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--agency", type=uuid.UUID, default=None)
    create.set_defaults(func=create_client)

    regions = commands.add_parser("regions", help="region reference data").add_subparsers(required=True)
    regions_import = regions.add_parser("import", help=import_regions.__doc__)
    regions_import.add_argument("file")
    regions_import.set_defaults(func=import_regions)

    persons = commands.add_parser("persons", help="the registry").add_subparsers(required=True)
    persons_import = persons.add_parser("import", help=import_persons.__doc__)
    persons_import.add_argument("file")
    persons_import.add_argument("--site", type=uuid.UUID, required=True)
    persons_import.add_argument("--dry-run", action="store_true")
    persons_import.set_defaults(func=import_persons)

    eligibility = commands.add_parser("eligibility", help="fund eligibility").add_subparsers(required=True)
    eligibility.add_parser("seed-pem", help=seed_pem.__doc__).set_defaults(func=seed_pem)

    audit = commands.add_parser("audit", help="the audit trail's seals").add_subparsers(required=True)
    audit.add_parser("seal", help=audit_seal.__doc__).set_defaults(func=audit_seal)
    verify = audit.add_parser("verify", help=audit_verify.__doc__)
    verify.add_argument(
        "--anchors", default=None, help="anchor file (default: REINTEGRASI_AUDIT_ANCHOR_FILE)"
    )
    verify.set_defaults(func=audit_verify)

    database = commands.add_parser("db", help="database roles").add_subparsers(required=True)
    grant = database.add_parser("grant-runtime", help=grant_runtime.__doc__)
    grant.add_argument("role")
    grant.set_defaults(func=grant_runtime)

    commands.add_parser("purge", help=purge.__doc__).set_defaults(func=purge)
    commands.add_parser("worker", help=webhook_worker.__doc__).set_defaults(func=webhook_worker)
    commands.add_parser("demo", help=demo.__doc__).set_defaults(func=demo)
    return root


def main(argv: list[str] | None = None) -> None:
    keep_files_private()
    args = parser().parse_args(argv)
    args.func(args)
