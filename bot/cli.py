"""Command line: `dienstplan run | console | schedules | manifest`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence

from bot.config import ConfigError, config_path, load_config, setup_logging


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dienstplan", description="Slack bot for on-call duty rotations."
    )
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="TOML config file (default: $DIENSTPLAN_CONFIG, else ./config.toml if present)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="<command>")
    sub.add_parser("run", help="connect to Slack over Socket Mode and serve commands")
    console = sub.add_parser(
        "console", help="type bot commands in a terminal, on the same database, without Slack"
    )
    console.add_argument("--channel", default="CONSOLE", help="channel id to act in")
    console.add_argument("--user", default="UCONSOLE", help="user id to act as")
    sub.add_parser("schedules", help="list every schedule in every channel with its next run")
    manifest = sub.add_parser("manifest", help="print the Slack app manifest (JSON)")
    manifest.add_argument("--name", default="dienstplan", help="the app's display name")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "manifest":
        from bot.slack.manifest import manifest

        print(json.dumps(manifest(args.name), indent=2))
        return 0
    try:
        config = load_config(config_path(args.config, os.environ))
        setup_logging(config.log_level)
        if args.command == "run":
            from bot.app import run

            return run(config)
        from bot.app import build

        services = build(config)
        try:
            if args.command == "schedules":
                from bot.operators import print_schedules

                return print_schedules(services, sys.stdout)
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
    except ConfigError as error:
        print(f"dienstplan: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
