"""Shift swaps: the holder of a shift asks another member to take it; that member accepts or
declines.

An accepted swap gives that one shift to the other member as an override: the order does not
change, so the shift after it goes to whom the order gives. For the shift held now the duty
moves at once (a stand-in until the duty next moves). A request is valid while it is pending,
its shift has not started (for the shift held now: while it lasts, at most a day), the
rotation's members are as they were, and the shift is still the requester's. Every answer is
checked against the stored request and the acting user, so a forged or stale answer (a button
clicked twice, an old DM) changes nothing.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from bot.core import cron
from bot.core.commands import (
    BOT_HANDLE,
    Command,
    Context,
    InDm,
    about_you,
    find_rotation,
    lapse_request,
    on_duty,
)
from bot.core.errors import DomainError, UsageError
from bot.core.model import (
    Member,
    MemberKind,
    Outgoing,
    Quiet,
    Reply,
    ReplyPart,
    Rotation,
    Swap,
    SwapState,
    bold,
    code,
    members_stamp,
    typed,
)
from bot.core.notifications import (
    SWAP_ACCEPTED,
    SWAP_DECLINED,
    SWAP_REQUESTED,
    channel_notifications,
)
from bot.core.parser import (
    MEMBER_RE,
    member_from_match,
    name_key,
    normalise_spaces,
    nothing_after,
    plain_at_hint,
)
from bot.core.personal import is_date_word, resolve
from bot.core.shifts import HORIZON, Holders, Shift, handoff_times, project
from bot.core.suggest import closest

# The shift held now has started already: a request for it lasts while it does, at most this.
HELD_NOW_TTL = timedelta(days=1)
SWAP_KIND = "swap"  # outbox kind of a request's DM: the Slack front end adds the buttons
_ANSWER = re.compile(r"(accept|decline)\s+#?(\d{1,18})", re.IGNORECASE)

log = logging.getLogger(__name__)


def swap_request_id(kind: str) -> int | None:
    """The request an outbox row of kind `swap:<id>` asks about, for its buttons."""
    prefix, _, number = kind.partition(":")
    return int(number) if prefix == SWAP_KIND and number.isdigit() else None


class SwapAsk(NamedTuple):
    rotation: str
    target: Member
    day: str | None  # a date word (`friday`, `2026-12-24`); None: the shift held now


class SwapAnswer(NamedTuple):
    verb: str  # accept, decline
    swap_id: int


def parse_swap(rest: str) -> SwapAsk | SwapAnswer:
    text = normalise_spaces(rest).strip()
    answer = _ANSWER.fullmatch(text)
    if answer:
        return SwapAnswer(answer[1].casefold(), int(answer[2]))
    verb = text.split(maxsplit=1)[0].casefold() if text else ""
    if verb in {"accept", "decline"} and not MEMBER_RE.search(text):
        raise UsageError(
            "swap",
            f"`swap {verb}` takes the request's number, as in `swap {verb} 4`; "
            f"`{BOT_HANDLE} swaps` lists your requests.",
        )
    if not text:
        raise UsageError("swap", "the rotation's name and the person to ask are missing.")
    found = list(MEMBER_RE.finditer(text))
    words = text.split()
    if not found and len(words) == 2 and words[1].isdigit():  # `swap acept 4`
        hint = closest(verb, ["accept", "decline"])
        if hint:
            raise UsageError(
                "swap",
                typed(words[0][:30]),
                " is not `accept` or `decline`. Did you mean ",
                code(f"swap {hint} {words[1]}"),
                "?",
            )
    if not found:
        raise UsageError(
            "swap", "the person to ask is missing: mention them (`@dana`).", *plain_at_hint(text)
        )
    if len(found) > 1:
        raise UsageError("swap", "ask one person at a time.")
    match = found[0]
    if match["group"]:
        raise UsageError("swap", "ask one person, not a user group.")
    name = text[: match.start()].strip()
    if not name:
        raise UsageError("swap", "the rotation's name is missing.")
    words = text[match.end() :].split()
    if len(words) > 1 or (words and not is_date_word(words[0])):
        raise UsageError(
            "swap",
            "after the person, give the day the shift starts (YYYY-MM-DD, `today`, "
            "`tomorrow` or a weekday), or nothing for the shift held now.",
        )
    return SwapAsk(name, member_from_match(match), words[0].casefold() if words else None)


def _parse_swaps(rest: str) -> None:
    nothing_after("swaps", rest)


def _in_dm(args: SwapAsk | SwapAnswer) -> InDm:
    return InDm.HERE if isinstance(args, SwapAnswer) else InDm.BY_NAME


def _swap(ctx: Context, args: SwapAsk | SwapAnswer) -> Reply:
    if isinstance(args, SwapAnswer):
        return answer(ctx, args.swap_id, accept=args.verb == "accept")
    return _ask(ctx, args)


# ---------------------------------------------------------------------------- asking


def _projection(ctx: Context, rotation: Rotation, members: list[Member]) -> list[Shift]:
    schedules = ctx.schedules.rotation_schedules(rotation.channel, name_key(rotation.name))
    handoffs, _ = handoff_times(schedules, ctx.timezone.key, ctx.now + HORIZON)
    return project(
        members,
        rotation.duty_position,
        handoffs,
        unavailable=ctx.unavailable(),
        overrides=ctx.repo.overrides(rotation),
        stand_in=ctx.repo.stand_in(rotation),
    )


def _shift_on(ctx: Context, rotation: Rotation, shifts: list[Shift], day: str) -> Shift:
    """The shift starting on that day (in the asker's zone), the asker's first if several."""
    zone = ctx.zone_of(ctx.request.user)
    today = ctx.now.astimezone(zone).date()
    try:
        wanted = resolve(day, today)
    except UsageError as error:
        raise UsageError("swap", *error.reply.parts) from error
    starting = [s for s in shifts if s.start and s.start.astimezone(zone).date() == wanted]
    if not starting:
        raise DomainError(
            "No shift of ",
            bold(rotation.name),
            f" starts on {wanted.isoformat()} ({zone.key}). ",
            f"`{BOT_HANDLE} shifts` lists yours, with their days.",
        )
    holders = Holders(ctx.directory.group_members)
    mine = [s for s in starting if holders.includes(s.holder, ctx.request.user)]
    return (mine or starting)[0]


def _ask(ctx: Context, args: SwapAsk) -> Reply:
    rotation = find_rotation(ctx, args.rotation)
    user, target = ctx.request.user, args.target
    members = list(ctx.repo.members(rotation))
    if target.ref == user:
        raise DomainError("You can't swap a shift with yourself: mention the person to ask.")
    if not any(m.ref == target.ref and m.kind is MemberKind.USER for m in members):
        raise DomainError(
            Quiet(target),
            " is not a member of ",
            bold(rotation.name),
            ", so they can't take its shifts. ",
            f"`{BOT_HANDLE} about {rotation.name}` lists the members.",
        )
    if ctx.deactivated([target.ref]):
        raise DomainError(Quiet(target), " is deactivated in Slack, so they can't take a shift.")
    if args.day is None:
        shift = _held_now(ctx, rotation)
    else:
        shift = _shift_on(ctx, rotation, _projection(ctx, rotation, members), args.day)
    holders = Holders(ctx.directory.group_members)
    if not holders.includes(shift.holder, user):
        raise DomainError(
            "That ",
            *_shift_name(rotation, shift.start, ctx.zone_of(user)),
            " is ",
            Quiet(shift.holder),
            "'s, not yours: only the person holding a shift can ask to swap it.",
        )
    if holders.includes(shift.holder, target.ref):
        raise DomainError(Quiet(target), " holds that shift already.")
    pending = ctx.repo.pending_swap(rotation, shift.start)
    if pending is not None:
        raise DomainError(
            f"That shift has a pending request already (#{pending.id}, to ",
            Quiet(Member(pending.target)),
            f"). It ends when they answer or the shift starts; `{BOT_HANDLE} swaps` lists it.",
        )
    expires = shift.start or min(shift.end or ctx.now + HELD_NOW_TTL, ctx.now + HELD_NOW_TTL)
    swap = ctx.repo.add_swap(
        rotation,
        start=shift.start,
        requester=user,
        target=target.ref,
        stamp=members_stamp(members),
        now=ctx.now,
        expires_at=expires,
    )
    away = ctx.availability([target.ref]).reason(target, shift.start or ctx.now)
    ctx.effects.messages.append(
        Outgoing(target.ref, _request_text(ctx, rotation, shift, swap), f"{SWAP_KIND}:{swap.id}")
    )
    ctx.effects.concerned.update({user, target.ref})
    _tell_channels(
        ctx,
        rotation,
        SWAP_REQUESTED,
        Quiet(Member(user)),
        " asked ",
        Quiet(target),
        " to take their ",
        *_shift_name(rotation, shift.start, ctx.timezone),
        f" (request #{swap.id}).",
    )
    return Reply.of(
        f"Asked {target.mention()} to take your ",
        *_shift_name(rotation, shift.start, ctx.zone_of(user)),
        f" (request #{swap.id}). They get a direct message to accept or decline; "
        "the request lapses when the shift starts.",
        f" Note: they are {away} then." if away else "",
    )


def _held_now(ctx: Context, rotation: Rotation) -> Shift:
    schedules = ctx.schedules.rotation_schedules(rotation.channel, name_key(rotation.name))
    handoffs, _ = handoff_times(schedules, ctx.timezone.key, ctx.now, limit=1)
    return Shift(
        None, handoffs[0] if handoffs else None, on_duty(ctx, rotation), rotation.duty_position
    )


def _shift_name(rotation: Rotation, start: datetime | None, zone: ZoneInfo) -> list[ReplyPart]:
    """`shift on *ops* from Mon 07 Dec 2026 09:00 CET` (or `shift on *ops* held now`)."""
    if start is None:
        return ["shift on ", bold(rotation.name), " held now"]
    return ["shift on ", bold(rotation.name), f" from {cron.format_run(start, zone)}"]


def _request_text(ctx: Context, rotation: Rotation, shift: Shift, swap: Swap) -> Reply:
    zone = ctx.zone_of(swap.target)
    end = f", until {cron.format_run(shift.end, zone)}" if shift.end else ""
    return Reply.of(
        Quiet(Member(swap.requester)),
        " asks you to take their ",
        *_shift_name(rotation, shift.start, zone),
        end,
        f" in <#{rotation.channel}> (request #{swap.id}). Answer with ",
        f"`{BOT_HANDLE} swap accept {swap.id}` or `{BOT_HANDLE} swap decline {swap.id}`.",
    )


# ---------------------------------------------------------------------------- answering


def answer(ctx: Context, swap_id: int, *, accept: bool) -> Reply:
    """Accept or decline as the acting user. Anything stale or not theirs changes nothing."""
    user = ctx.request.user
    swap = ctx.repo.get_swap(swap_id)
    if swap is None and ctx.request.replace_ts is not None:
        # A button of the request's own message, in the user's DM: requests are removed only
        # with their rotation. An answer, so the message loses its buttons.
        return Reply.of(
            f"Request #{swap_id} is no longer valid: its rotation was deleted. Nothing changed."
        )
    if swap is None or user not in (swap.target, swap.requester):
        raise DomainError(
            f"There is no swap request #{swap_id} for you. `{BOT_HANDLE} swaps` lists yours "
            "(deleting a rotation deletes its requests)."
        )
    if swap.target != user:
        raise DomainError("Only ", Quiet(Member(swap.target)), f" can answer request #{swap_id}.")
    if swap.state is SwapState.EXPIRED:  # an answer, not an error: its message loses its buttons
        return Reply.of(f"Request #{swap_id} is no longer valid: it lapsed. Nothing changed.")
    if swap.state is not SwapState.PENDING:
        raise DomainError(f"Request #{swap_id} is no longer valid: it was {swap.state.value}.")
    rotation = ctx.repo.rotation_by_id(swap.rotation_id)
    assert rotation is not None  # deleting a rotation deletes its requests
    why = _stale(ctx, rotation, swap)
    if why is not None:
        ctx.repo.answer_swap(swap.id, SwapState.EXPIRED, ctx.now)
        ctx.effects.concerned.update({swap.requester, swap.target})
        # Not an error: the request's end is recorded (so it leaves `swaps` and the App Home).
        return Reply.of(f"Request #{swap_id} is no longer valid: {why}. Nothing changed.")
    zone = ctx.zone_of(user)
    shift_name = _shift_name(rotation, swap.shift_start, zone)
    ctx.effects.concerned.update({swap.requester, swap.target})
    if not accept:
        ctx.repo.answer_swap(swap.id, SwapState.DECLINED, ctx.now)
        ctx.effects.messages.append(
            Outgoing(
                swap.requester,
                Reply.of(Quiet(Member(user)), " declined to take your ", *shift_name, "."),
                "swap_answer",
            )
        )
        _tell_channels(
            ctx,
            rotation,
            SWAP_DECLINED,
            Quiet(Member(user)),
            " declined to take ",
            Quiet(Member(swap.requester)),
            "'s ",
            *_shift_name(rotation, swap.shift_start, ctx.timezone),
            f" (request #{swap.id}).",
        )
        return Reply.of(f"You declined request #{swap.id}: the ", *shift_name, " stays theirs.")
    target = Member(user)
    if swap.shift_start is None:
        before = on_duty(ctx, rotation)
        ctx.repo.add_override(rotation, None, target)
        ctx.effects.duty_changed(rotation, before, target, "swap")
    else:
        ctx.repo.add_override(rotation, swap.shift_start, target)
    ctx.repo.answer_swap(swap.id, SwapState.ACCEPTED, ctx.now)
    ctx.effects.messages.append(
        Outgoing(
            swap.requester,
            Reply.of(target.mention(), " accepted your request: they take your ", *shift_name, "."),
            "swap_answer",
        )
    )
    _tell_channels(
        ctx,
        rotation,
        SWAP_ACCEPTED,
        Quiet(target),
        " takes ",
        Quiet(Member(swap.requester)),
        "'s ",
        *_shift_name(rotation, swap.shift_start, ctx.timezone),
        f" (request #{swap.id} accepted).",
    )
    return Reply.of(
        f"You accepted request #{swap.id}: the ",
        *shift_name,
        " is yours",
        " now." if swap.shift_start is None else ".",
        " The order is unchanged.",
    )


def _tell_channels(ctx: Context, rotation: Rotation, name: str, *parts: ReplyPart) -> None:
    """The rotation's linked channels hear of it, except the one the reply went to."""
    ctx.effects.messages.extend(
        channel_notifications(
            ctx.repo,
            ctx.notifications,
            rotation,
            name,
            Reply.of(*parts),
            replied=ctx.request.origin or ctx.request.channel,
        )
    )


def lapse_overtaken_requests(ctx: Context) -> None:
    """Shifts changed (a duty moved, someone's away period, a handoff schedule): a request
    for a later shift its asker no longer holds lapses now, its asker told, rather than when
    someone clicks it; only in the rotations of the duty moves and of the people concerned.
    A shift a user group holds is not judged here: without Slack's answer on the group's
    users, a valid request would lapse. The held-now requests lapse with the duty move."""
    moved = {change.rotation.id for change in ctx.effects.duty_changes}
    rotations: dict[int, Rotation | None] = {}
    for swap in ctx.repo.pending_swaps_later(moved, ctx.effects.concerned):
        if swap.rotation_id not in rotations:
            rotations[swap.rotation_id] = ctx.repo.rotation_by_id(swap.rotation_id)
        rotation = rotations[swap.rotation_id]
        if rotation is None:
            continue
        try:
            why = _stale(ctx, rotation, swap, whose="yours", groups_known=False)
        except Exception:  # a bug here must not fail the command that caused the check
            log.exception("could not check swap request #%d", swap.id)
            continue
        if why is not None:
            lapse_request(ctx, rotation, swap, why)


def _stale(
    ctx: Context,
    rotation: Rotation,
    swap: Swap,
    *,
    whose: str = "theirs",
    groups_known: bool = True,
) -> str | None:
    """Why the request no longer stands, or None; `whose` the shift is not, as its asker or
    the one asked is told. Without `groups_known`, a shift a user group holds counts as still
    the asker's."""
    if ctx.now >= swap.expires_at:
        return "its shift has started" if swap.shift_start else "it lapsed"
    members = list(ctx.repo.members(rotation))
    if members_stamp(members) != swap.stamp:
        return "the rotation's members changed since it was asked"
    holders = Holders(ctx.directory.group_members)
    if swap.shift_start is None:
        holder = on_duty(ctx, rotation)
    else:
        shift = next(
            (s for s in _projection(ctx, rotation, members) if s.start == swap.shift_start), None
        )
        if shift is None:
            return "the rotation's handoff times changed, so that shift no longer exists"
        holder = shift.holder
    if holder.kind is MemberKind.USERGROUP and not groups_known:
        return None
    if not holders.includes(holder, swap.requester):
        if swap.shift_start is None:
            return "the duty has moved on since it was asked"
        return f"that shift is no longer {whose}"
    return None


# ---------------------------------------------------------------------------- listing


def _swaps(ctx: Context, _: None) -> Reply:
    user = ctx.request.user
    pending = ctx.repo.pending_swaps_of(user)
    if not pending:
        return Reply.of(f"You have no pending swap requests. `{BOT_HANDLE} help swap` says how.")
    zone = ctx.zone_of(user)
    parts: list[ReplyPart] = [f"Pending swap requests (times in {zone.key}):"]
    for swap in pending:
        rotation = ctx.repo.rotation_by_id(swap.rotation_id)
        if rotation is None:
            continue
        name = _shift_name(rotation, swap.shift_start, zone)
        if swap.target == user:
            parts += [
                f"\n• #{swap.id} from ",
                Quiet(Member(swap.requester)),
                ": the ",
                *name,
                f" in <#{rotation.channel}>. `{BOT_HANDLE} swap accept {swap.id}` or "
                f"`{BOT_HANDLE} swap decline {swap.id}`",
            ]
        else:
            parts += [
                f"\n• #{swap.id} to ",
                Quiet(Member(swap.target)),
                ": your ",
                *name,
                f" in <#{rotation.channel}>, waiting for their answer",
            ]
    return Reply.of(*parts)


def expiry_notes(swaps: list[Swap], rotation_of: dict[int, Rotation]) -> list[Outgoing]:
    """Tell each requester that nobody answered before the shift started."""
    notes = []
    for swap in swaps:
        rotation = rotation_of.get(swap.rotation_id)
        if rotation is None:
            continue
        notes.append(
            Outgoing(
                swap.requester,
                Reply.of(
                    f"Your swap request #{swap.id} for ",
                    bold(rotation.name),
                    " lapsed: ",
                    Quiet(Member(swap.target)),
                    " did not answer before the shift started.",
                ),
                "swap_answer",
            )
        )
    return notes


SWAP_COMMANDS: list[Command] = [
    Command(
        "swap",
        "asks a member to take your shift (the one held now, or the one starting on a day); "
        "they accept or decline. `swap accept|decline <number>` answers a request.",
        "<rotation name> <user mention> [<day>] | accept <number> | decline <number>",
        f"{BOT_HANDLE} swap backend-rota @dana friday",
        parse_swap,
        _swap,
        in_dm=_in_dm,
    ),
    Command(
        "swaps",
        "lists the pending swap requests you sent or received.",
        "",
        f"{BOT_HANDLE} swaps",
        _parse_swaps,
        _swaps,
        names_rotation=False,
        locate=about_you("swaps"),
        in_dm=lambda _args: InDm.HERE,
    ),
]
