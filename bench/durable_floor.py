"""A reference beside the floor, not the floor: the documented bolt app (`floor_app.py`) made
to keep the promise the bot keeps, and nothing more.

It acknowledges an envelope only once the reply is committed to SQLite (WAL,
`synchronous=NORMAL`, as the bot's database), keyed by the event id so that a redelivery
writes nothing, and posts the reply afterwards, one post at a time so that replies keep
their order. No command is parsed and nothing is read: what remains between it and the floor
is what durability costs a bolt app. `bench_bot.py --durable-floor` measures it.
"""

import os
import sqlite3
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient


def main() -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(client=client, process_before_response=True)  # the ack waits for the listener
    path = Path(os.environ.get("BENCH_WORKDIR") or tempfile.mkdtemp()) / "replies.db"
    local = threading.local()
    posting = ThreadPoolExecutor(max_workers=1)

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, timeout=10)
            local.db.execute("PRAGMA journal_mode=wal")
            local.db.execute("PRAGMA synchronous=normal")
            local.db.execute(
                "CREATE TABLE IF NOT EXISTS reply (event_id TEXT PRIMARY KEY, channel TEXT, "
                "text TEXT)"
            )
        return local.db

    @app.event("app_mention")
    def answer(body: dict, event: dict) -> None:
        with connection() as db:  # committed when the block ends
            new = db.execute(
                "INSERT INTO reply VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                (body["event_id"], event["channel"], "fixed reply"),
            ).rowcount
        if new:
            posting.submit(client.chat_postMessage, channel=event["channel"], text="fixed reply")

    SocketModeHandler(app, os.environ["SLACK_APP_TOKEN"]).start()  # SIGTERM ends it


if __name__ == "__main__":
    main()
