"""The App Home in Slack: the view model rendered with slack_sdk's blocks, the Set away modal,
and the publisher the outbox sender calls.

A view is built when it is published, from the state of that moment (a `home` outbox row
carries no view), so a republish can never show something older than the change that queued
it. Slack allows 100 blocks and 3,000 characters per section: lines are packed into sections,
and whatever does not fit is counted in a line that says so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.core import cron
from bot.core.commands import BOT_HANDLE, BOT_NAME, Context
from bot.core.home import (
    HOME_GROUP,
    AwayForm,
    HomeModel,
    RotationState,
    home_model,
)
from bot.core.limits import AWAY_NOTE_LENGTH
from bot.core.model import AwayPeriod, Request, Rotation, Verbatim, bold
from bot.core.ports import (
    AvailabilityRepository,
    Deactivated,
    NotificationSettings,
    RotationRepository,
    ScheduleRepository,
    UserDirectory,
)
from bot.core.registry import COMMANDS
from bot.core.shifts import HORIZON, MAX_HANDOFFS, handoff_hint, short_date
from bot.slack.client import time_budget
from bot.slack.outbound import LOOKUP_BUDGET_SECONDS, UndeliverableError, delivery_errors
from bot.slack.render import literal
from bot.slack.swaps import swap_buttons

log = logging.getLogger(__name__)

MAX_BLOCKS = 100
SECTION_CHARS = 3000
AWAY_SHOWN = 10  # away periods with their own Remove button; the rest are counted
ROTATIONS_SHOWN = 50  # rotations listed (those on call first); the rest are counted
ON_CALL_SHOWN = 20
SHIFTS_SHOWN = 30
SWAPS_SHOWN = 5  # pending swap requests (each with its buttons); the rest are counted

SET_AWAY = "home_set_away"  # action ids and the modal's callback id, as the listeners match
REMOVE_AWAY = "home_remove_away"
AWAY_FORM = "home_away_form"
FIELD_ACTIONS = {"start": "date", "end": "date", "note": "text"}  # block id -> action id


def _name(rotation: Rotation) -> str:
    return literal(bold(rotation.name))


def _where(rotation: Rotation) -> str:
    return f"{_name(rotation)} in <#{rotation.channel}>"


def _at(moment: datetime, zone: ZoneInfo) -> str:
    return cron.format_run(moment, zone)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))


def _context(text: str) -> ContextBlock:
    return ContextBlock(elements=[MarkdownTextObject(text=text)])


def _pack(
    lines: Sequence[str], sections: int, more: Callable[[int], str], limit: int | None = None
) -> list[Block]:
    """At most `limit` lines in at most `sections` sections of at most SECTION_CHARS each,
    and then, if some are left out, one context block in which `more(n)` counts them."""
    blocks: list[Block] = []
    current = ""
    shown = 0
    for line in lines[:limit]:
        line = line if len(line) <= SECTION_CHARS else line[: SECTION_CHARS - 1] + "…"
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > SECTION_CHARS:
            if len(blocks) + 1 >= sections:
                break
            blocks.append(_section(current))
            candidate = line
        current = candidate
        shown += 1
    if current:
        blocks.append(_section(current))
    if shown < len(lines):
        blocks.append(_context(more(len(lines) - shown)))
    return blocks


def _on_call_line(state: RotationState, zone: ZoneInfo) -> str:
    since = f" since {_at(state.rotation.duty_since, zone)}" if state.rotation.duty_since else ""
    until = f", until the handoff {_at(state.next_at, zone)}" if state.next_at else ""
    note = f" (you are {state.holder_note})" if state.holder_note else ""
    return f"• {_where(state.rotation)}{since}{until}{note}"


def _rotation_line(state: RotationState, zone: ZoneInfo) -> str:
    holder = state.holder.mention()
    note = f" ({state.holder_note})" if state.holder_note else ""
    text = f"• {_where(state.rotation)}: {holder} on duty{note}"
    turn = " (in turn, after standing in)" if state.in_turn else ""  # as `who` says
    if state.standing_in_for is not None:
        turn = f" (a swap: standing in for {state.standing_in_for.mention()})"
    if state.next_at is not None:
        after = (
            f", to {state.next_holder.mention()}{turn}"
            if state.next_holder
            else ", but nobody else is available"
        )
        return f"{text}. Next handoff {_at(state.next_at, zone)}{after}."
    if state.next_holder is not None:
        return f"{text}. Next in line: {state.next_holder.mention()}{turn}; no handoff schedule."
    if state.nobody_else:
        return f"{text}. Nobody else is available to take over; no handoff schedule."
    return f"{text}."


def _period_text(period: AwayPeriod, today: date) -> str:
    """`Away Mon 07 Dec to Tue 08 Dec (now): note`"""
    days = (
        short_date(period.start, today)
        if period.start == period.end
        else f"{short_date(period.start, today)} to {short_date(period.end, today)}"
    )
    now = " (now)" if period.covers(today) else ""
    note = f": {literal(Verbatim(period.note))}" if period.note else ""
    return f"Away {days}{now}{note}"


def _availability(model: HomeModel) -> list[Block]:
    today = model.today
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Availability"))]
    if not model.away:
        blocks.append(_section("You are not away on any day. `rotate` counts on you."))
    for period in model.away[:AWAY_SHOWN]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=_period_text(period, today)),
                accessory=ButtonElement(
                    text=PlainTextObject(text="Remove"),
                    action_id=REMOVE_AWAY,
                    value=str(period.id),
                ),
            )
        )
    left = len(model.away) - AWAY_SHOWN
    if left > 0:
        blocks.append(_context(f"{left} more away periods: `{BOT_HANDLE} away` lists them all."))
    blocks.append(
        ActionsBlock(
            block_id="availability",
            elements=[ButtonElement(text=PlainTextObject(text="Set away"), action_id=SET_AWAY)],
        )
    )
    blocks.append(
        _context(f"Whole days in your time zone ({model.zone.key}), in all your rotations.")
    )
    return blocks


def _swaps(model: HomeModel) -> list[Block]:
    """Requests to answer, with the same Accept and Decline as the request's message, then
    the person's own waiting for an answer."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="Swap requests"))]
    lines = sorted(model.swaps, key=lambda line: not line.incoming)
    for line in lines[:SWAPS_SHOWN]:
        swap = line.swap
        shift = f"from {_at(swap.shift_start, model.zone)}" if swap.shift_start else "held now"
        where = f"{_where(line.rotation)} {shift} (request #{swap.id})"
        if not line.incoming:
            blocks.append(_section(f"You asked <@{swap.target}> to take your shift on {where}."))
            continue
        blocks.append(_section(f"<@{swap.requester}> asks you to take their shift on {where}."))
        blocks.append(swap_buttons(swap.id))
    left = len(lines) - SWAPS_SHOWN
    if left > 0:
        blocks.append(_context(f"{left} more: `{BOT_HANDLE} swaps` lists them all."))
    return blocks


