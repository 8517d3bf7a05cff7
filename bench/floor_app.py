"""The floor: the Socket Mode app slack-bolt's documentation shows, answering every mention.

`App` plus `slack_bolt.adapter.socket_mode.SocketModeHandler` (slack_sdk's built-in Socket
Mode client, no extra dependency), with a listener that posts a fixed text through
`chat.postMessage`. No parsing, no database: what any documented bolt app costs. The only
departure from the documented snippet is the Web API base URL, which points at the emulator
(`SLACK_API_URL`); the Socket Mode client opens its connection through the same `WebClient`.
"""

import os

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient


def main() -> None:
    client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
    app = App(client=client)

    @app.event("app_mention")
    def answer(event: dict, client: WebClient) -> None:
        client.chat_postMessage(channel=event["channel"], text="fixed reply")

    SocketModeHandler(app, os.environ["SLACK_APP_TOKEN"]).start()  # SIGTERM ends it


if __name__ == "__main__":
    main()
