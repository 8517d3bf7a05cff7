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
from functools import lru_cache

from bot.core.errors import UsageError
from bot.core.limits import DESCRIPTION_LENGTH, MEMBERS_PER_ROTATION, NAME_LENGTH, at_most
from bot.core.model import Member, MemberKind, Quiet, ReplyPart, code, typed
from bot.core.text import (
    NOISE,
    forbidden_character,
    normalise_name,
    unescape,
    without_joiners,
    without_noise,
)

# Every Unicode space separator except the plain space; with the invisible noise characters,
# what separates the words of the command part.
_ODD_SPACES = re.compile("[\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_GAP = f"[\\s{NOISE}]"
_USER = r"<@(?P<user>[UW][A-Z0-9]+)(?:\|(?P<ulabel>[^>]*))?>"
_GROUP = r"<!subteam\^(?P<group>[A-Z0-9]+)(?:\|(?P<glabel>[^>]*))?>"
MEMBER_RE = re.compile(f"{_USER}|{_GROUP}")
_SEPARATORS = re.compile(f"[{NOISE}\\s,;]*(?:(?:and|&amp;)\\s+)?[{NOISE}\\s,;]*", re.IGNORECASE)
# Code marks right before the bot's mention: a command copied from an example in them.
_FENCE_BEFORE = re.compile(f"(?P<fence>`{{1,3}}){_GAP}*$")
# What people write between the bot's mention and the command: `@dienstplan: who x`.
_AFTER_MENTION = re.compile(f"(?:{_GAP}|[:,;.!?\\-\u2013\u2014])*")
_FIRST_WORD = re.compile(f"{_GAP}*(?P<word>\\S*){_GAP}*", re.DOTALL)
_DESCRIPTION_START = re.compile(f"(?:{_GAP}|[,;:])*")
# A typed `@name` (also with the full-width U+FF20 or small U+FE6B at sign) that is not a
# mention. Among the members it may be bracketed or quoted: `(@bob)`.
_AT = "@\uff20\ufe6b"
_PLAIN_AT = re.compile(f"(?<![<\\w])[{_AT}][\\w.\\-]+")
_BRACKETED_AT = re.compile(
    f"(?:[(\\[{{\"'\u201c\u2018\u00ab]|&lt;)*(?P<word>[{_AT}][\\w.\\-]+)"
    f"(?:[)\\]}}\"'\u201d\u2019\u00bb]|&gt;)*"
)
_QUOTES = "\"'`\u201c\u201d\u201e\u201f\u2018\u2019\u201a\u201b\u00ab\u00bb\u2039\u203a\u275d\u275e"
# Quotes around a name, by opening quote: the closing quotes that pair with it in some language.
_QUOTE_PAIRS = {
    '"': '"',
    "'": "'",
    "`": "`",
    "\u201c": "\u201d\u201c",  # “…” (and “…“)
    "\u201d": "\u201d",  # ”…” (Swedish, Finnish)
    "\u201e": "\u201c\u201d\u201f",  # „…“, „…”, „…‟
    "\u201f": "\u201d",
    "\u2018": "\u2019",
    "\u2019": "\u2019",
    "\u201a": "\u2018\u2019",
    "\u201b": "\u2019",
    "\u00ab": "\u00bb",  # «…»
    "\u00bb": "\u00ab\u00bb",  # »…« (Danish), »…» (Swedish)
    "\u2039": "\u203a",
    "\u203a": "\u2039\u203a",
    "\u275d": "\u275e",
}
_TRAILING = ".,;:!?…"
# A channel as Slack sends it: `<#C123|backend>`, `<#C123>` or `<#C123|>` (private channels and
# some clients leave the label empty).
_CHANNEL = re.compile(f"{_GAP}*<#(?P<channel>[CGD][A-Z0-9]+)(?:\\|[^>]*)?>")
# The console's own way to name a channel: `#backend` is the channel `--channel backend` picks.
_TYPED_CHANNEL = re.compile(f"{_GAP}*#(?P<channel>[^\\s#<>&]+)(?={_GAP}|$)")
# The same at the end of the arguments, for the one command that takes it there too (list).
_LAST_CHANNEL = re.compile(f"(?:^|{_GAP}+)<#(?P<channel>[CGD][A-Z0-9]+)(?:\\|[^>]*)?>{_GAP}*$")
_LAST_TYPED_CHANNEL = re.compile(f"(?:^|{_GAP}+)#(?P<channel>[^\\s#<>&]+){_GAP}*$")
_LABEL = re.compile(r"(?P<token><(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!subteam\^[A-Z0-9]+))\|[^>]*>")
SLACKBOT = "USLACKBOT"
_REMINDER = "Reminder: "


@dataclass(frozen=True)
class Invocation:
    """The command word (plain text, case-folded) and the untouched rest of the text after
    it; `word` is the command word as typed, to quote back."""

    command: str
    rest: str
    word: str = ""


def normalise_spaces(text: str) -> str:
    """Command-part text with odd spaces as plain spaces and no invisible noise. Only the
    command part: descriptions keep every character as typed."""
    return without_noise(_ODD_SPACES.sub(" ", text))


# Why a `#ops` in a command did not name a channel (see leading_plain_channel).
PLAIN_CHANNEL = (
    "plain text, not a channel: pick the channel from the list Slack opens as you type `#`"
)


def leading_plain_channel(text: str) -> str | None:
    """The `#ops` that starts the text when it came as text: Slack sends a channel picked
    from the list it opens as a link (`<#C…|ops>`), but one typed out as just text."""
    first = text.split(" ", 1)[0]
    return first if len(first) > 1 and first.startswith("#") else None


def nothing_after(command: str, rest: str, *, subcommand: str | None = None) -> None:
    """`home`, `swaps`, `schedule list` take no arguments: words after them are refused, not
    ignored."""
    extra = normalise_spaces(rest).strip()
    if extra:
        words = f"{command} {subcommand}" if subcommand else command
        plain = leading_plain_channel(extra)  # `schedule list #ops`
        raise UsageError(
            command,
            f"`{words}` takes nothing after it, not ",
            typed(extra[:30]),
            "." if plain is None else f" ({PLAIN_CHANNEL}, so that it becomes a link).",
            subcommand=subcommand,
        )


def _after_bot_mentions(text: str, bot_user_id: str) -> str:
    """Everything after the bot's first mention, any repeats of it right after, and the
    punctuation people put after a mention (`@dienstplan: who x`, `@dienstplan, list`). A
    command pasted from help with its code marks (`` `@dienstplan who x` ``) loses the one
    that closes it."""
    mention = re.compile(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>")
    found = mention.search(text)
    fence = _open_fence(text[: found.start()]) if found else None
    while found:
        text = _AFTER_MENTION.sub("", text[found.end() :], count=1)
        found = mention.match(text)
    if fence is not None:
        after = text.lstrip()
        if after.startswith(fence):  # `` `@dienstplan` who x ``: the span was the mention
            return after[len(fence) :]
        text = text.rstrip().rstrip(_TRAILING).removesuffix(fence)
    return text


def _open_fence(before: str) -> str | None:
    """The code marks right before the bot's mention that open a code span (`` ` `` or
    ```` ``` ````), not ones that close an earlier span (`` `oncall` @dienstplan …``)."""
    found = _FENCE_BEFORE.search(before)
    if found is None:
        return None
    fence = found.group("fence")
    return fence if before.count(fence) % 2 == 1 else None


def _unwrapped(text: str) -> str:
    """A whole command in code marks (``@dienstplan `who x` ``), as people copy it from an
    example: without them, so that the last word keeps no backtick."""
    body = text.strip().rstrip(_TRAILING)  # `` `who backend`. `` as a sentence ends
    for fence in ("```", "`"):
        if (
            len(body) > 2 * len(fence)
            and body.startswith(fence)
            and body.endswith(fence)
            and body.count(fence) == 2  # one span: `` `who` `backend` `` is two
        ):
            return body[len(fence) : -len(fence)]
    return text


def split_word(text: str) -> tuple[str, str]:
    """The first word (spaces and noise around it dropped) and the rest exactly as written,
    but for its surrounding spaces."""
    found = _FIRST_WORD.match(text)
    assert found is not None  # every part of the pattern may be empty
    return without_noise(found.group("word")), text[found.end() :].rstrip()


def split_command(text: str, bot_user_id: str | None = None) -> Invocation:
    """Drop everything up to the bot's mention, then split off the command word; the rest is
    kept as written, so a description keeps its joiners and spaces."""
    if bot_user_id:
        text = _after_bot_mentions(text, bot_user_id)
    head, rest = split_word(_unwrapped(text))
    word = unescape(head).strip(_TRAILING + _QUOTES)
    return Invocation(word.casefold(), rest, word)


_EMOJI_END = re.compile(r":[a-z0-9_+'-]+:$")


# A character entity's closing `;` is part of the name someone typed: `&lt;b&gt;`, `&#39;`.
_ENTITY_END = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);$")


def _unquoted(name: str) -> str:
    """The name without one pair of quotes around it; a quote that is not paired stays."""
    if len(name) >= 2 and name[-1] in _QUOTE_PAIRS.get(name[0], ""):
        return name[1:-1].strip()
    return name


def _ends_in_punctuation(name: str) -> bool:
    """Whether the last character is sentence punctuation, not the closing colon of an emoji
    such as `:fire:` or the `;` of an entity."""
    return (
        bool(name)
        and name[-1] in _TRAILING
        and not _EMOJI_END.search(name)
        and not _ENTITY_END.search(name)
    )


def clean_name(raw: str) -> str:
    """A rotation name as people type it: collapse spaces, drop a pair of quotes around it and
    the punctuation that ends a sentence (`rotate "backend".`)."""
    name = " ".join(without_noise(raw).split())
    previous = None
    while name != previous:
        previous = name
        name = _unquoted(name)
        if _ends_in_punctuation(name):
            name = name[:-1].strip()
    return name


def name_key(name: str) -> str:
    """Names are matched case-insensitively so `Backend` and `backend` are one rotation, in
    Unicode NFC so a composed and a decomposed `Café` are one too, and without invisible
    joiners so two names that look the same are the same. A command asks for the same few
    names several times: those of a name's length are memoised, not longer texts."""
    if len(name) <= NAME_LENGTH.value:
        return _short_name_key(name)
    return _name_key(name)


@lru_cache(maxsize=256)
def _short_name_key(name: str) -> str:
    return _name_key(name)


def _name_key(name: str) -> str:
    plain = without_joiners(without_noise(normalise_name(name)))
    return normalise_name(" ".join(plain.split()).casefold())


def _check_name(command: str, raw: str) -> str:
    """The plain-text name from its wire text; a `<` or `>` left there is a mention or link,
    since typed ones arrive as entities."""
    typed = unescape(raw)
    name = normalise_name(clean_name(typed))
    if not name:
        shown = " ".join(without_noise(typed).split())
        if shown:
            raise UsageError(
                command,
                "the rotation name is missing: ",
                code(shown),
                " is only punctuation, which is ignored at the end of a name.",
            )
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
            "characters or invisible formatting characters (such as text-direction marks).",
        )
    if len(name) > NAME_LENGTH.value:
        raise UsageError(
            command,
            f"the rotation name is {len(name):,} characters long; the limit is "
            f"{at_most(NAME_LENGTH)}.",
        )
    return name