def _first_run(model: HomeModel) -> list[Block]:
    return [
        HeaderBlock(text=PlainTextObject(text="Welcome to dienstplan")),
        _section(
            "I keep on-call rotations in Slack channels: who is on duty, handing the duty on "
            "by hand or on a schedule, and who is away. You are in no rotation yet."
        ),
        _section(
            "*How to start*\n"
            "1. Invite me to a channel: `/invite @dienstplan`.\n"
            f"2. Create a rotation there: `{COMMANDS['create'].example}`\n"
            f"3. Hand the duty on each week: `{BOT_HANDLE} {handoff_hint('backend-rota')}`\n"
            f"`{BOT_HANDLE} help` lists every command. Once you are in a rotation, this page "
            "shows your duties and shifts."
        ),
        DividerBlock(),
        *_availability(model),
    ]


def home_view(model: HomeModel) -> View:
    """The person's Home: on call now, next shifts, availability, then their rotations with
    whatever block budget is left."""
    if model.first_run:
        return View(type="home", blocks=_first_run(model))
    zone = model.zone
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="On call now"))]
    on_call = [_on_call_line(s, zone) for s in model.on_call]
    blocks += _pack(
        on_call or ["You are not on call right now."],
        2,
        lambda n: f"…and {n} more duties: `{BOT_HANDLE} shifts` lists them.",
        ON_CALL_SHOWN,
    )
    blocks += [
        DividerBlock(),
        HeaderBlock(text=PlainTextObject(text=f"Your shifts, next {HORIZON.days} days")),
        _context(f"Times in {zone.key}."),
    ]
    shifts = [
        f"• {_at(u.start, zone)}"
        + (f" to {_at(u.end, zone)}" if u.end else "")
        + f": {_where(u.rotation)}"
        for u in model.upcoming
    ]
    if not shifts:
        shifts = [f"No shifts with known times in the next {HORIZON.days} days."]
    blocks += _pack(
        shifts,
        3,
        lambda n: f"…and {n} more shifts: `{BOT_HANDLE} shifts` lists them.",
        SHIFTS_SHOWN,
    )
    if model.upcoming_cut:
        blocks.append(
            _context(
                f"A rotation hands over so often that only its next {MAX_HANDOFFS} handoffs "
                "were worked out."
            )
        )
    if model.swaps:
        blocks += [DividerBlock(), *_swaps(model)]
    blocks += [DividerBlock(), *_availability(model), DividerBlock()]
    count = len(model.rotations)
    blocks.append(HeaderBlock(text=PlainTextObject(text=f"Your rotations ({count})")))
    mine_first = sorted(model.rotations, key=lambda s: not s.mine)  # stable: channel, name
    blocks += _pack(
        [_rotation_line(s, zone) for s in mine_first],
        MAX_BLOCKS - len(blocks) - 1,
        lambda n: (
            f"{n} more rotations are not shown here: `{BOT_HANDLE} shifts` and, in a "
            f"direct message with me, `{BOT_HANDLE} list` show them all."
        ),
        ROTATIONS_SHOWN,
    )
    return View(type="home", blocks=blocks)


