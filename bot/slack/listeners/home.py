"""The App Home's events and interactions: the tab opened, the Set away button and form, and
the Remove button of an away period.

Every change goes through the dispatcher, in one transaction with the Home's republish in
the outbox. An interaction names the acting user and, for Remove, a period id from the view
the user saw: the dispatcher checks both against the stored state, so a stale Home or a
forged id changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError

from bot.core.dispatcher import Dispatcher
from bot.slack.home import AWAY_FORM, REMOVE_AWAY, SET_AWAY, away_form, away_modal

log = logging.getLogger(__name__)


def _user(body: dict[str, Any]) -> str:
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


def register(app: App, dispatcher: Dispatcher) -> None:
    @app.event("app_home_opened")
    def on_home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        """The Messages tab opens with the same event (`tab: messages`): nothing to publish."""
        if event.get("tab") == "home" and event.get("user"):
            dispatcher.open_home(event["user"], event_id=body["event_id"])

    @app.action(SET_AWAY)
    def on_set_away(ack: Ack, body: dict[str, Any]) -> None:
        """The trigger id lasts 3 seconds, so the modal opens here, not through the outbox.
        Through the app's own client: the one bolt makes per request is a plain WebClient, not
        bound by the envelope's time budget, so a slow views.open would delay the ack."""
        ack()
        user = _user(body)
        zone = dispatcher.zone_of(user)
        today = dispatcher.today(zone)
        try:
            app.client.views_open(trigger_id=body["trigger_id"], view=away_modal(today, zone))
        except (SlackApiError, OSError) as error:  # OSError: no answer (in time)
            code = None
            if isinstance(error, SlackApiError) and error.response:
                code = str(error.response.get("error") or "") or None
            log.warning("could not open the Set away form for %s: %s", user, code or error)
            dispatcher.form_not_opened(user, code)

    @app.action(REMOVE_AWAY)
    def on_remove_away(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        value = str(action.get("value") or "")
        period = int(value) if value.isdigit() else -1  # not an id: nothing to remove
        dispatcher.remove_away(_user(body), period)

    @app.view(AWAY_FORM)
    def on_away_form(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Problems show under their field in the form (`response_action: errors`)."""
        values = (view.get("state") or {}).get("values") or {}
        errors = dispatcher.set_away(_user(body), away_form(values))
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()
