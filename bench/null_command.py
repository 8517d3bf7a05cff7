"""A reference beside the bot, not the bot: `dienstplan run` with `who` made a null command.

`who` is answered with a fixed reply that is committed with its event id to the outbox, as
every reply is, and posted by the outbox sender; nothing is parsed beyond the command's name
and nothing is read. Everything else is the real bot: its Socket Mode transport, bolt's
dispatch, the group commit, the acknowledgement after the commit, the sender. So the gap
between this and the floor is what the bot's machinery costs, and the gap between the bot
and this is what the command's own work costs. `bench_bot.py --null-command` measures it.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli import main
from bot.core.dispatcher import Dispatcher, Outcome
from bot.core.model import Outgoing, Reply, Request
from bot.core.parser import split_command

real_handle = Dispatcher.handle


def null_who(self: Dispatcher, request: Request, **kwargs: object) -> Outcome:
    event_id = kwargs.get("event_id")
    if (
        not isinstance(event_id, str)
        or split_command(request.text, request.bot_user_id).command != "who"
    ):
        return real_handle(self, request, **kwargs)  # type: ignore[arg-type]
    reply = Reply.of("fixed reply")
    now = self._clock()
    with self._repo.transaction():
        if self._repo.record_event(event_id, now):
            self._repo.enqueue([Outgoing(request.channel, reply, "reply")], now)
    return Outcome(reply)


Dispatcher.handle = null_who  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main(["run"]))
