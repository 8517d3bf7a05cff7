"""Turn the text Slack (or a terminal) delivers into a command word and typed arguments.

Slack text is messier than the reference's grammar suggests: the bot mention can follow other
text ("Reminder: <@UBOT|dienstplan> rotate x."), people paste non-breaking and narrow spaces,
sentences end in punctuation, and descriptions span lines with links and formatting. The parser
normalises only the command part and keeps the description exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import UsageError
from bot.core.model import Member, MemberKind

# Every Unicode space separator except the plain space, plus the zero-width characters that
# Slack clients and copy-paste from documents leave behind.
_ODD_SPACES = re.compile("[\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_USER = r"<@(?P<user>[UW][A-Z0-9]+)(?:\|(?P<ulabel>[^>]*))?>"
_GROUP = r"<!subteam\^(?P<group>[A-Z0-9]+)(?:\|(?P<glabel>[^>]*))?>"
MEMBER_RE = re.compile(f"{_USER}|{_GROUP}")
_SEPARATORS = re.compile(r"[\s,;]*(?:(?:and|&amp;)\s+)?[\s,;]*", re.IGNORECASE)
_PLAIN_AT = re.compile(r"(?<![<\w])@[\w.\-]+")
_QUOTES = "\"'`\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2039\u203a\u275d\u275e"
_TRAILING = ".,;:!?…"
MAX_NAME_LENGTH = 80
MAX_DESCRIPTION_LENGTH = 4000


@dataclass(frozen=True)
class Invocation:
    """The command word and the untouched rest of the text after it."""

    command: str
    rest: str


def normalise_spaces(text: str) -> str:
    return _ZERO_WIDTH.sub("", _ODD_SPACES.sub(" ", text))


def split_command(text: str, bot_user_id: str | None = None) -> Invocation:
    """Drop everything up to the bot's mention, then split off the command word."""
    text = normalise_spaces(text)
    if bot_user_id:
        mention = re.search(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", text)
        if mention:
            text = text[mention.end() :]
    text = text.strip()
    if not text:
        return Invocation("", "")
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + (" " + rest if rest else "")
    return Invocation(head.strip(_TRAILING + _QUOTES).casefold(), rest.strip())


_EMOJI_END = re.compile(r":[a-z0-9_+'-]+:$")


def clean_name(raw: str) -> str:
    """A rotation name as people type it: collapse spaces, drop quotes and end punctuation
    (but not the closing colon of an emoji such as `:fire:`)."""
    name = " ".join(raw.split())
    previous = None
    while name != previous:
        previous = name
        name = name.strip(_QUOTES).strip()
        if name and name[-1] in _TRAILING and not _EMOJI_END.search(name):
            name = name[:-1].strip()
    return name


def name_key(name: str) -> str:
    """Names are matched case-insensitively so `Backend` and `backend` are one rotation."""
    return " ".join(name.split()).casefold()


def _check_name(command: str, raw: str) -> str:
    name = clean_name(raw)
    if not name:
        raise UsageError(command, "the rotation name is missing.")
    if "<" in name or ">" in name:
        raise UsageError(
            command,
            f"`{name}` is not a rotation name: names are plain words, not mentions or links.",
        )
    if len(name) > MAX_NAME_LENGTH:
        raise UsageError(
            command,
            f"the rotation name is {len(name)} characters long; at most "
            f"{MAX_NAME_LENGTH} are allowed.",
        )
    return name


def member_from_match(match: re.Match[str]) -> Member:
    if match.group("user"):
        return Member(match.group("user"), MemberKind.USER, match.group("ulabel") or None)
    return Member(match.group("group"), MemberKind.USERGROUP, match.group("glabel") or None)


def _plain_at_hint(text: str) -> str:
    plain = _PLAIN_AT.search(text)
    if not plain:
        return ""
    return (
        f" `{plain.group()}` is plain text, not a Slack mention: pick each person from Slack's"
        " @-autocomplete so it turns into a mention."
    )


def parse_name(command: str, rest: str) -> str:
    return _check_name(command, rest)


def parse_name_members_description(command: str, rest: str) -> tuple[str, list[Member], str]:
    """`<name> <mentions...> <description>`: the name ends at the first mention."""
    first = MEMBER_RE.search(rest)
    if first is None:
        raise UsageError(command, "the list of members is missing." + _plain_at_hint(rest))
    name = _check_name(command, rest[: first.start()])
    members: list[Member] = []
    position = first.start()
    while True:
        match = MEMBER_RE.match(rest, position)
        if match is None:
            break
        member = member_from_match(match)
        if any(m.ref == member.ref for m in members):
            raise UsageError(command, f"{member.mention()} is listed twice.")
        members.append(member)
        after = match.end()
        gap = _SEPARATORS.match(rest, after)
        position = gap.end() if gap else after
        if MEMBER_RE.match(rest, position) is None:
            position = after
            break
    description = rest[position:].lstrip(" \t,;:").strip()
    if not description.strip(_TRAILING):
        raise UsageError(command, "the duties description is missing.")
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise UsageError(
            command,
            f"the description is {len(description)} characters long; at most "
            f"{MAX_DESCRIPTION_LENGTH} are allowed.",
        )
    return name, members, description


def parse_name_member(command: str, rest: str) -> tuple[str, Member]:
    """`<name> <mention>`: exactly one member after the name."""
    found = list(MEMBER_RE.finditer(rest))
    if not found:
        raise UsageError(command, "the person to assign is missing." + _plain_at_hint(rest))
    if len(found) > 1:
        raise UsageError(command, "give exactly one person to assign.")
    match = found[0]
    name = _check_name(command, rest[: match.start()])
    trailing = rest[match.end() :].strip().strip(_TRAILING)
    if trailing:
        raise UsageError(command, f"unexpected text after the mention: `{trailing}`.")
    return name, member_from_match(match)


def parse_topic(rest: str) -> str:
    """`help <command>`: the optional command word to explain."""
    return rest.strip().strip(_TRAILING + _QUOTES).casefold()
