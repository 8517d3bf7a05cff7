"""Which rotations a channel sees: its own, and those of other channels linked to it.

`list` shows them (`list schedules`, with duty and next handoff; `list all schedules` adds
the rotations the user could link), `link` and `unlink` change them. The On-Call Optimizer
calls a rotation a "schedule", so both words work. Only a member of a rotation's channel may
link it: the candidates are the rotations of the user's channels.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core import parser
from bot.core.commands import (
    BOT_HANDLE,
    LIST_LIMIT,
    Command,
    Context,
    InDm,
    always,
    channel_and_name,
    next_parts,
    possessive,
)
from bot.core.errors import DomainError, NotFound, UsageError
from bot.core.model import Quiet, Reply, ReplyPart, Rotation, bold, code, typed
from bot.core.parser import channel_mention, name_key, normalise_spaces
from bot.core.permissions import require_may_change
from bot.core.suggest import closest

# A detailed line reads the duty and the handoff schedules: fewer than a plain list shows.
OVERVIEW_LIMIT = 50
# How many rotations a fragment is matched against, and how many candidates a reply names.
SEARCH_LIMIT = 10_000
CANDIDATES_SHOWN = 20
_NOUNS = {"schedule", "schedules", "rotation", "rotations"}


@dataclass(frozen=True)
class ListArgs:
    """`list` (this channel's rotations), `list schedules` (`linked`: with linked ones, their
    duty and next handoff) or `list all schedules` (`all`: and those the user could link)."""

    view: str  # plain, linked, all


def _view(words: list[str]) -> str | None:
    if not words:
        return "plain"
    if words[0] == "all" and (len(words) == 1 or (len(words) == 2 and words[1] in _NOUNS)):
        return "all"
    if len(words) == 1 and words[0] in _NOUNS:
        return "linked"
    return None


def parse_list(rest: str) -> ListArgs:
    written = normalise_spaces(rest).split()
    words = [w.casefold() for w in written]
    view = _view(words)
    if view is not None:
        return ListArgs(view)
    typo = [closest(w, ["all", *sorted(_NOUNS)]) or w for w in words]
    meant = " ".join(typo) if _view(typo) is not None else None
    raise UsageError(
        "list",
        typed(" ".join(written)[:40]),
        " is not something `list` shows: write nothing, `schedules` (or `rotations`), or "
        "`all schedules`.",
        f" Did you mean `list {meant}`?" if meant else "",
    )


def parse_fragment(command: str) -> Callable[[str], str]:
    """`link schedule <fragment>`: the fragment as typed (a `#channel` may lead it; the
    handler takes it, knowing whether the console's plain `#name` counts)."""

    def parse(rest: str) -> str:
        noun, fragment = parser.split_word(normalise_spaces(rest))
        if noun.casefold() not in _NOUNS:
            hint = closest(noun.casefold(), sorted(_NOUNS)) if noun else None
            if hint and fragment.strip():
                meant = f"{command} {hint.rstrip('s')} {fragment.strip()}"
                raise UsageError(
                    command,
                    typed(noun[:30]),
                    " is not `schedule` or `rotation`. Did you mean ",
                    typed(meant[:80]),
                    "?",
                )
            shown: list[ReplyPart] = (
                [typed(noun[:30]), " is not `schedule` or `rotation`: "] if noun else []
            )
            if parser.leading_plain_channel(noun):  # `link #front schedule x`
                shown = [typed(noun[:30]), f" is {parser.PLAIN_CHANNEL}. Then "]
            raise UsageError(
                command,
                *shown,
                f"write `{command} schedule` (or `{command} rotation`), then part of "
                "the rotation's name.",
            )
        if not fragment.strip():
            raise UsageError(command, "the rotation name (or part of it) is missing.")
        return fragment

    return parse


def _list(ctx: Context, args: ListArgs) -> Reply:
    if ctx.request.direct:
        return _list_mine(ctx) if args.view == "plain" else _overview_mine(ctx)
    if args.view == "plain":
        return _list_here(ctx)
    parts = _overview_here(ctx)
    if args.view == "all":
        parts += _linkable(ctx)
    return Reply.of(*parts)


def _list_here(ctx: Context) -> Reply:
    rotations, total = ctx.repo.list_rotations(ctx.request.channel, LIST_LIMIT)
    if not rotations:
        return Reply.of(
            f"There are no rotations in {ctx.here()} yet. Create one with "
            f"{ctx.commands['create'].usage_line()}."
        )
    parts: list[ReplyPart] = [f"Rotations in {ctx.here()} ({total}), newest first:"]
    for r in rotations:
        parts += ["\n• ", bold(r.name), f" (created {ctx.local_date(r.created_at)})"]
    if total > len(rotations):
        parts.append(f"\nShowing the newest {len(rotations)} of {total}.")
    return Reply.of(*parts)


def _list_mine(ctx: Context) -> Reply:
    """In a DM: the rotations of every channel the user is in, as `#channel name`, so each
    line can be copied into a command."""
    rotations, total = ctx.repo.list_rotations_in(ctx.my_channels(), LIST_LIMIT)
    if not rotations:
        return Reply.of(_none_in_your_channels())
    parts: list[ReplyPart] = [f"Rotations in your channels ({total}), newest first:"]
    for r in rotations:
        parts += ["\n• ", *channel_and_name(r), f" (created {ctx.local_date(r.created_at)})"]
    if total > len(rotations):
        parts.append(f"\nShowing the newest {len(rotations)} of {total}.")
    return Reply.of(*parts)


def _none_in_your_channels() -> str:
    return (
        "There are no rotations in the channels you are a member of. Create one with "
        f"`{BOT_HANDLE} create #channel <rotation name> <list of user mentions> "
        "<duties description>`."
    )


def _overview_mine(ctx: Context) -> Reply:
    """`list schedules` in a DM: the rotations of the user's channels, with their duty."""
    rotations, total = ctx.repo.list_rotations_in(ctx.my_channels(), OVERVIEW_LIMIT)
    if not rotations:
        return Reply.of(_none_in_your_channels())
    parts: list[ReplyPart] = [f"Rotations in your channels ({total}):"]
    for rotation in rotations:
        parts += _line(ctx, rotation, linked=True)
    return Reply.of(*parts, *_more(len(rotations), total))


def _overview_here(ctx: Context) -> list[ReplyPart]:
    """The channel's own rotations, then those linked to it, each with duty and handoff."""
    channel = ctx.request.channel
    own, own_total = ctx.repo.list_rotations(channel, OVERVIEW_LIMIT)
    linked, linked_total = ctx.repo.linked_rotations(channel, OVERVIEW_LIMIT - len(own))
    total = own_total + linked_total
    if not total:
        link = ctx.commands["link"]
        return [
            f"No rotations are linked to {ctx.here()} yet. Create one with "
            f"{ctx.commands['create'].usage_line()}, or link another channel's with "
            f"{link.usage_line()}."
        ]
    parts: list[ReplyPart] = [f"Rotations linked to {ctx.here()} ({total}):"]
    for rotation in own:
        parts += _line(ctx, rotation, linked=False)
    for rotation in linked:
        parts += _line(ctx, rotation, linked=True)
    return parts + _more(len(own) + len(linked), total)


def _more(shown: int, total: int) -> list[ReplyPart]:
    return [f"\nShowing {shown} of {total}."] if total > shown else []


def _line(ctx: Context, rotation: Rotation, *, linked: bool) -> list[ReplyPart]:
    """`• #backend ops: alice is on duty.` and, indented below, the next handoff."""
    name = channel_and_name(rotation) if linked else [bold(rotation.name)]
    stand_in = ctx.repo.stand_in(rotation)  # an accepted swap's holds the shift now
    duty = stand_in or ctx.repo.member_at(rotation, rotation.duty_position)
    return [
        "\n• ",
        *name,
        ": ",
        Quiet(duty),
        " is on duty.",
        *next_parts(ctx, rotation, stand_in, lead="\n    "),
    ]


def _linkable(ctx: Context) -> list[ReplyPart]:
    """The rotations of the user's channels that are neither this channel's nor linked."""
    taken = {r.id for r in ctx.repo.linked_rotations(ctx.request.channel, SEARCH_LIMIT)[0]}
    others = [
        r
        for r in ctx.repo.list_rotations_in(ctx.my_channels(), SEARCH_LIMIT)[0]
        if r.channel != ctx.request.channel and r.id not in taken
    ]
    if not others:
        return ["\n\nThere are no other rotations in the channels you are a member of to link."]
    others.sort(key=lambda r: (r.channel, name_key(r.name)))
    parts: list[ReplyPart] = [f"\n\nOther rotations you could link ({len(others)}):"]
    for rotation in others[:LIST_LIMIT]:
        parts += ["\n• ", *channel_and_name(rotation)]
    parts += _more(min(len(others), LIST_LIMIT), len(others))
    link = ctx.commands["link"]
    return [*parts, f"\n{link.usage_line()} links one; a part of its name is enough."]


def _fragment(ctx: Context, command: str, text: str) -> tuple[str | None, str]:
    """The `#channel` the fragment names (if any) and the fragment itself."""
    channel, rest = parser.split_channel(text, typed=ctx.request.source == "console")
    return channel, parser.parse_name(command, rest)


def _matching(rotations: Sequence[Rotation], fragment: str) -> list[Rotation]:
    """The rotation named exactly, else every one whose name contains the fragment (both
    ignoring case)."""
    key = name_key(fragment)
    exact = [r for r in rotations if name_key(r.name) == key]
    return exact or [r for r in rotations if key in name_key(r.name)]


def _one(ctx: Context, command: str, fragment: str, found: list[Rotation]) -> Rotation:
    if len(found) == 1:
        return found[0]
    found = sorted(found, key=lambda r: (r.channel, name_key(r.name)))
    # typed elsewhere (a DM), the command names the channel it acts on too
    target = f" {channel_mention(ctx.request.channel)}" if ctx.request.elsewhere else ""
    parts: list[ReplyPart] = [
        code(fragment),
        f" matches {len(found)} rotations. Say which one with more of its name, or with its "
        "channel first, as in ",
        code(f"{BOT_HANDLE} {command}{target} schedule #channel name"),
        ":",
    ]
    for rotation in found[:CANDIDATES_SHOWN]:
        parts += ["\n• ", *channel_and_name(rotation)]
    if len(found) > CANDIDATES_SHOWN:
        parts.append(f"\n… and {len(found) - CANDIDATES_SHOWN} more.")
    raise DomainError(*parts)


def _own_named(ctx: Context, fragment: str) -> Rotation | None:
    """This channel's own rotation the fragment names, if it names exactly one."""
    own, _ = ctx.repo.list_rotations(ctx.request.channel, SEARCH_LIMIT)
    found = _matching(own, fragment)
    return found[0] if len(found) == 1 else None


def _link(ctx: Context, text: str) -> Reply:
    channel, fragment = _fragment(ctx, "link", text)
    here = ctx.request.channel
    mine = ctx.my_channels()
    if channel is not None and mine is not None and channel not in mine:
        raise DomainError(
            f"You are not a member of {channel_mention(channel)}, so you can't link its "
            "rotations: only its members can. Join the channel first, or ask someone in it."
        )
    searched = {channel} if channel is not None else mine
    pool = ctx.repo.list_rotations_in(searched, SEARCH_LIMIT)[0]
    found = _matching([r for r in pool if r.channel != here], fragment)
    if not found:
        own = _own_named(ctx, fragment) if channel in (None, here) else None
        if own is not None:
            return Reply.of(
                bold(own.name), f" is {possessive(ctx)} own rotation, so it is linked already."
            )
        where = channel_mention(channel) if channel else "the channels you are a member of"
        raise NotFound(
            "No rotation in ",
            where,
            " matches ",
            code(fragment),
            f". `{BOT_HANDLE} list all schedules` shows the rotations you could link.",
        )
    rotation = _one(ctx, "link", fragment, found)
    if not ctx.repo.link(rotation, here, ctx.request.user, ctx.now):
        return Reply.of(*channel_and_name(rotation), f" is linked to {ctx.here()} already.")
    parts: list[ReplyPart] = ["Linked ", *channel_and_name(rotation), f" to {ctx.here()}."]
    own = ctx.repo.find(here, rotation.name)
    if own is None:
        where = "there" if ctx.request.elsewhere else "here"
        parts += [f" Use it {where} by name, as in ", code(f"{BOT_HANDLE} who {rotation.name}")]
    else:  # the name means the channel's own there: the linked one needs its channel
        whose = possessive(ctx)  # `<#C…>'s` must keep its case to stay a link
        parts += [
            f" {whose[0].upper()}{whose[1:]} own ",
            bold(own.name),
            " keeps that name; write the channel first for the linked one: ",
            *channel_and_name(rotation),
        ]
    return Reply.of(*parts, ".")


def _unlink(ctx: Context, text: str) -> Reply:
    channel, fragment = _fragment(ctx, "unlink", text)
    here = ctx.request.channel
    linked = ctx.repo.linked_rotations(here, SEARCH_LIMIT)[0]
    pool = [r for r in linked if channel is None or r.channel == channel]
    found = _matching(pool, fragment)
    if not found:
        own = _own_named(ctx, fragment) if channel in (None, here) else None
        if own is not None:
            raise DomainError(
                bold(own.name),
                f" is {possessive(ctx)} own rotation, so it cannot be unlinked; ",
                code(f"{BOT_HANDLE} delete {own.name}"),
                " deletes it.",
            )
        raise NotFound(
            "No rotation linked to ",
            ctx.here(),
            " matches ",
            code(fragment),
            f". `{BOT_HANDLE} list schedules` shows the ones that are.",
        )
    rotation = _one(ctx, "unlink", fragment, found)
    require_may_change(ctx, rotation, "unlink")
    ctx.repo.unlink(rotation, here)
    return Reply.of("Unlinked ", *channel_and_name(rotation), f" from {ctx.here()}.")


LIST_COMMAND = Command(
    "list",
    "lists this channel's rotations; `schedules`: with those linked here and who is on duty; "
    "`all schedules`: also those you could link.",
    "[schedules | all schedules]",
    f"{BOT_HANDLE} list schedules",
    parse_list,
    _list,
    names_rotation=False,
    reads_only=True,
    locate=lambda rest, typed: parser.split_first_or_last_channel(rest, typed=typed),
    in_dm=always(InDm.ALL),
)

LINK_COMMANDS: list[Command] = [
    Command(
        "link",
        "links another channel's rotation to this channel, so it can be used here by name.",
        "schedule <name or part of it>",
        f"{BOT_HANDLE} link schedule backend",
        parse_fragment("link"),
        _link,
        names_rotation=False,
        in_dm=always(InDm.NEEDS_CHANNEL),
    ),
    Command(
        "unlink",
        "removes a linked rotation from this channel.",
        "schedule <name or part of it>",
        f"{BOT_HANDLE} unlink schedule backend",
        parse_fragment("unlink"),
        _unlink,
        names_rotation=False,
        in_dm=always(InDm.NEEDS_CHANNEL),
    ),
]
