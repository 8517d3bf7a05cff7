"""Errors that become replies: each says what went wrong and, for usage errors, how to write it."""

from bot.core.model import Reply, ReplyPart


class DomainError(Exception):
    """A request that cannot be applied; the message is shown to the user as is.

    It is built from reply parts, so a rotation name in it is escaped like in any reply."""

    def __init__(self, *parts: ReplyPart) -> None:
        self.reply = Reply.of(*parts)
        super().__init__(self.reply.render(lambda member: member.plain()))


class UsageError(DomainError):
    """The command is known but its arguments are missing or malformed."""

    def __init__(self, command: str, *problem: ReplyPart, subcommand: str | None = None) -> None:
        super().__init__(*problem)
        self.command = command
        self.problem = str(self)
        self.subcommand = subcommand  # its usage is shown instead of the whole command's


class NotFound(DomainError):
    """A rotation (or other named thing) does not exist in this channel."""
