"""Command line: `dienstplan run | console | schedules | outbox | manifest | export | import |
check`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import (
    LOG_FORMATS,
    Config,
    ConfigError,
    config_path,
    load_config,
    setup_logging,
)

SUBCOMMANDS = {
    "run": "connect to Slack over Socket Mode and serve commands",
    "console": "type bot commands in a terminal, without Slack",
    "schedules": "list every schedule in every channel with its next run",
    "outbox": "list unsent or failed messages; `retry` resends failed",
    "manifest": "print the Slack app manifest (JSON) to create the app from",
    "export": "write all state as one JSON document, for backups",
    "import": "load an `export` document into an empty database",
    "check": "check the config, the Slack app and the database",
    "import-dienstplan": "import rotations and schedules from the Clojure dienstplan",
}


def package_version() -> str:
    """The installed version; from a source tree (`python dienstplan.py`), pyproject's.
    importlib.metadata is imported here, when asked: it costs the running bot 1.3 MiB."""
    from importlib import metadata

    try:
        return metadata.version("dienstplan")
    except metadata.PackageNotFoundError:
        pass
    import tomllib  # here: `run` never needs it

    try:
        with (Path(__file__).resolve().parents[1] / "pyproject.toml").open("rb") as file:
            return f"{tomllib.load(file)['project']['version']} (source tree)"
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        return "unknown (not installed)"


class _Version(argparse.Action):
    """`--version`, its version read only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: Any) -> None:
        print(f"{parser.prog} {package_version()}")
        parser.exit()


def _app_name(text: str) -> str:
    from bot.slack.manifest import check_name

    try:
        return check_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def _parser() -> argparse.ArgumentParser:
    # --config is accepted before and after the subcommand; SUPPRESS keeps a value given
    # before it from being reset by the subcommand's default.
    config_option = argparse.ArgumentParser(add_help=False)
    config_option.add_argument(
        "--config",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="TOML config file (default: $DIENSTPLAN_CONFIG, else ./config.toml if present)",
    )
    config_option.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        metavar="FMT",
        default=argparse.SUPPRESS,
        help="text (default) or json, one JSON object per line (DIENSTPLAN_LOG_FORMAT)",
    )
    parser = argparse.ArgumentParser(
        prog="dienstplan",
        description="Slack bot for on-call duty rotations.",
        parents=[config_option],
        # A long command name gets a line of its own rather than pushing every summary right.
        formatter_class=lambda prog: argparse.HelpFormatter(prog, max_help_position=20),
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    commands = {
        name: sub.add_parser(
            name,
            help=summary,
            description=summary[0].upper() + summary[1:] + ".",
            parents=[config_option],
        )
        for name, summary in SUBCOMMANDS.items()
    }
    commands["console"].add_argument(
        "--channel",
        default="CONSOLE",
        type=_console_id("#"),
        help="channel id or name to act in (an id starting with D acts as the bot's DM)",
    )
    commands["console"].add_argument(
        "--user", default="UCONSOLE", type=_console_id("@"), help="user id to act as"
    )
    commands["outbox"].add_argument(
        "action",
        nargs="?",
        choices=["retry"],
        help="retry: queue the failed messages again; a running bot sends them within seconds",
    )
    commands["manifest"].add_argument(
        "--name",
        default="dienstplan",
        type=_app_name,
        help="the app's name and the bot's display name: 1 to 35 of a-z, 0-9, -, _ and .",
    )
    commands["export"].add_argument(
        "file", nargs="?", default="-", help="where to write it (default: standard output)"
    )
    commands["import"].add_argument("file", help="the exported document; - reads standard input")
    commands["import-dienstplan"].add_argument(
        "url", help="its PostgreSQL database: postgresql://user:password@host:port/database"
    )
    commands["import"].add_argument(
        "--replace",
        action="store_true",
        help="discard what the database holds instead of refusing to import into it",
    )
    return parser


def _console_id(sigil: str) -> Callable[[str], str]:
    """A console channel or user: one word, its `#` or `@` dropped as people type them."""

    def check(text: str) -> str:
        word = text.strip().removeprefix(sigil)
        if not word or any(c.isspace() or c in "<>|&#@" for c in word):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not an id: give one word, such as backend or U0ALICE"
            )
        return word

    return check


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "manifest":
        from bot.slack.manifest import manifest

        print(json.dumps(manifest(args.name), indent=2))
        return 0
    if args.command == "check":
        from bot.check import run_check

        setup_logging("INFO", quiet=True)
        return run_check(
            config_path(getattr(args, "config", None), os.environ), os.environ, sys.stdout
        )
    try:
        config = load_config(
            config_path(getattr(args, "config", None), os.environ),
            tokens=args.command == "run",
        )
        if hasattr(args, "log_format"):
            config = dataclasses.replace(config, log_format=args.log_format)
        setup_logging(
            config.log_level,
            quiet=args.command != "run",
            secrets=(config.bot_token, config.app_token),
            log_format=config.log_format,
        )
        if args.command == "run":
            if not config.database_url:
                _without_postgres_drivers()
            from bot.app import run

            return run(config)
        if args.command in ("export", "import"):
            from bot.backup import export, import_

            if args.command == "export":
                return export(config, args.file)
            return import_(config, args.file, replace=args.replace)
        return _local(args, config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"dienstplan: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C before a command's own handling is in place
        print("dienstplan: interrupted.", file=sys.stderr)
        return 130


def _without_postgres_drivers() -> None:
    """peewee imports psycopg2 (or psycopg) when it is installed, whether or not a database
    needs it: 5 MiB of a bot that runs on SQLite, when the `postgres` extra shares its
    environment. Marking them missing before peewee is imported keeps them out."""
    if "peewee" not in sys.modules:
        for driver in ("psycopg2", "psycopg", "psycopg2cffi"):
            sys.modules.setdefault(driver, None)  # type: ignore[arg-type]


def _local(args: argparse.Namespace, config: Config) -> int:
    """The commands that work on the database without Slack."""
    from bot.app import build

    if args.command == "console" and not config.database_url and not config.database.exists():
        # The console is how a newcomer tries the bot, so it may create the database; a
        # mistyped path shows here rather than as rotations that seem to have vanished.
        print(
            f"dienstplan: creating a new database at {config.database.resolve()}",
            file=sys.stderr,
        )
    services = build(
        config,
        create=args.command in ("console", "import-dienstplan"),
        migrating=args.command not in ("schedules", "outbox"),
    )
    try:
        if args.command == "import-dienstplan":
            from bot.moving_in import run_import

            return run_import(services, args.url, sys.stdout)
        if args.command == "schedules":
            from bot.operators import print_schedules

            return print_schedules(services, sys.stdout)
        if args.command == "outbox":
            from bot.operators import print_outbox, retry_outbox

            if args.action == "retry":
                return retry_outbox(services, sys.stdout)
            return print_outbox(services, sys.stdout, now=datetime.now(UTC))
        from bot.console import run_console

        return run_console(
            services.dispatcher,
            channel=args.channel,
            user=args.user,
            stdin=sys.stdin,
            stdout=sys.stdout,
            interactive=sys.stdin.isatty(),
        )
    finally:
        services.close()


if __name__ == "__main__":
    sys.exit(main())
