"""Which channel a command acts on: the one it was typed in, the `#channel` it names, or, in a
direct message, the one of the user's channels that has a rotation of that name.

A command typed in one place may reach another channel's rotations only when the user is a
member of that channel, so a DM (or another channel) never shows or changes a rotation of a
channel the user cannot see.
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
    rotation_named,
)
from bot.core.errors import DomainError, NotFound
from bot.core.model import ReplyPart, bold, code
from bot.core.parser import channel_mention


def acting_in(ctx: Context, command: Command, channel: str | None, args: Any) -> Context:
    """The context of the channel the command acts on; DomainError when it may not act or
    cannot tell where."""
    request = ctx.request
    if channel is not None and channel != request.channel:
        _require_member(ctx, channel)
        return replace(ctx, request=replace(request, channel=channel, origin=request.channel))
    if channel is not None or not request.direct:
        return ctx
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
    example = code(f"{BOT_HANDLE} {command.name} #channel {name}")
    if not found:
        raise NotFound(
            "There is no rotation ",
            bold(name),
            " in the channels you are a member of. To name a channel's rotation, write the "
            "channel first: ",
            example,
            f". `{BOT_HANDLE} list` shows the rotations of your channels.",
        )
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


def _needs_channel(command: Command, args: Any) -> list[ReplyPart]:
    """How to say where: the usage with `#channel` in its place."""
    sub = command.subcommand(getattr(args, "subcommand", None))
    usage = sub.usage if sub else command.usage
    words = f"{command.name} {sub.name}" if sub else command.name
    return [
        f"In a direct message, say which channel `{words}` is for: write the channel right "
        f"after `{words}`, as in `{f'{BOT_HANDLE} {words} #channel {usage}'.rstrip()}`."
    ]
