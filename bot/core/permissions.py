"""Who may change a rotation in ways others rely on: delete or replace it, schedule it, put
someone else on duty.

A rotation belongs to the people on it: its members (directly or through a user group), the
person who created it, and the workspace's admins and owners, who answer for the workspace.
Anyone else in the channel may read it and take their own turn, but not change it for the
others. `open_permissions` lifts the rule for teams that want everyone to manage every
rotation. The console is run by whoever runs the bot, so it acts as an admin; a scheduled
command was checked when its schedule was created, and runs with that permission.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.errors import DomainError
from bot.core.model import Member, MemberKind, Quiet, Rotation, bold

if TYPE_CHECKING:  # the command handlers, in bot.core.commands, call this module
    from bot.core.commands import Context

TRUSTED_SOURCES = frozenset({"console", "schedule"})
# The commands that may call require_may_change: the dispatcher asks Slack whether their
# writer is an admin before its transaction, so no Slack call holds the write lock.
GUARDED = frozenset({"delete", "update", "assign", "schedule", "unlink"})


def may_change(ctx: Context, rotation: Rotation) -> bool:
    """Cheapest first: the setting and the request, the stored creator, the member index,
    Slack's admin flag (asked before the transaction), then the rotation's user groups."""
    user = ctx.request.user
    if ctx.open_permissions or ctx.request.source in TRUSTED_SOURCES:
        return True
    if rotation.created_by == user or ctx.repo.position_of(rotation, user) is not None:
        return True
    if ctx.directory.is_admin(user):
        return True
    groups = [m.ref for m in ctx.repo.members(rotation) if m.kind is MemberKind.USERGROUP]
    return any(user in ctx.directory.group_members(group) for group in groups)


def require_may_change(ctx: Context, rotation: Rotation, doing: str = "change") -> None:
    """DomainError, politely saying who may, unless the user may change the rotation;
    `doing` names what was tried (`delete`, `schedule commands for`)."""
    if may_change(ctx, rotation):
        return
    raise DomainError(
        f"Sorry, you can't {doing} ",
        bold(rotation.name),
        ": only its members, the person who created it (",
        Quiet(Member(rotation.created_by)),
        ") and workspace admins and owners can. Ask one of them to do it, or to add you to "
        "the rotation.",
    )
