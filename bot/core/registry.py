"""The full command table, assembled group by group: help lists the groups in `Group` order
and the commands in table order, `help` itself last."""

from dataclasses import replace

from bot.core.commands import ROTATION_COMMANDS, Command, Group
from bot.core.home import HOME_COMMAND
from bot.core.links import LINK_COMMANDS, LIST_COMMAND
from bot.core.notifications import NOTIFICATION_COMMAND
from bot.core.personal import AVAILABILITY_COMMANDS
from bot.core.schedules import SCHEDULE_COMMAND
from bot.core.swaps import SWAP_COMMANDS

_GROUPS: list[tuple[Group, list[Command]]] = [
    (Group.ROTATIONS, [c for c in ROTATION_COMMANDS if c.name != "help"] + [LIST_COMMAND]),
    (Group.SCHEDULES, [SCHEDULE_COMMAND]),
    (Group.AVAILABILITY, [*AVAILABILITY_COMMANDS, HOME_COMMAND]),
    (Group.CHANNELS, [*LINK_COMMANDS, NOTIFICATION_COMMAND]),
    (Group.SWAPS, SWAP_COMMANDS),
    (Group.HELP, [c for c in ROTATION_COMMANDS if c.name == "help"]),
]

COMMANDS: dict[str, Command] = {
    c.name: replace(c, group=group) for group, commands in _GROUPS for c in commands
}
