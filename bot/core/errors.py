"""Errors that become replies: each says what went wrong and, for usage errors, how to write it."""


class DomainError(Exception):
    """A request that cannot be applied; the message is shown to the user as is."""


class UsageError(DomainError):
    """The command is known but its arguments are missing or malformed."""

    def __init__(self, command: str, problem: str, subcommand: str | None = None) -> None:
        super().__init__(problem)
        self.command = command
        self.problem = problem
        self.subcommand = subcommand  # its usage is shown instead of the whole command's


class NotFound(DomainError):
    """A rotation (or other named thing) does not exist in this channel."""
