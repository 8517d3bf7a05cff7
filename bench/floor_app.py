"""The floor: a bare slack-bolt app that answers every mention with a fixed text.

Same Slack client stack as the bot (bolt App, WebClient pointed at SLACK_API_URL, Socket Mode
over websocket-client), no parsing, no database: what any bolt app costs.
"""

import os
import signal
import threading

from slack_bolt import App
from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
from slack_sdk import WebClient


def main() -> None:
    api_url = os.environ["SLACK_API_URL"]
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=api_url)
    app = App(client=client)

    @app.event("app_mention")
    def answer(event: dict, say: object) -> None:
        client.chat_postMessage(channel=event["channel"], text="fixed reply")

    handler = SocketModeHandler(
        app, os.environ["SLACK_APP_TOKEN"], web_client=WebClient(base_url=api_url)
    )
    handler.connect()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    os._exit(0)  # the websocket-client handler takes ~10 s to close; not what we measure


if __name__ == "__main__":
    main()
