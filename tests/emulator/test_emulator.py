"""Tests of the Slack emulator itself, driven through slack_sdk and a raw websocket-client.

If these pass, the e2e suite can trust the emulator to behave like Slack on the wire.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import websocket
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.manifest import BOT_SCOPES
from tests.emulator import SlackEmulator, payloads


@pytest.fixture
def emu() -> Iterator[SlackEmulator]:
    with SlackEmulator() as e:
        yield e


def bot_client(emu: SlackEmulator, token: str | None = None) -> WebClient:
    return WebClient(token=token or emu.bot_token, base_url=emu.api_url, timeout=5)


def connect_raw(emu: SlackEmulator) -> tuple[websocket.WebSocket, dict[str, Any]]:
    """Open a Socket Mode connection the way SDKs do; returns the socket and the hello."""
    url = WebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.app_token)["url"]
    ws = websocket.create_connection(url, timeout=5)
    return ws, json.loads(ws.recv())


def close_quietly(*sockets: websocket.WebSocket) -> None:
    """close() is a no-op on a socket websocket-client already considers dead; shutdown isn't."""
    for ws in sockets:
        with contextlib.suppress(Exception):
            ws.close(timeout=0.5)
        ws.shutdown()


def recv_json(ws: websocket.WebSocket) -> dict[str, Any]:
    return json.loads(ws.recv())


# ----------------------------------------------------------------------------- Web API


def test_auth_test_good_and_bad_tokens(emu: SlackEmulator) -> None:
    resp = bot_client(emu).auth_test()
    assert resp["ok"] is True
    assert resp["user_id"] == "UBOT"
    assert resp["bot_id"] == "BBOT"
    assert resp["team_id"] == "T0TEAM"
    assert resp["user"] == "dienstplan"
    assert resp["is_enterprise_install"] is False
    headers = {k.lower(): v for k, v in resp.headers.items()}
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-oauth-scopes"].split(",") == BOT_SCOPES
    emu.granted_scopes = ["chat:write"]
    assert bot_client(emu).auth_test().headers["x-oauth-scopes"] == "chat:write"

    with pytest.raises(SlackApiError) as err:
        bot_client(emu, "xoxb-wrong").auth_test()
    assert "x-oauth-scopes" not in err.value.response.headers
    assert err.value.response.status_code == 200
    assert err.value.response["error"] == "invalid_auth"

    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=emu.api_url).auth_test()
    assert err.value.response["error"] == "not_authed"

    with pytest.raises(SlackApiError) as err:
        bot_client(emu, emu.app_token).auth_test()
    assert err.value.response["error"] == "not_allowed_token_type"

    with pytest.raises(SlackApiError) as err:
        WebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.bot_token)
    assert err.value.response["error"] == "not_allowed_token_type"

    assert [c.token for c in emu.calls_to("auth.test")] == [
        emu.bot_token,
        emu.bot_token,
        "xoxb-wrong",
        None,
        emu.app_token,
    ]


def test_post_message_recorded_with_decoded_params(emu: SlackEmulator) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    resp = bot_client(emu).chat_postMessage(
        channel="C0CHAN", text="hi", blocks=blocks, thread_ts="1700000000.000100"
    )
    assert resp["channel"] == "C0CHAN"
    msg = resp["message"]
    assert (msg["text"], msg["user"], msg["bot_id"]) == ("hi", "UBOT", "BBOT")
    assert msg["ts"] == resp["ts"] and msg["thread_ts"] == "1700000000.000100"
    assert msg["blocks"] == blocks

    # form-encoded body with a JSON-string `blocks` and a `token` field (older clients)
    form = {"token": emu.bot_token, "channel": "C0OTHER", "blocks": json.dumps(blocks)}
    with urllib.request.urlopen(
        emu.api_url + "chat.postMessage", urllib.parse.urlencode(form).encode()
    ) as r:
        assert json.loads(r.read())["ok"] is True

    posts = emu.wait_for_posts(2)
    assert posts[0].params == {
        "channel": "C0CHAN",
        "text": "hi",
        "blocks": blocks,
        "thread_ts": "1700000000.000100",
    }
    assert posts[1].params == {"channel": "C0OTHER", "blocks": blocks}
    assert posts[1].token == emu.bot_token
    assert [p.params["channel"] for p in emu.posts("C0OTHER")] == ["C0OTHER"]
    assert emu.wait_for_call("chat.postMessage", lambda c: c.text == "hi") is posts[0]
    ts = [float(p.response["ts"]) for p in posts]
    assert ts[0] < ts[1]