def away_modal(today: date, zone: ZoneInfo) -> View:
    """The Set away form: first and last day (today by default), an optional note."""
    return View(
        type="modal",
        callback_id=AWAY_FORM,
        title=PlainTextObject(text="Set away"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            InputBlock(
                block_id="start",
                label=PlainTextObject(text="First day away"),
                element=DatePickerElement(action_id="date", initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id="end",
                label=PlainTextObject(text="Last day away"),
                element=DatePickerElement(action_id="date", initial_date=today.isoformat()),
            ),
            InputBlock(
                block_id="note",
                label=PlainTextObject(text="Note"),
                optional=True,
                element=PlainTextInputElement(
                    action_id="text",
                    max_length=AWAY_NOTE_LENGTH.value,
                    placeholder=PlainTextObject(text="e.g. vacation"),
                ),
            ),
            _context(
                f"Whole days in your time zone ({zone.key}), both included. `rotate` skips you "
                "on these days in all your rotations."
            ),
        ],
    )


def away_form(values: dict[str, Any]) -> AwayForm:
    """The submitted form from a view_submission's `state.values`; a field Slack left out
    (or a date it could not give) is empty, and the check names it."""

    def value(block: str, key: str) -> Any:
        field = values.get(block, {}).get(FIELD_ACTIONS[block], {})
        return field.get(key) if isinstance(field, dict) else None

    def day(block: str) -> date | None:
        text = value(block, "selected_date")
        try:
            return date.fromisoformat(text) if isinstance(text, str) else None
        except ValueError:
            return None

    note = value("note", "value")
    return AwayForm(day("start"), day("end"), note.strip() if isinstance(note, str) else "")


class HomeStore(
    RotationRepository,
    ScheduleRepository,
    AvailabilityRepository,
    NotificationSettings,
    Protocol,
):
    """What a Home is read from: the repositories, and one read snapshot across them."""

    def snapshot(self) -> AbstractContextManager[None]: ...


def _named(value: Any, handle: str) -> Any:
    """The view with the bot's hints (`@dienstplan shifts`) mentioning its app's real name.
    Names of rotations cannot hold a plain `@name`, so only the bot's text changes."""
    if isinstance(value, dict):
        return {key: _named(item, handle) for key, item in value.items()}
    if isinstance(value, list):
        return [_named(item, handle) for item in value]
    if isinstance(value, str) and handle != BOT_HANDLE:
        return value.replace(BOT_HANDLE, handle)
    return value


class HomePublisher:
    """Publishes Homes for the outbox sender: a person's, or each Home-opening user's of a
    user group. Raises the sender's SlackDeliveryError or UndeliverableError."""

    def __init__(
        self,
        client: WebClient,
        repo: HomeStore,
        directory: UserDirectory,
        timezone: ZoneInfo,
        clock: Callable[[], datetime],
        name: str = BOT_NAME,
    ) -> None:
        self._client = client
        self._repo = repo
        self._directory = directory
        self._timezone = timezone
        self._clock = clock
        self._name = name  # the app's bot user: the hints mention it by that name

    def publish(self, kind: str, ref: str) -> None:
        """Its lookups share a time budget, as a reply's names do (outbound.Sender.render)."""
        if kind == HOME_GROUP:
            with time_budget(LOOKUP_BUDGET_SECONDS):
                members = self._directory.group_members(ref)  # a Slack call: before the read
            with self._repo.snapshot():  # a sender thread may have no connection open yet
                users = sorted(self._repo.home_users(members))
        else:
            users = [ref]
        for user in users:
            with time_budget(LOOKUP_BUDGET_SECONDS):
                model = self.model(user)
            try:
                view = _named(home_view(model).to_dict(), f"@{self._name}")
            except SlackObjectFormationError as error:  # no retry builds another view
                log.exception("the App Home of %s is not a valid view", user)
                raise UndeliverableError("invalid_view") from error
            with delivery_errors():
                self._client.views_publish(user_id=user, view=view)

    def model(self, user: str) -> HomeModel:
        """The person's model, from one read snapshot. Their time zone is looked up first,
        so the snapshot holds no Slack call but the user groups'."""
        self._directory.time_zone(user)
        deactivated: Deactivated = self._directory.for_request()
        with self._repo.snapshot():
            ctx = Context(
                Request("", user, user),
                self._repo,
                self._repo,
                self._clock(),
                self._timezone,
                COMMANDS,
                self._repo,
                deactivated=deactivated,
                directory=self._directory,
                notifications=self._repo,
            )
            return home_model(ctx, user)
