"""Run the emulator standalone: ``python -m tests.emulator [--port N]`` (manual tries)."""

from __future__ import annotations

import argparse
import logging
import signal
import threading

from .server import SlackEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bot-token", default="xoxb-test-token")
    parser.add_argument("--app-token", default="xapp-1-test-token")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every call and frame")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    emu = SlackEmulator(args.bot_token, args.app_token, host=args.host, port=args.port)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with emu:
        print(f"SLACK_API_URL={emu.api_url}")
        print(f"SLACK_BOT_TOKEN={emu.bot_token}")
        print(f"SLACK_APP_TOKEN={emu.app_token}", flush=True)
        try:
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
