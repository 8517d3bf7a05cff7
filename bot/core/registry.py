"""The full command table: rotation commands, the personal ones (`home` too), `schedule`,
and `help` last."""

from bot.core.commands import ROTATION_COMMANDS, Command
from bot.core.home import HOME_COMMAND
from bot.core.personal import AVAILABILITY_COMMANDS
from bot.core.schedules import SCHEDULE_COMMAND

_ORDER = [c for c in ROTATION_COMMANDS if c.name != "help"]
_ORDER += [*AVAILABILITY_COMMANDS, HOME_COMMAND, SCHEDULE_COMMAND]
_ORDER += [c for c in ROTATION_COMMANDS if c.name == "help"]

COMMANDS: dict[str, Command] = {c.name: c for c in _ORDER}