def member_from_match(match: re.Match[str]) -> Member:
    if match.group("user"):
        return Member(match.group("user"), MemberKind.USER, match.group("ulabel") or None)
    return Member(match.group("group"), MemberKind.USERGROUP, match.group("glabel") or None)


def command_parts(wire: str) -> list[ReplyPart]:
    """A command's text (a schedule's) as reply parts, the same in every reply: the people in
    it named quietly (a mention pings even inside a code span), the rest as code. Names and
    code spans are separated by a space, since Slack reads a backtick only at a word's edge."""
    pieces: list[ReplyPart] = []
    position = 0
    for match in MEMBER_RE.finditer(wire):
        pieces += _code(wire[position : match.start()])
        pieces.append(Quiet(member_from_match(match)))
        position = match.end()
    pieces += _code(wire[position:])
    parts: list[ReplyPart] = []
    for i, piece in enumerate(pieces):
        parts += [" " if i else "", piece]
    return parts


def command_list(commands: list[str]) -> list[ReplyPart]:
    """Several commands' texts, comma-separated, each shown as `command_parts` shows it."""
    parts: list[ReplyPart] = []
    for i, wire in enumerate(commands):
        parts += [", " if i else "", *command_parts(wire)]
    return parts


def _code(wire: str) -> list[ReplyPart]:
    words = " ".join(unescape(wire).split())
    return [code(words)] if words else []


