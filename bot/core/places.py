"""Which channel a command acts on: the one it was typed in, the `#channel` it names, or, in a
direct message, the one of the user's channels that has a rotation of that name.

A command typed in one place may reach another channel's rotations only when the user is a
member of that channel, or when that rotation is linked to the channel the command was typed
in, so a DM (or another channel) never shows or changes a rotation of a channel the user cannot
see. In a channel, a name that is none of its own rotations may be a rotation linked to it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.core.commands import (
    BOT_HANDLE,
    Command,
    Context,
    InDm,
    channel_and_name,
    nearest_name,
    plain_channel_note,
    possessive,
    rotation_named,
    without_plain_channel,
)
from bot.core.errors import DomainError, NotFound
from bot.core.model import ReplyPart, Rotation, bold, code
from bot.core.parser import channel_mention, name_key

MAX_SUGGESTED_FROM = 1000  # rotations of the user's channels a typo is matched against
NAME = "<rotation name>"  # in an example, when the name typed was only a `#channel` as text


def acting_in(ctx: Context, command: Command, channel: str | None, args: Any) -> Context:
    """The context of the channel the command acts on; DomainError when it may not act or
    cannot tell where."""
    request = ctx.request
    if channel is not None and channel != request.channel:
        if not _linked_here(ctx, command, channel, args):
            _require_member(ctx, channel)
        there = replace(ctx, request=replace(request, channel=channel, origin=request.channel))
        return _linked(there, command, args)
    if channel is not None or not request.direct:
        return _linked(ctx, command, args)
    rule = command.in_dm(args)
    if rule is InDm.NEEDS_CHANNEL:
        raise DomainError(*_needs_channel(command, args))
    name = rotation_named(command, args)
    if rule is not InDm.BY_NAME or name is None:
        return ctx
    found = _rotation_channel(ctx, command, name)
    if found == request.channel:
        return ctx
    return replace(ctx, request=replace(request, channel=found, origin=request.channel))


def _linked(ctx: Context, command: Command, args: Any) -> Context:
    """A rotation linked to this channel, named as if it were its own: the command acts in
    the rotation's channel. This channel's own rotation of that name wins, with a note on
    how to reach the linked one."""
    name = rotation_named(command, args)
    if name is None or command.creates_rotation:
        return ctx
    own, linked = ctx.repo.find_here(ctx.request.channel, name)
    if own is not None:
        ctx.found[(own.channel, name_key(name))] = own
    if not linked:
        return ctx
    if own is not None:
        if not ctx.request.elsewhere:  # who named the channel means its own; and may not see
            ctx.notes.extend(_also_linked(ctx, command, own, linked))  # the channels linking
        return ctx
    if len(linked) > 1:
        raise DomainError(*_which_linked(ctx, command, name, linked))
    ctx.found[(linked[0].channel, name_key(name))] = linked[0]
    request = ctx.request
    return replace(ctx, request=replace(request, channel=linked[0].channel, origin=request.channel))


def _also_linked(
    ctx: Context, command: Command, own: Rotation, linked: list[Rotation]
) -> list[ReplyPart]:
    name = linked[0].name
    where = "" if len(linked) == 1 else f" from {len(linked)} channels"
    parts: list[ReplyPart] = [
        f"\nThat is {possessive(ctx)} own ",
        bold(own.name),
        f". A rotation of that name is also linked to {ctx.here()}{where}; to use it, "
        "write its channel first, as in ",
        code(f"{BOT_HANDLE} {command.name} #channel {name}"),
        ":",
    ]
    for rotation in linked:
        parts += ["\n• ", *channel_and_name(rotation)]
    return parts


def _which_linked(
    ctx: Context, command: Command, name: str, linked: list[Rotation]
) -> list[ReplyPart]:
    parts: list[ReplyPart] = [
        bold(name),
        f" is a rotation of {len(linked)} channels linked to {ctx.here()}. Say which one by "
        "writing the channel first, as in ",
        code(f"{BOT_HANDLE} {command.name} #channel {name}"),
        ":",
    ]
    for rotation in linked:
        parts += ["\n• ", *channel_and_name(rotation)]
    return parts


def _linked_here(ctx: Context, command: Command, channel: str, args: Any) -> bool:
    """`who #backend backend` typed in a channel #backend's rotation is linked to: allowed
    whoever types it, as `who backend` would be."""
    name = rotation_named(command, args)
    if name is None or ctx.request.direct or command.creates_rotation:
        return False
    return any(r.channel == channel for r in ctx.repo.find_linked(ctx.request.channel, name))


def _require_member(ctx: Context, channel: str) -> None:
    channels = ctx.membership.channels_of(ctx.request.user)
    if channels is not None and channel not in channels:
        raise DomainError(
            f"You are not a member of {channel_mention(channel)}, so you can't use its "
            "rotations from here. Join the channel first, or ask someone in it."
        )


def _rotation_channel(ctx: Context, command: Command, name: str) -> str:
    """The one channel of the user's that has a rotation of this name."""
    found = ctx.repo.find_named(ctx.my_channels(), name)
    if len(found) == 1:
        return found[0].channel
    if not found:
        raise NotFound(*_not_in_my_channels(ctx, command, name))
    example = code(f"{BOT_HANDLE} {command.name} #channel {name}")
    parts: list[ReplyPart] = [
        bold(name),
        f" is a rotation in {len(found)} of your channels. Say which one by writing the "
        "channel first, as in ",
        example,
        ":",
    ]
    for rotation in sorted(found, key=lambda r: r.channel):
        parts += ["\n• ", *channel_and_name(rotation)]
    raise DomainError(*parts)


def _not_in_my_channels(ctx: Context, command: Command, name: str) -> list[ReplyPart]:
    """No rotation of that name in the user's channels: the one they may have meant, and how
    to name a channel's rotation."""
    rotations, _ = ctx.repo.list_rotations_in(ctx.my_channels(), MAX_SUGGESTED_FROM)
    hint = nearest_name(name, [r.name for r in rotations])
    meant: list[ReplyPart] = []
    if hint is not None:
        where = sorted({r.channel for r in rotations if name_key(r.name) == name_key(hint)})
        places = ", ".join(channel_mention(channel) for channel in where)
        meant = [" Did you mean ", bold(hint), f" ({places})?"]
    return [
        "There is no rotation ",
        bold(name),
        " in the channels you are a member of.",
        *plain_channel_note(name, hint),
        *meant,
        " To name a channel's rotation, write the channel first: ",
        code(f"{BOT_HANDLE} {command.name} #channel {hint or without_plain_channel(name) or NAME}"),
        f". `{BOT_HANDLE} list` shows the rotations of your channels.",
    ]


def _needs_channel(command: Command, args: Any) -> list[ReplyPart]:
    """How to say where: the usage with `#channel` in its place."""
    sub = command.subcommand(getattr(args, "subcommand", None))
    usage = sub.usage if sub else command.usage
    words = f"{command.name} {sub.name}" if sub else command.name
    return [
        f"In a direct message, say which channel `{words}` is for: write the channel right "
        f"after `{words}`, as in `{f'{BOT_HANDLE} {words} #channel {usage}'.rstrip()}`."
    ]