def test_post_message_errors(emu: SlackEmulator) -> None:
    client = bot_client(emu)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"text": "no channel"}, "channel_not_found"),
        ({"channel": "C1"}, "no_text"),
        ({"channel": "C1", "text": "x" * 40_001}, "msg_too_long"),
        ({"channel": "C1", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ]
    for kwargs, error in cases:
        with pytest.raises(SlackApiError) as err:
            client.api_call("chat.postMessage", json=kwargs)
        assert err.value.response["error"] == error, kwargs
    assert emu.posts() == []
    assert len(emu.calls_to("chat.postMessage")) == len(cases)

    with pytest.raises(SlackApiError) as err:
        client.api_call("no.suchMethod")
    assert err.value.response["error"] == "unknown_method"

    with pytest.raises(TimeoutError, match=r"no\.suchMethod"):
        emu.wait_for_call("chat.postMessage", lambda c: c.ok, timeout=0.05)


def test_fail_next_429_has_retry_after(emu: SlackEmulator) -> None:
    client = bot_client(emu)
    emu.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        client.chat_postMessage(channel="C1", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    client.chat_postMessage(channel="C1", text="x")  # only the next call failed
    assert [c.status for c in emu.calls_to("chat.postMessage")] == [429, 200]
    assert len(emu.posts()) == 1

    emu.fail_next("auth.test", status=200, error="team_access_not_granted")
    emu.fail_next("auth.test", status=503, count=2)
    with pytest.raises(SlackApiError) as err:
        client.auth_test()
    assert (err.value.response.status_code, err.value.response["error"]) == (
        200,
        "team_access_not_granted",
    )
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            client.auth_test()
        assert err.value.response.status_code == 503
    assert client.auth_test()["ok"]


def test_other_methods(emu: SlackEmulator) -> None:
    client = bot_client(emu)
    user = client.users_info(user="U0ALICE")["user"]
    assert (user["id"], user["name"], user["tz"], user["is_bot"]) == (
        "U0ALICE",
        "alice",
        "Europe/Berlin",
        False,
    )
    assert user["tz_offset"] in (3600, 7200)
    emu.set_user("U0BOB", tz="America/New_York")
    assert client.users_info(user="U0BOB")["user"]["tz"] == "America/New_York"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="C123")
    emu.set_usergroup("S0OPS", ["U0ALICE", "U0BOB"])
    assert client.usergroups_users_list(usergroup="S0OPS")["users"] == ["U0ALICE", "U0BOB"]
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        client.usergroups_users_list(usergroup="S0NONE")

    assert client.conversations_open(users="U0ALICE")["channel"]["id"] == "D0ALICE"
    assert client.conversations_info(channel="C0CHAN")["channel"]["is_member"] is True

    posted = client.chat_postMessage(channel="U0ALICE", text="dm")
    assert posted["channel"] == "D0ALICE"
    assert len(emu.posts("D0ALICE")) == 1 and len(emu.posts("U0ALICE")) == 1
    upd = client.chat_update(channel="D0ALICE", ts=posted["ts"], text="edited")
    assert upd["message"]["text"] == "edited"
    assert emu.message("D0ALICE", posted["ts"])["text"] == "edited"  # type: ignore[index]
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_update(channel="D0ALICE", ts="1.000001", text="x")

    assert client.chat_postEphemeral(channel="C0CHAN", user="U0ALICE", text="psst")["message_ts"]
    client.reactions_add(channel="C0CHAN", timestamp=posted["ts"], name="eyes")
    with pytest.raises(SlackApiError, match="already_reacted"):
        client.reactions_add(channel="C0CHAN", timestamp=posted["ts"], name="eyes")

    view = {"type": "home", "blocks": [{"type": "divider"}]}
    published = client.views_publish(user_id="U0ALICE", view=view)["view"]
    assert published["type"] == "home" and published["blocks"] == view["blocks"]
    assert emu.home_views["U0ALICE"]["id"] == published["id"]
    assert emu.calls_to("views.publish")[0].params["view"] == view
    for bad in (
        {"type": "modal", "blocks": []},
        {"type": "home", "blocks": [view["blocks"][0]] * 101},
    ):
        with pytest.raises(SlackApiError, match="invalid_arguments"):
            client.views_publish(user_id="U0ALICE", view=bad)
    long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    with pytest.raises(SlackApiError, match="invalid_blocks"):
        client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": [long]})
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        client.api_call("views.publish", json={"view": view})


# ----------------------------------------------------------------------------- Socket Mode


def test_socket_mode_event_and_ack(emu: SlackEmulator) -> None:
    ws, hello = connect_raw(emu)
    try:
        assert hello == {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {
                "host": "applink-emulator",
                "build_number": 1,
                "approximate_connection_time": 18060,
            },
            "connection_info": {"app_id": "A0APP"},
        }
        emu.wait_connected()
        assert (emu.connects_total, emu.open_connections) == (1, 1)

        env = emu.mention("who is on call?", thread_ts="1700000000.000100")
        msg = recv_json(ws)
        assert msg == env.payload
        assert set(msg) == {
            "envelope_id",
            "payload",
            "type",
            "accepts_response_payload",
            "retry_attempt",
            "retry_reason",
        }
        assert (msg["type"], msg["accepts_response_payload"]) == ("events_api", False)
        assert (msg["retry_attempt"], msg["retry_reason"]) == (0, "")
        payload = msg["payload"]
        assert payload["type"] == "event_callback"
        assert payload["event_id"] == env.event_id and payload["event_id"].startswith("Ev0")
        assert len(payload["event_id"]) >= 11 and payload["event_id"][3:].isalnum()
        assert isinstance(payload["event_time"], int)
        assert payload["event_context"].startswith("4-eyJ")
        assert payload["authorizations"] == [
            {
                "enterprise_id": None,
                "team_id": "T0TEAM",
                "user_id": "UBOT",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ]
        for key, value in {
            "token": "XXYYZZ",
            "team_id": "T0TEAM",
            "context_team_id": "T0TEAM",
            "context_enterprise_id": None,
            "api_app_id": "A0APP",
            "is_ext_shared_channel": False,
        }.items():
            assert payload[key] == value
        event = payload["event"]
        assert event["type"] == "app_mention"
        assert event["text"] == "<@UBOT> who is on call?"
        assert (event["user"], event["channel"], event["team"]) == ("U0ALICE", "C0CHAN", "T0TEAM")
        assert event["ts"] == event["event_ts"] and event["thread_ts"] == "1700000000.000100"
        assert event["blocks"][0]["type"] == "rich_text"

        assert not emu.is_acked(env)
        ws.send(json.dumps({"envelope_id": env.envelope_id}))
        ack = emu.wait_for_ack(env, timeout=2)
        assert (ack.envelope_id, ack.payload) == (env.envelope_id, None)
        assert emu.is_acked(env)
        assert emu.frames[-1].data == {"envelope_id": env.envelope_id}

        ws.ping("x")  # autoping answers
        assert ws.recv_data(control_frame=True)[0] == websocket.ABNF.OPCODE_PONG
    finally:
        close_quietly(ws)


def test_event_builders_shapes(emu: SlackEmulator) -> None:
    ws, _ = connect_raw(emu)
    try:
        dm = recv_after(ws, emu.dm("hello"))["event"]
        assert (dm["type"], dm["channel_type"], dm["channel"]) == ("message", "im", "D0ALICE")
        assert dm["text"] == "hello" and "client_msg_id" in dm
        joined = recv_after(ws, emu.member_joined("C0CHAN", "U0BOB"))["event"]
        assert joined == {
            "type": "member_joined_channel",
            "user": "U0BOB",
            "channel": "C0CHAN",
            "channel_type": "C",
            "team": "T0TEAM",
            "inviter": "U0INVITER",
            "event_ts": joined["event_ts"],
        }
        home = recv_after(ws, emu.app_home_opened("U0ALICE"))["event"]
        assert (home["type"], home["channel"], home["tab"]) == (
            "app_home_opened",
            "D0ALICE",
            "home",
        )
        bot_client(emu).views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})
        assert recv_after(ws, emu.app_home_opened("U0ALICE"))["event"]["view"]["type"] == "home"
        emu.deactivate_user("U0BOB")
        changed = recv_after(ws, emu.user_change("U0BOB"))["event"]
        assert (changed["type"], changed["user"]["id"], changed["user"]["deleted"]) == (
            "user_change",
            "U0BOB",
            True,
        )
        assert changed["user"] == bot_client(emu).users_info(user="U0BOB")["user"]
        assert "cache_ts" in changed and "event_ts" in changed
        joined_team = recv_after(ws, emu.team_join("U0NEW"))["event"]
        assert (joined_team["type"], joined_team["user"]["name"]) == ("team_join", "new")
    finally:
        close_quietly(ws)


