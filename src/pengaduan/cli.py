"""The `pengaduan` command: serve, migrate, create-admin, seed-demo, categorise, backup,
restore, worker, mail-intake."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pengaduan import db
from pengaduan.db import embedded, migrations
from pengaduan.settings import Settings, SettingsError, load_settings


def _fail(message: str, code: int = 1) -> int:
    print(f"pengaduan: {message}", file=sys.stderr)
    return code


def _database(settings: Settings) -> str:
    """Resolve, reach and point the engine at the database (raising DatabaseUnavailable)."""
    dsn = embedded.resolve_dsn(settings)
    asyncio.run(db.check_connection(dsn))
    db.configure_engine(dsn)
    return dsn


def _print_delivery(settings: Settings, site: str) -> None:
    from pengaduan.notifications.mailbox import delivery_lines

    for line in delivery_lines(settings, site):
        print(line, flush=True)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from pengaduan.serving import uvicorn_options

    dsn = _database(settings)
    if settings.is_production:
        pending = asyncio.run(migrations.pending_migrations(dsn))
        if pending:
            return _fail(
                f"{len(pending)} migration(s) not applied ({', '.join(pending)}); "
                "run `pengaduan migrate` first"
            )
    else:
        asyncio.run(migrations.migrate(dsn))
    # The workers connect to the server this process owns (or to DATABASE_URL).
    os.environ["DATABASE_URL"] = dsn
    os.environ["PENGADUAN_DATA_DIR"] = str(settings.data_dir)
    site = f"http://{args.host}:{args.port}"
    print(f"Pengaduan at {site} ({settings.mode}, {args.workers} worker(s))")
    _print_delivery(settings, site)
    # uvicorn shuts down gracefully on SIGTERM (a container stop) and then re-raises it;
    # make that an orderly exit so the embedded database is stopped below, not orphaned.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        uvicorn.run("pengaduan.app:create_app", **uvicorn_options(settings, args))
    except KeyboardInterrupt:
        pass
    finally:
        embedded.stop_embedded()
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    dsn = _database(settings)
    applied = asyncio.run(migrations.migrate(dsn))
    print(f"Applied {len(applied)} migration(s)." if applied else "The database is up to date.")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password (again): ")
    if first != second:
        raise ValueError("the two passwords differ")
    return first


def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan.accounts import admin_cli

    _database(settings)
    try:
        password = _read_password(args)
    except ValueError as exc:
        return _fail(str(exc), 2)
    try:
        asyncio.run(
            admin_cli.create_admin(
                settings,
                username=args.username,
                full_name=args.full_name,
                email=args.email,
                password=password,
            )
        )
    except admin_cli.AdminError as exc:
        return _fail(str(exc), 2)
    print(f"Admin {args.username.lower()} created.")
    return 0


def cmd_seed_demo(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan import demo

    if settings.is_production:
        return _fail("seed-demo writes demo accounts with known passwords; not in production", 2)
    dsn = _database(settings)
    asyncio.run(migrations.migrate(dsn))
    asyncio.run(demo.seed(settings, dsn, bulk_complaints=args.complaints))
    return 0


def cmd_stats_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan.statistics import queries

    _database(settings)
    rows = asyncio.run(queries.rebuild())
    print(f"Statistics recounted from the complaints: {rows} daily aggregate row(s).")
    return 0


def cmd_categorise_rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan.categorising import learning

    _database(settings)
    started = time.monotonic()
    counted = asyncio.run(learning.rebuild())
    print(
        f"Category suggestion relearned from {counted:,} classified complaint(s)"
        f" in {time.monotonic() - started:.1f} s."
    )
    return 0


def cmd_rotate_keys(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan.accounts import personal_data

    _database(settings)
    try:
        rewritten = asyncio.run(personal_data.rotate_all(settings))
    except personal_data.UndecryptableData as exc:
        return _fail(f"{exc}; keep every old key in PENGADUAN_ENCRYPTION_KEYS until this passes")
    print(f"Re-encrypted the personal data of {rewritten} user(s) under the newest key.")
    return 0


def _size(path: str) -> str:
    size = float(os.path.getsize(path))
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


def _summary(manifest) -> str:
    complaints = manifest.tables.get("complaints", 0)
    return (
        f"{complaints} complaint(s), {sum(manifest.tables.values())} row(s) in "
        f"{len(manifest.tables)} table(s), {len(manifest.evidence)} evidence file(s), "
        f"schema {manifest.last_migration}"
    )


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan.backup import database, making, restoring
    from pengaduan.backup.manifest import unknown_migrations
    from pengaduan.backup.sealing import ArchiveError

    if args.verify:
        try:
            manifest = restoring.verify(settings, Path(args.verify))
        except (ArchiveError, OSError) as exc:
            return _fail(f"{args.verify}: {exc}", 2)
        print(f"{args.verify} is intact: {_summary(manifest)}, made {manifest.created_at}.")
        if unknown_migrations(manifest):
            print("Its schema is newer than this code: upgrade Pengaduan before restoring it.")
        return 0
    dsn = _database(settings)
    output = Path(args.output) if args.output else making.default_name()
    try:
        manifest = asyncio.run(
            making.make_backup(settings, dsn, output, encrypted=not args.unencrypted)
        )
    except making.BackupRefused as exc:
        return _fail(str(exc), 2)
    except (database.ToolError, OSError) as exc:
        return _fail(f"backup failed, nothing written: {exc}")
    sealed = "unencrypted" if args.unencrypted else "encrypted with the backup key"
    print(f"Backup written to {output} ({_size(str(output))}, {sealed}): {_summary(manifest)}.")
    if manifest.missing_evidence:
        print(f"{len(manifest.missing_evidence)} evidence file(s) were missing from storage.")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from pengaduan.backup import database, restoring
    from pengaduan.backup.sealing import ArchiveError

    dsn = _database(settings)
    try:
        manifest, applied = asyncio.run(
            restoring.restore_backup(settings, dsn, Path(args.file), force=args.force, say=print)
        )
    except (ArchiveError, restoring.RestoreRefused) as exc:
        return _fail(f"restore refused, nothing changed: {exc}", 2)
    except OSError as exc:
        return _fail(f"{args.file}: {exc}", 2)
    except (database.ToolError, restoring.RestoreFailed) as exc:
        return _fail(f"restore failed: {exc}")
    print(f"Restored {args.file}: {_summary(manifest)}.")
    if applied:
        print(f"Applied {len(applied)} newer migration(s) after it.")
    print("The configured personal-data keys decrypt the restored rows.")
    return 0


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    import logging

    from pengaduan.worker import run_worker

    _database(settings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per gateway request would drown the worker's own log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    print("Delivering the outbox (Ctrl+C to stop).", flush=True)
    _print_delivery(settings, settings.base_url)
    asyncio.run(run_worker(settings))
    return 0


def cmd_mail_intake(settings: Settings, args: argparse.Namespace) -> int:
    import dataclasses
    import logging

    from pengaduan.mailintake.running import mailbox_problem, run_intake

    if args.lmtp:
        settings = dataclasses.replace(settings, mail_intake_protocol="lmtp")
    imap = args.imap or args.once
    if imap and (problem := mailbox_problem(settings)):
        return _fail(problem, 2)
    _database(settings)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(run_intake(settings, imap=imap, once=args.once, host=args.host, port=args.port))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pengaduan", description="Sistem Pengaduan Masyarakat")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the web app (and the embedded database if needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--reload", action="store_true", help="restart on code changes (dev)")
    serve.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every request to stdout (default: on in development, off in production)",
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply pending database migrations")
    migrate.set_defaults(func=cmd_migrate)

    admin = sub.add_parser("create-admin", help="create an administrator account")
    admin.add_argument("--username", required=True)
    admin.add_argument("--full-name", required=True)
    admin.add_argument("--email", default=None)
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    admin.set_defaults(func=cmd_create_admin)

    seed = sub.add_parser("seed-demo", help="load realistic demo data (development only)")
    seed.add_argument(
        "--complaints",
        type=int,
        default=0,
        metavar="N",
        help="bulk mode: add N generated complaints (fast, for load and scale tests)",
    )
    seed.set_defaults(func=cmd_seed_demo)

    rotate = sub.add_parser("rotate-keys", help="re-encrypt personal data under the newest key")
    rotate.set_defaults(func=cmd_rotate_keys)

    rebuild = sub.add_parser(
        "stats-rebuild", help="recount the statistics' daily aggregate from the complaints"
    )
    rebuild.set_defaults(func=cmd_stats_rebuild)

    categorise = sub.add_parser(
        "categorise", help="the category suggestion learned from the officers' classifications"
    )
    categorise_sub = categorise.add_subparsers(dest="categorise_command", required=True)
    relearn = categorise_sub.add_parser(
        "rebuild", help="count again every classified complaint (once for an existing database)"
    )
    relearn.set_defaults(func=cmd_categorise_rebuild)

    backup = sub.add_parser(
        "backup", help="write the database and every evidence file into one archive"
    )
    backup.add_argument("--output", metavar="FILE", help="the archive (default: dated name)")
    backup.add_argument(
        "--verify", metavar="FILE", help="check an archive (every checksum) without restoring"
    )
    backup.add_argument(
        "--unencrypted", action="store_true", help="do not encrypt with PENGADUAN_BACKUP_KEY"
    )
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="restore an archive into an empty database and data folder"
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument(
        "--force", action="store_true", help="replace a database and evidence that are not empty"
    )
    restore.set_defaults(func=cmd_restore)

    worker = sub.add_parser(
        "worker", help="deliver the outbox (mail) and run the scheduled jobs, serving no pages"
    )
    worker.set_defaults(func=cmd_worker)

    intake = sub.add_parser(
        "mail-intake", help="take complaints by email: an SMTP/LMTP listener, or an IMAP poller"
    )
    intake.add_argument("--host", help="listen here (default PENGADUAN_MAIL_INTAKE_HOST)")
    intake.add_argument("--port", type=int, help="and port (default PENGADUAN_MAIL_INTAKE_PORT)")
    intake.add_argument("--lmtp", action="store_true", help="speak LMTP instead of SMTP")
    intake.add_argument(
        "--imap", action="store_true", help="poll the IMAP mailbox of the settings instead"
    )
    intake.add_argument("--once", action="store_true", help="poll the mailbox once, then stop")
    intake.set_defaults(func=cmd_mail_intake)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # The command speaks English throughout, messages from shared rules included.
    from pengaduan.i18n import set_locale

    set_locale("en")
    try:
        settings = load_settings()
    except SettingsError as exc:
        return _fail(str(exc), 2)
    try:
        return args.func(settings, args)
    except db.DatabaseUnavailable as exc:
        return _fail(f"database unavailable: {exc}")
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