def _plain_text_problem(words: list[str]) -> list[ReplyPart]:
    """`@bob` typed without picking bob from the autocomplete is text, not a person."""
    parts: list[ReplyPart] = []
    for i, word in enumerate(words):
        if i:
            parts.append(" and " if i == len(words) - 1 else ", ")
        parts.append(typed(word))
    several = len(words) > 1
    parts.append(
        f" {'are' if several else 'is'} plain text, not "
        f"{'Slack mentions' if several else 'a Slack mention'}: pick each person from Slack's"
        " @-autocomplete so it turns into a mention."
    )
    return parts


def plain_at_hint(text: str) -> list[ReplyPart]:
    plain = _PLAIN_AT.search(text)
    return [" ", *_plain_text_problem([plain.group()])] if plain else []


def parse_name(command: str, rest: str) -> str:
    return _check_name(command, rest)


def _member_list(command: str, rest: str, start: int) -> tuple[list[Member], list[str], int]:
    """The mentions from `start` on, and the plain `@words` among or right after them.

    Returns the members, the plain words, and where the list ends (the description starts)."""
    members: list[Member] = []
    refs: set[str] = set()
    plain: list[str] = []
    position = end = start
    while True:
        match = MEMBER_RE.match(rest, position)
        if match is not None:
            member = member_from_match(match)
            if member.ref in refs:
                raise UsageError(command, Quiet(member), " is listed twice.")
            refs.add(member.ref)
            members.append(member)
        else:
            match = _BRACKETED_AT.match(rest, position)
            if match is None:
                break
            plain.append(match.group("word").rstrip(_TRAILING))
        end = match.end()
        gap = _SEPARATORS.match(rest, end)
        position = gap.end() if gap else end
    return members, plain, end