def recv_after(ws: websocket.WebSocket, env: Any) -> dict[str, Any]:
    msg = recv_json(ws)
    assert msg["envelope_id"] == env.envelope_id
    return msg["payload"]


def test_redeliver_keeps_event_id(emu: SlackEmulator) -> None:
    ws, _ = connect_raw(emu)
    try:
        env = emu.mention("hi")
        first = recv_json(ws)
        again = emu.redeliver(env)
        second = recv_json(ws)
        assert second["envelope_id"] == again.envelope_id != env.envelope_id
        assert second["payload"] == first["payload"]
        assert again.event_id == env.event_id
        assert (second["retry_attempt"], second["retry_reason"]) == (1, "timeout")
        third = emu.redeliver(again, reason="timeout")
        assert third.payload["retry_attempt"] == 2
    finally:
        close_quietly(ws)


def test_auto_redeliver_unacked(emu: SlackEmulator) -> None:
    emu.auto_redeliver_after = 0.1
    ws, _ = connect_raw(emu)
    try:
        env = emu.mention("hi")
        first = recv_json(ws)
        retry = recv_json(ws)  # not acked -> Slack retries
        assert retry["payload"]["event_id"] == env.event_id
        assert retry["envelope_id"] != first["envelope_id"]
        assert (retry["retry_attempt"], retry["retry_reason"]) == (1, "timeout")
        ws.send(json.dumps({"envelope_id": retry["envelope_id"]}))
        emu.wait_for_ack(emu.envelopes[-1])
        ws.settimeout(0.4)
        with pytest.raises(websocket.WebSocketTimeoutException):
            ws.recv()  # acked: no further retries
        assert [e.retry_attempt for e in emu.envelopes] == [0, 1]
    finally:
        close_quietly(ws)


