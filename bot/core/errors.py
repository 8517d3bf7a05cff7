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


class MembershipUnknown(DomainError):
    """Slack could not say which channels someone is in, so nothing outside this one is
    reached."""

    def __init__(self) -> None:
        super().__init__(
            "I could not ask Slack which channels you are a member of, so I can't tell which "
            "rotations you may use from here. Try again in a minute."
        )