def parse_name_members_description(command: str, rest: str) -> tuple[str, list[Member], str]:
    """`<name> <mentions...> <description>`: the name ends at the first mention, the
    description starts at the first word after the mentions that is not a plain `@word`."""
    first = MEMBER_RE.search(rest)
    if first is None:
        if not normalise_spaces(without_noise(rest)).strip():
            raise UsageError(command, "the rotation name and the list of members are missing.")
        raise UsageError(command, "the list of members is missing.", *plain_at_hint(rest))
    members, plain, end = _member_list(command, rest, first.start())
    plain = _PLAIN_AT.findall(rest[: first.start()]) + plain
    if plain:
        raise UsageError(command, *_plain_text_problem(plain))
    name = _check_name(command, rest[: first.start()])
    if len(members) > MEMBERS_PER_ROTATION.value:
        raise UsageError(
            command,
            f"that is {len(members):,} members; the limit is {at_most(MEMBERS_PER_ROTATION)}.",
        )
    description = _DESCRIPTION_START.sub("", rest[end:], count=1).rstrip()
    if not description.strip(_TRAILING):
        raise UsageError(command, "the duties description is missing.")
    if len(description) > DESCRIPTION_LENGTH.value:
        raise UsageError(
            command,
            f"the description is {len(description):,} characters long; the limit is "
            f"{at_most(DESCRIPTION_LENGTH)}.",
        )
    return name, members, description


def parse_name_member(command: str, rest: str) -> tuple[str, Member]:
    """`<name> <mention>`: exactly one member after the name."""
    found = list(MEMBER_RE.finditer(rest))
    if not found:
        raise UsageError(command, "the person to assign is missing.", *plain_at_hint(rest))
    if len(found) > 1:
        raise UsageError(command, "give exactly one person to assign.")
    match = found[0]
    plain = _PLAIN_AT.findall(rest[: match.start()])
    if plain:
        raise UsageError(command, *_plain_text_problem(plain))
    name = _check_name(command, rest[: match.start()])
    trailing = normalise_spaces(rest[match.end() :]).strip().strip(_TRAILING)
    if trailing:
        raise UsageError(command, "unexpected text after the mention: ", typed(trailing), ".")
    return name, member_from_match(match)


def split_channel(rest: str, *, typed: bool = False) -> tuple[str | None, str]:
    """A leading channel (`<#C123|backend> ops`) and the rest after it; `typed` also takes the
    console's plain `#backend`. Without one, the rest is returned untouched."""
    found = _CHANNEL.match(rest) or (_TYPED_CHANNEL.match(rest) if typed else None)
    if found is None:
        return None, rest
    return found.group("channel"), rest[found.end() :]


def split_first_or_last_channel(rest: str, *, typed: bool = False) -> tuple[str | None, str]:
    """split_channel, or a channel at the end: `list schedules #backend` as people write it
    as well as `list #backend schedules`."""
    channel, without = split_channel(rest, typed=typed)
    if channel is not None:
        return channel, without
    found = _LAST_CHANNEL.search(rest) or (_LAST_TYPED_CHANNEL.search(rest) if typed else None)
    if found is None:
        return None, rest
    return found.group("channel"), rest[: found.start()]


def without_labels(text: str) -> str:
    """Mentions, channels and user groups without the label Slack may add (`<@U1|bob>` is
    `<@U1>`): clients differ in sending one, and a channel's goes stale when it is renamed."""
    return _LABEL.sub(r"\g<token>>", text)


def channels_in(text: str) -> set[str]:
    """The channels a text mentions anywhere."""
    return {found.group("channel") for found in _CHANNEL.finditer(text)}


def channel_mention(channel: str) -> str:
    """How a reply names a channel: Slack shows `<#C123>` as a link with its current name."""
    return f"<#{channel}>"


def is_reminder(text: str) -> bool:
    """Whether a Slackbot message is a `/remind` reminder going off (not another notice)."""
    return text.startswith(_REMINDER)


def without_reminder(text: str) -> str:
    """The command in a Slackbot reminder: Slackbot posts `/remind` text as `Reminder: <text>`
    and ends it with a `.` when it does not end in `.`, `!` or `?` already."""
    if not is_reminder(text):
        return text
    text = text[len(_REMINDER) :]
    return text[:-1] if text.endswith(".") else text


def parse_topic(rest: str) -> str:
    """`help <command>`: the optional command word to explain, as typed (help quotes a word
    it does not know back as written)."""
    return " ".join(normalise_spaces(unescape(rest)).split()).strip(_TRAILING + _QUOTES)