def test_auto_redeliver_gives_up_after_three_retries(emu: SlackEmulator) -> None:
    emu.auto_redeliver_after = 0.05
    ws, _ = connect_raw(emu)
    try:
        emu.mention("hi")
        attempts = [recv_json(ws)["retry_attempt"] for _ in range(4)]
        assert attempts == [0, 1, 2, 3]
        ws.settimeout(0.3)
        with pytest.raises(websocket.WebSocketTimeoutException):
            ws.recv()
    finally:
        close_quietly(ws)


@pytest.mark.parametrize("mode", ["close_frame", "eof", "reset"])
def test_drop_connections_closes_client(emu: SlackEmulator, mode: str) -> None:
    ws, _ = connect_raw(emu)
    try:
        assert emu.drop_connections(mode) == 1  # type: ignore[arg-type]
        assert emu.open_connections == 0
        if mode == "close_frame":
            opcode, frame = ws.recv_data_frame(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_CLOSE
            assert int.from_bytes(frame.data[:2], "big") == 1001
        else:
            expected = ConnectionResetError if mode == "reset" else websocket.WebSocketException
            with pytest.raises(expected):
                ws.recv()
        with pytest.raises(ConnectionError):
            emu.send_event({"type": "app_mention"}, wait_connected=False)
    finally:
        close_quietly(ws)


def test_ticket_single_use_and_reject_connections(emu: SlackEmulator) -> None:
    url = WebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{emu.port}/link/?ticket=")
    assert url.endswith("&app_id=A0APP")
    websocket.create_connection(url, timeout=5).close()
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        websocket.create_connection(url, timeout=5)
    assert err.value.status_code == 401
    with pytest.raises(websocket.WebSocketBadStatusException):
        websocket.create_connection(url.replace("ticket=", "ticket=x"), timeout=5)

    emu.reject_connections = True
    with pytest.raises(SlackApiError):
        WebClient(base_url=emu.api_url).apps_connections_open(app_token=emu.app_token)


def test_send_disconnect_and_newest_connection_wins(emu: SlackEmulator) -> None:
    old, _ = connect_raw(emu)
    new, hello = connect_raw(emu)
    try:
        assert hello["num_connections"] == 2
        env = emu.mention("hi")
        assert recv_json(new)["envelope_id"] == env.envelope_id
        assert emu.send_disconnect() == 1
        assert recv_json(new) == payloads.disconnect_message("refresh_requested")
    finally:
        close_quietly(old, new)


def test_a_storm_fails_every_call_of_its_methods_until_it_ends(emu: SlackEmulator) -> None:
    client = WebClient(token=emu.bot_token, base_url=emu.api_url, timeout=5, retry_handlers=[])
    emu.storm(["auth.test", "users.info"], 0.5, status=503)
    for _ in range(3):
        with pytest.raises(SlackApiError) as err:
            client.auth_test()
        assert err.value.response.status_code == 503
    assert client.api_call("api.test")["ok"]  # not in the storm
    time.sleep(0.5)
    assert client.auth_test()["ok"]
    emu.storm("users.info", 5.0)
    with pytest.raises(SlackApiError) as err:
        client.users_info(user="U0ALICE")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "1"
    emu.clear_faults()
    assert client.users_info(user="U0ALICE")["ok"]


def test_offline_refuses_every_connection_and_resets_open_ones(emu: SlackEmulator) -> None:
    ws, _ = connect_raw(emu)
    try:
        emu.go_offline()
        assert emu.offline and emu.open_connections == 0
        with pytest.raises((ConnectionResetError, websocket.WebSocketException)):
            ws.recv()
        with pytest.raises(urllib.error.URLError):
            bot_client(emu).auth_test()
        emu.go_online()
        assert not emu.offline
        assert bot_client(emu).auth_test()["ok"]
    finally:
        close_quietly(ws)


def test_a_half_open_socket_swallows_envelopes_and_pings(emu: SlackEmulator) -> None:
    emu.auto_redeliver_after = 0.3
    old, _ = connect_raw(emu)
    try:
        assert emu.half_open() == 1
        swallowed = emu.mention("hi")
        old.ping()
        old.settimeout(0.5)
        with pytest.raises(websocket.WebSocketTimeoutException):
            old.recv_data(control_frame=True)  # neither the envelope nor a pong
        new, _ = connect_raw(emu)  # the client gave up on it and connected again
        try:
            again = recv_json(new)  # retried into the dead socket, then to the new one
            assert again["payload"]["event_id"] == swallowed.event_id
            assert again["retry_attempt"] >= 1
            assert emu.open_connections == 1  # the dead one is gone
        finally:
            close_quietly(new)
    finally:
        close_quietly(old)


def test_spread_envelopes_go_to_each_connection_in_turn(emu: SlackEmulator) -> None:
    emu.spread_envelopes = True
    sockets = [connect_raw(emu)[0] for _ in range(3)]
    try:
        sent = [emu.mention(f"hi {i}") for i in range(6)]
        assert len({env.connection_id for env in sent}) == 3
        assert [env.connection_id for env in sent[:3]] == [env.connection_id for env in sent[3:]]
        for ws in sockets:
            assert len([recv_json(ws), recv_json(ws)]) == 2
    finally:
        close_quietly(*sockets)


# ----------------------------------------------------------------------------- lifecycle


def test_start_stop_is_fast_and_leak_free() -> None:
    before = threading.active_count()
    started = time.monotonic()
    for _ in range(50):
        emu = SlackEmulator().start()
        ws, _ = connect_raw(emu)
        t0 = time.monotonic()
        emu.stop()
        assert time.monotonic() - t0 < 1.0
        close_quietly(ws)
    assert threading.active_count() == before
    assert time.monotonic() - started < 20


# ----------------------------------------------------------------------------- bolt


def test_bolt_socket_mode_app_roundtrip_and_reconnect(emu: SlackEmulator) -> None:
    from slack_bolt import App
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler

    app = App(token=emu.bot_token, client=bot_client(emu))

    @app.event("app_mention")
    def on_mention(event: dict[str, Any], say: Any) -> None:
        say(text=f"pong: {event['text']}", thread_ts=event["ts"])

    handler = SocketModeHandler(
        app, app_token=emu.app_token, web_client=WebClient(base_url=emu.api_url)
    )
    handler.connect()
    try:
        emu.wait_connected(timeout=10)
        env = emu.mention("ping")
        post = emu.wait_for_posts(1, channel="C0CHAN")[0]
        assert post.text == "pong: <@UBOT> ping"
        assert post.params["thread_ts"] == env.event["ts"]  # type: ignore[index]
        emu.wait_for_ack(env)

        emu.drop_connections("eof")
        emu.wait_connected(timeout=15, count=2)
        env2 = emu.mention("still there?")
        posts = emu.wait_for_posts(2, timeout=10)
        assert posts[1].text == "pong: <@UBOT> still there?"
        emu.wait_for_ack(env2)
        assert emu.connects_total == 2
    finally:
        # websocket-client can miss its own close() for ~10 s (epoll race in its dispatcher);
        # a server-side close wakes it at once, so tear down from our end first.
        handler.client.auto_reconnect_enabled = False
        emu.drop_connections("close_frame")
        handler.close()


def test_channel_membership_methods(emu: SlackEmulator) -> None:
    client = bot_client(emu)
    emu.add_members("C1", "U0ALICE", "U0BOB", "UBOT")
    emu.add_members("G1", "U0ALICE")  # private, without the bot
    first = client.conversations_members(channel="C1", limit=2)
    assert first["members"] == ["U0ALICE", "U0BOB"]
    rest = client.conversations_members(
        channel="C1", cursor=first["response_metadata"]["next_cursor"]
    )
    assert rest["members"] == ["UBOT"] and rest["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_members(channel="G1")
    found = client.users_conversations(user="U0ALICE", types="public_channel,private_channel")
    assert [c["id"] for c in found["channels"]] == ["C1"]
    emu.remove_member("C1", "U0ALICE")
    assert client.users_conversations(user="U0ALICE")["channels"] == []


def test_bots_info_trigger_ids_and_view_submission(emu: SlackEmulator) -> None:
    client = bot_client(emu)
    bot = client.bots_info(bot=emu.bot_id)["bot"]
    assert (bot["app_id"], bot["user_id"]) == (emu.app_id, emu.bot_user_id)
    with pytest.raises(SlackApiError, match="bot_not_found"):
        client.bots_info(bot="B0NONE")

    modal = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        client.views_open(trigger_id="1.2.3", view=modal)
    ws, _ = connect_raw(emu)
    try:
        emu.wait_connected()
        click = emu.block_action("open", user="U0BOB")
        assert recv_json(ws) == click.payload
        trigger = click.payload["payload"]["trigger_id"]
        opened = client.views_open(trigger_id=trigger, view=modal)["view"]
        assert emu.views_opened()[-1]["id"] == opened["id"]

        values = {"b": {"a": {"type": "plain_text_input", "value": "v"}}}
        submit = emu.view_submission(opened["id"], values, user="U0BOB")
        sent = recv_json(ws)
        assert (sent["type"], sent["accepts_response_payload"]) == ("interactive", True)
        payload = sent["payload"]
        assert (payload["type"], payload["user"]["id"]) == ("view_submission", "U0BOB")
        assert payload["view"]["id"] == opened["id"]
        assert payload["view"]["state"] == {"values": values}
        answer = {"response_action": "errors", "errors": {"b": "no"}}
        ws.send(json.dumps({"envelope_id": submit.envelope_id, "payload": answer}))
        assert emu.wait_for_ack(submit).payload == answer
    finally:
        close_quietly(ws)
