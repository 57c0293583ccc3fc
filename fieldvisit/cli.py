"""The `fieldvisit` command: serve, migrate, create-user, demo, import-regions, import-sites,
import-claims, load-catalogue, purge-originals, remind-overdue, messages."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from fieldvisit.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"fieldvisit: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    settings = _settings()
    uvicorn.run("fieldvisit.app:create_app", factory=True, host=args.host or settings.host,
                port=args.port or settings.port, workers=args.workers or settings.workers,
                log_level=settings.log_level, proxy_headers=settings.trust_proxy_headers)
    return 0


async def _migrate(settings: Settings) -> list[str]:
    from fieldvisit import db

    async with db.connected(settings):
        return await db.migrate(settings)


def cmd_migrate(args: argparse.Namespace) -> int:
    ran = asyncio.run(_migrate(_settings()))
    print("\n".join(f"applied {m}" for m in ran) if ran else "database is up to date")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from fieldvisit import db
    from fieldvisit.accounts import domain, queries
    from fieldvisit.accounts.domain import Role

    settings = _settings()
    password = args.password or (getpass.getpass("Password: ") if sys.stdin.isatty() else "")
    problem = domain.password_problem(password, email=args.email) if password else None
    if problem:
        print(f"fieldvisit: {problem}", file=sys.stderr)
        return 2

    async def run() -> tuple[int, str]:
        async with db.connected(settings):
            district_id = None
            if args.district:
                district_id = await queries.district_id_for_code(args.district)
                if district_id is None:
                    raise SystemExit(f"fieldvisit: kab/kota {args.district} is not in the region list "
                                     "(run `fieldvisit import-regions FILE` first)")
            if await queries.email_taken(args.email):
                raise SystemExit(f"fieldvisit: a user with the email {args.email} already exists")
            [(user_id, pw)] = await queries.create_users(
                None, [queries.NewUser(args.email, args.name, Role(args.role), district_id)],
                passwords=[password] if password else None, must_change=not password or args.temporary)
            return user_id, pw

    if args.role == "district" and not args.district:
        print("fieldvisit: --district is required for district staff (e.g. 36.71)", file=sys.stderr)
        return 2
    user_id, pw = asyncio.run(run())
    print(f"created user {user_id} {args.email} ({args.role})" + ("" if password else f", temporary password: {pw}"))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from fieldvisit import db, demo

    settings = _settings()

    async def run() -> list[str]:
        async with db.connected(settings):
            await db.migrate(settings)
            return await demo.load()

    print("\n".join(asyncio.run(run())))
    return 0


def cmd_import_regions(args: argparse.Namespace) -> int:
    from fieldvisit import db
    from fieldvisit.regions import domain, queries

    settings = _settings()
    rows, problems = domain.parse_regions_csv(Path(args.file).read_bytes())
    if problems:
        print("\n".join(problems), file=sys.stderr)
        print("fieldvisit: nothing imported", file=sys.stderr)
        return 1

    async def run() -> dict[str, int]:
        async with db.connected(settings):
            return await queries.import_regions(None, rows)

    result = asyncio.run(run())
    print("regions: {created} new, {changed} changed, {unchanged} unchanged".format(**result))
    return 0


def cmd_load_catalogue(args: argparse.Namespace) -> int:
    from fieldvisit import db
    from fieldvisit.catalogue import domain, queries

    settings = _settings()
    try:
        data = domain.parse_catalogue(Path(args.file).read_bytes() if args.file else domain.shipped())
    except domain.CatalogueError as exc:
        print(f"fieldvisit: the catalogue file is not usable: {exc}", file=sys.stderr)
        return 1

    async def run() -> bool:
        async with db.connected(settings):
            return await queries.load_version(data)

    try:
        loaded = asyncio.run(run())
    except ValueError as exc:
        print(f"fieldvisit: {exc}", file=sys.stderr)
        return 1
    print(f"catalogue {data.code}: " + ("loaded" if loaded else "already loaded, nothing changed"))
    return 0


class ProgressBar:
    """A plain progress bar on stderr: redrawn in place on a terminal, one line per phase otherwise."""

    LABELS = {"check": "checking", "import": "importing"}

    def __init__(self, stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.last = 0.0
        self.tty = self.stream.isatty()
        self.finished: set[str] = set()

    def __call__(self, phase: str, done: int, total: int) -> None:
        finished = done >= total
        if phase in self.finished:
            return
        if finished:
            self.finished.add(phase)
        now = time.monotonic()
        if not finished and (not self.tty or now - self.last < 0.1):
            return
        self.last = now
        filled = int(self.width * (done / total if total else 1))
        line = f"{self.LABELS.get(phase, phase):<10} [{'#' * filled}{'-' * (self.width - filled)}] {done}/{total} rows"
        self.stream.write(("\r" + line if self.tty else line) + ("\n" if finished else ""))
        self.stream.flush()


def _confirmed(question: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        print("fieldvisit: not imported: there is no terminal to ask; run again with --yes", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "ya")


async def _show_preview(batch_id: int) -> dict[str, Any]:
    from fieldvisit.imports import domain, queries

    batch = await queries.get_batch(queries.cli_actor(), batch_id)
    print(f"import #{batch_id} ({batch['file_name']}): {batch['rows_total']} rows: {batch['rows_new']} new, "
          f"{batch['rows_changed']} changed, {batch['rows_unchanged']} unchanged, {batch['rows_error']} with errors, "
          f"{batch['rows_warning']} with warnings")
    for outcome, label in (("error", "error"), ("", "warning")):
        if outcome == "error" and not batch["rows_error"]:
            continue
        if outcome == "" and not batch["rows_warning"]:
            continue
        rows, more = await queries.batch_rows(batch_id, outcome=outcome, warnings=not outcome, page_size=50)
        for row in (domain.describe_row(r) for r in rows):
            for p in row["problems"]:
                if p["level"] == label:
                    column = f" [{p['column_label']}]" if p["column_label"] else ""
                    print(f"  row {row['line']}{column} {label}: {p['message']}")
        if more:
            print(f"  … more; see /admin/imports/{batch_id}")
    return batch


def _import_command(args: argparse.Namespace, preview: Any, after: Any = None) -> int:
    from fieldvisit import db
    from fieldvisit.errors import AppError
    from fieldvisit.imports import queries
    from fieldvisit.imports.reader import MB, ReadError, check_size
    from fieldvisit.web import i18n

    settings = _settings()
    path = Path(args.file)
    limit = settings.max_import_mb * MB

    async def run(raw: bytes) -> int:
        async with db.connected(settings):
            batch_id = await preview(settings, raw, limit)
            batch = await _show_preview(batch_id)
            if batch["rows_error"]:
                print("fieldvisit: nothing imported: fix the rows with errors and run again", file=sys.stderr)
                return 1
            if not batch["rows_new"] and not batch["rows_changed"]:
                print("nothing to import: every row is already stored like this")
                return 0
            if not _confirmed(f"Import {batch['rows_new']} new and {batch['rows_changed']} changed rows?", args.yes):
                await queries.discard(queries.cli_actor(), batch_id)
                return 1
            outcome = await queries.confirm(queries.cli_actor(), batch_id, max_bytes=limit, progress=ProgressBar())
            counts = outcome["counts"]
            print(f"imported #{batch_id}: {counts['new']} new, {counts['changed']} changed, "
                  f"{counts['unchanged']} unchanged")
            if after:
                await after(outcome)
            return 0

    with i18n.language(settings.default_language):
        try:
            if not path.is_file():
                raise SystemExit(f"fieldvisit: {path} is not a file")
            check_size(path.stat().st_size, limit)  # refused before the file is even read
            return asyncio.run(run(path.read_bytes()))
        except ReadError as exc:
            print(f"fieldvisit: {exc.text()}", file=sys.stderr)
        except AppError as exc:
            print(f"fieldvisit: {exc.message or exc.title or type(exc).__name__}", file=sys.stderr)
        print("fieldvisit: nothing imported", file=sys.stderr)
        return 1


def cmd_import_sites(args: argparse.Namespace) -> int:
    from fieldvisit.imports import queries

    async def preview(settings: Any, raw: bytes, limit: int) -> int:
        return await queries.preview_sites(queries.cli_actor(), raw, Path(args.file).name,
                                           queries.SiteOptions(args.district, args.round), max_bytes=limit,
                                           progress=ProgressBar())

    return _import_command(args, preview)


def cmd_import_claims(args: argparse.Namespace) -> int:
    from fieldvisit.imports import queries

    async def preview(settings: Any, raw: bytes, limit: int) -> int:
        return await queries.preview_claims(queries.cli_actor(), raw, Path(args.file).name, args.evaluation,
                                            max_bytes=limit, progress=ProgressBar())

    async def after(outcome: dict[str, Any]) -> None:
        total = outcome.get("self_assessment") or {}
        print(f"self-assessment score: {total.get('total')} ({total.get('predicate') or 'below every band'})")

    return _import_command(args, preview, after)
def cmd_purge_originals(args: argparse.Namespace) -> int:
    """For cron: one summary line; exit 0 when every due original is gone (or on a dry run),
    1 when some could not be removed (the store was down: nothing was marked that was not
    removed, and the next run tries again), 2 on a configuration error."""
    from datetime import UTC, datetime

    from fieldvisit import db
    from fieldvisit.privacy import queries
    from fieldvisit.storage import make_store

    settings = _settings()

    async def run() -> Any:
        async with db.connected(settings):
            return await queries.purge_originals(make_store(settings), now=datetime.now(UTC),
                                                 retention_days=settings.originals_retention_days,
                                                 dry_run=args.dry_run)

    report = asyncio.run(run())
    print(report.summary(), file=sys.stdout if report.ok else sys.stderr)
    return int(report.exit_code)


def cmd_remind_overdue(args: argparse.Namespace) -> int:
    """For cron (daily): e-mail each district's staff their overdue gaps and each evaluation's
    verifiers the overdue gaps to chase, each gap once a day per person. Exit 0 when done, 1
    when some e-mails were not sent (the next run sends them), 2 without SMTP_HOST (unless
    --dry-run) or on a configuration error."""
    from datetime import UTC, datetime

    from fieldvisit import db
    from fieldvisit.gaps import notify

    settings = _settings()
    if not settings.smtp_host and not args.dry_run:
        print("fieldvisit: remind-overdue needs SMTP_HOST (see the README's settings); nothing sent",
              file=sys.stderr)
        return 2

    async def run() -> Any:
        async with db.connected(settings):
            return await notify.remind_overdue(settings, now=datetime.now(UTC), dry_run=args.dry_run)

    report = asyncio.run(run())
    if args.dry_run:
        for address in report.recipients:
            print(f"  {address}")
    print(report.summary(), file=sys.stderr if report.failed else sys.stdout)
    return int(report.exit_code)


def cmd_messages(args: argparse.Namespace) -> int:
    from fieldvisit.web import i18n

    report = i18n.update_catalogues()
    for domain_name, missing in sorted(report.items()):
        print(f"{i18n.po_path(domain_name).relative_to(Path.cwd()) if Path.cwd() in i18n.po_path(domain_name).parents else i18n.po_path(domain_name)}: {missing} untranslated")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fieldvisit", description="FieldVisit: KLA field verification")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve the app (uvicorn)")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.add_argument("--workers", type=int)
    p.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply pending database migrations").set_defaults(func=cmd_migrate)
    p = sub.add_parser("create-user", help="create a user")
    p.add_argument("--email", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--role", required=True, choices=["admin", "verifier", "notetaker", "district"])
    p.add_argument("--district", help="kab/kota code for district staff, e.g. 36.71")
    p.add_argument("--password", help="omit to be asked, or (without a terminal) to get a temporary one")
    p.add_argument("--temporary", action="store_true", help="must be changed at first login")
    p.set_defaults(func=cmd_create_user)
    sub.add_parser("demo", help="migrate and load the demo data (idempotent)").set_defaults(func=cmd_demo)
    p = sub.add_parser("import-regions", help="import provinces and kab/kota from a CSV")
    p.add_argument("file")
    p.set_defaults(func=cmd_import_regions)
    p = sub.add_parser("import-sites", help="import a site list (CSV or XLSX): preview, then confirm")
    p.add_argument("file")
    p.add_argument("--district", help="accept only this kab/kota's sites, e.g. 36.71 (its column may be left out)")
    p.add_argument("--round", type=int, help="accept only kab/kota evaluated in this round (its id)")
    p.add_argument("--yes", action="store_true", help="import without asking (for scripts; there is no undo prompt)")
    p.set_defaults(func=cmd_import_sites)
    p = sub.add_parser("import-claims", help="import a district evaluation's claims (CSV or XLSX): preview, confirm")
    p.add_argument("file")
    p.add_argument("--evaluation", type=int, required=True, help="the district evaluation's id")
    p.add_argument("--yes", action="store_true", help="import without asking")
    p.set_defaults(func=cmd_import_claims)
    p = sub.add_parser("load-catalogue", help="load a KLA catalogue version (default: the shipped Perpres 25/2021)")
    p.add_argument("file", nargs="?", help="a catalogue YAML in the format of fieldvisit/catalogue/data/")
    p.set_defaults(func=cmd_load_catalogue)
    p = sub.add_parser("purge-originals", help="remove photo originals of rounds closed longer ago than "
                                               "ORIGINALS_RETENTION_DAYS (derivatives, findings, audit stay)")
    p.add_argument("--dry-run", action="store_true", help="only count what would be removed")
    p.set_defaults(func=cmd_purge_originals)
    p = sub.add_parser("remind-overdue", help="e-mail district staff and verifiers the gaps past their due date "
                                              "(once per gap a day; needs SMTP_HOST)")
    p.add_argument("--dry-run", action="store_true", help="only list who would be e-mailed; sends and records nothing")
    p.set_defaults(func=cmd_remind_overdue)
    sub.add_parser("messages", help="extract strings and update the Indonesian catalogues").set_defaults(
        func=cmd_messages)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    raise SystemExit(main())
