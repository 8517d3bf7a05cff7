"""The message the bot posts when it is added to a channel: what it does there, what to do next.

It names only commands the table has, so a step appears once its command exists (`link`)."""

from __future__ import annotations

from datetime import timedelta

from bot.core.commands import BOT_HANDLE, BOT_NAME, Command
from bot.core.model import Reply

# A bot removed and invited again (by mistake, or by a channel clean-up) does not repeat itself.
WELCOME_AGAIN_AFTER = timedelta(days=1)
# Commands that make a rotation this channel's, beyond `create`, in the order they are offered.
_LINKING = ("link",)


def welcome_message(commands: dict[str, Command]) -> Reply:
    create = commands["create"]
    steps = [
        f"• Create a rotation: {create.usage_line()}, e.g. `{create.example}`",
        f'• Hand the duty on every Monday at 9:00: `{BOT_HANDLE} schedule create "rotate '
        'backend-rota" 0 9 * * Mon`',
    ]
    steps += [f"• {c.usage_line()} {c.summary}" for n in _LINKING if (c := commands.get(n))]
    steps.append(
        f"• `{BOT_HANDLE} help` lists every command, `{BOT_HANDLE} help <command>` explains one."
    )
    return Reply.of(
        f"Hello! I'm *{BOT_NAME}*. I keep this channel's on-call rotations: who is on duty, "
        "handing the duty on round-robin when you ask or on a schedule, and putting someone "
        "on duty out of turn.\nNext steps:\n"
        + "\n".join(steps)
        + "\nIn a direct message with me no mention is needed; name the channel first there, "
        "as in `who #channel backend-rota`."
    )
