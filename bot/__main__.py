"""Command line: `python -m bot run | sandbox | migrate | check-config`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import NoReturn

from bot.config import Settings, load_settings_or_exit
from bot.logs import setup_logging

logger = logging.getLogger("bot")


def _secrets(settings: Settings) -> list[str]:
    return [s.get_secret_value() for s in (settings.bot_token, settings.webhook_secret) if s]


def _stop(message: str, code: int) -> NoReturn:
    print(message, file=sys.stderr, flush=True)
    raise SystemExit(code)


def check_content_or_exit() -> None:
    """The data files a coordinator edits are checked before anything starts."""
    from bot.services.assessment import load_assessment
    from bot.services.checkins import load_checkins
    from bot.services.content import ContentError
    from bot.services.points import load_points
    from bot.services.queues import load_queues
    from bot.services.red_flags import load_red_flags
    from bot.services.regions import load_regions
    from bot.services.services_map import load_services_map
    from bot.services.templates import load_templates

    try:
        red_flags = load_red_flags()
        regions = load_regions()
        load_services_map()
        load_assessment(red_flag_names=red_flags.flags)
        queues = load_queues()
        load_templates(queues=queues)
        load_points(regions=regions, queues=queues)
        load_checkins()
    except ContentError as exc:
        _stop(str(exc), 2)


def cmd_migrate(settings: Settings, revision: str) -> None:
    from alembic.util import CommandError
    from sqlalchemy.exc import SQLAlchemyError

    from db.migrate import upgrade
    from db.session import StorageError, check_sqlite, describe_storage_error

    try:
        check_sqlite(settings.database_url)
        upgrade(settings.database_url, revision)
    except StorageError as exc:
        _stop(str(exc), 1)
    except (SQLAlchemyError, OSError) as exc:
        _stop(describe_storage_error(settings.database_url, exc), 1)
    except CommandError as exc:
        _stop(f"migration error: {exc}", 1)
    logger.info("database is at revision %s", revision)


def cmd_run(settings: Settings) -> None:
    from bot import app
    from bot.runner import FatalStartupError
    from bot.testclock import install_from_env
    from db.session import StorageError

    install_from_env()
    try:
        if settings.bot_token is None:
            # No log line first: the first line `make run` prints is the web chat's address.
            cmd_sandbox(settings)
        elif settings.webhook_url:
            app.run_webhook(settings)
        else:
            asyncio.run(app.run_polling(settings))
    except StorageError as exc:
        _stop(str(exc), 1)
    except FatalStartupError as exc:
        _stop(str(exc), 2)


def cmd_sandbox(settings: Settings) -> None:
    from bot.sandbox_run import run_sandbox

    asyncio.run(run_sandbox(settings))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run the bot (polling, webhook if WEBHOOK_URL, sandbox if no token)"
    )
    run.add_argument(
        "--migrate", action="store_true", help="upgrade DATABASE_URL first (with a token)"
    )
    sub.add_parser("sandbox", help="run the local Bot API emulator and the bot against it")
    migrate = sub.add_parser("migrate", help="upgrade the database schema")
    migrate.add_argument("--revision", default="head")
    sub.add_parser("check-config", help="validate the configuration and exit")
    args = parser.parse_args(argv)

    settings = load_settings_or_exit()
    setup_logging(settings.log_level, _secrets(settings))
    check_content_or_exit()
    if args.command == "migrate":
        cmd_migrate(settings, args.revision)
    elif args.command == "run":
        if args.migrate and settings.bot_token is not None:
            cmd_migrate(settings, "head")
        cmd_run(settings)
    elif args.command == "sandbox":
        cmd_sandbox(settings)
    else:
        print("configuration is valid")


if __name__ == "__main__":
    main()
