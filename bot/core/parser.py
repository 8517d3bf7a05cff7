"""Turn the text Slack (or a terminal) delivers into a command word and typed arguments.

Slack text is messier than the reference's grammar suggests: the bot mention can follow other
text ("Reminder: <@UBOT|dienstplan> rotate x."), people paste non-breaking and narrow spaces,
sentences end in punctuation, and descriptions span lines with links and formatting. The parser
normalises only the command part and keeps the description exactly as written.

Text arrives in Slack's wire syntax (see bot.core.text): names and command words are plain
values, so they are unescaped here, once; descriptions stay mrkdwn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import UsageError
from bot.core.model import Member, MemberKind, ReplyPart, code
from bot.core.text import forbidden_character, normalise_name, unescape

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
    """The command word (plain text) and the untouched rest of the text after it."""

    command: str
    rest: str


def normalise_spaces(text: str) -> str:
    return _ZERO_WIDTH.sub("", _ODD_SPACES.sub(" ", text))


def _after_bot_mentions(text: str, bot_user_id: str) -> str:
    """Everything after the bot's first mention and any repeats of it right after."""
    mention = re.compile(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>")
    found = mention.search(text)
    while found:
        text = text[found.end() :].lstrip()
        found = mention.match(text)
    return text


def split_command(text: str, bot_user_id: str | None = None) -> Invocation:
    """Drop everything up to the bot's mention, then split off the command word."""
    text = normalise_spaces(text)
    if bot_user_id:
        text = _after_bot_mentions(text, bot_user_id)
    text = text.strip()
    if not text:
        return Invocation("", "")
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + (" " + rest if rest else "")
    return Invocation(unescape(head).strip(_TRAILING + _QUOTES).casefold(), rest.strip())


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
    """Names are matched case-insensitively so `Backend` and `backend` are one rotation, and
    in Unicode NFC so a composed and a decomposed `Café` are one too."""
    return normalise_name(" ".join(normalise_name(name).split()).casefold())


def _check_name(command: str, raw: str) -> str:
    """The plain-text name from its wire text; a `<` or `>` left there is a mention or link,
    since typed ones arrive as entities."""
    name = normalise_name(clean_name(unescape(raw)))
    if not name:
        raise UsageError(command, "the rotation name is missing.")
    if "<" in raw or ">" in raw:
        raise UsageError(
            command,
            code(name),
            " is not a rotation name: names are plain words, not mentions or links.",
        )
    forbidden = forbidden_character(name)
    if forbidden:
        raise UsageError(
            command,
            f"the rotation name contains {forbidden}. Names cannot contain control "
            "characters or characters that change the text direction.",
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


def _plain_text_problem(words: list[str]) -> list[ReplyPart]:
    """`@bob` typed without picking bob from the autocomplete is text, not a person."""
    parts: list[ReplyPart] = []
    for i, word in enumerate(words):
        if i:
            parts.append(" and " if i == len(words) - 1 else ", ")
        parts.append(code(unescape(word)))
    several = len(words) > 1
    parts.append(
        f" {'are' if several else 'is'} plain text, not "
        f"{'Slack mentions' if several else 'a Slack mention'}: pick each person from Slack's"
        " @-autocomplete so it turns into a mention."
    )
    return parts


def _plain_at_hint(text: str) -> list[ReplyPart]:
    plain = _PLAIN_AT.search(text)
    return [" ", *_plain_text_problem([plain.group()])] if plain else []


def parse_name(command: str, rest: str) -> str:
    return _check_name(command, rest)


def _member_list(command: str, rest: str, start: int) -> tuple[list[Member], list[str], int]:
    """The mentions from `start` on, and the plain `@words` among or right after them.

    Returns the members, the plain words, and where the list ends (the description starts)."""
    members: list[Member] = []
    plain: list[str] = []
    position = end = start
    while True:
        match = MEMBER_RE.match(rest, position)
        if match is not None:
            member = member_from_match(match)
            if any(m.ref == member.ref for m in members):
                raise UsageError(command, f"{member.mention()} is listed twice.")
            members.append(member)
        else:
            match = _PLAIN_AT.match(rest, position)
            if match is None:
                break
            plain.append(match.group().rstrip(_TRAILING))
        end = match.end()
        gap = _SEPARATORS.match(rest, end)
        position = gap.end() if gap else end
    return members, plain, end


def parse_name_members_description(command: str, rest: str) -> tuple[str, list[Member], str]:
    """`<name> <mentions...> <description>`: the name ends at the first mention, the
    description starts at the first word after the mentions that is not a plain `@word`."""
    first = MEMBER_RE.search(rest)
    if first is None:
        raise UsageError(command, "the list of members is missing.", *_plain_at_hint(rest))
    members, plain, end = _member_list(command, rest, first.start())
    plain = _PLAIN_AT.findall(rest[: first.start()]) + plain
    if plain:
        raise UsageError(command, *_plain_text_problem(plain))
    name = _check_name(command, rest[: first.start()])
    description = rest[end:].lstrip(" \t,;:").strip()
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
        raise UsageError(command, "the person to assign is missing.", *_plain_at_hint(rest))
    if len(found) > 1:
        raise UsageError(command, "give exactly one person to assign.")
    match = found[0]
    plain = _PLAIN_AT.findall(rest[: match.start()])
    if plain:
        raise UsageError(command, *_plain_text_problem(plain))
    name = _check_name(command, rest[: match.start()])
    trailing = rest[match.end() :].strip().strip(_TRAILING)
    if trailing:
        raise UsageError(
            command, "unexpected text after the mention: ", code(unescape(trailing)), "."
        )
    return name, member_from_match(match)


def parse_topic(rest: str) -> str:
    """`help <command>`: the optional command word to explain."""
    return unescape(rest).strip().strip(_TRAILING + _QUOTES).casefold()
