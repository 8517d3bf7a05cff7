"""Text rules that hold on every front end.

Commands travel through the core in Slack's wire syntax, whichever front end they came from:
`&`, `<` and `>` typed by a person are the entities `&amp;`, `&lt;`, `&gt;`, and a bare `<…>`
is a token (a mention, a channel, a link). Slack already sends text that way; the console
turns what was typed into it with `from_typed`. Keeping the one lossless form means a literal
`&lt;@U1&gt;` typed in Slack never turns into a mention, and links stay links. The parser
unescapes the parts that are plain values (rotation names) once, so names are stored as
people see them; descriptions stay mrkdwn, and each front end renders them: Slack posts them
through `to_wire`, the console unescapes them.
"""

import re
import unicodedata

# <!here>, <!channel>, <!everyone> and the legacy <!group> (optionally with a |label) notify
# a whole channel when posted. User text echoed back (descriptions, names) must never do that.
_BROADCAST = re.compile(r"<!(here|channel|everyone|group)(?:\|[^>]*)?>")
# A Slack token: <@U…>, <#C…>, <!here>, <!subteam^…>, <!date^…> or a link <scheme:…>, each
# optionally with a |label.
TOKEN = re.compile(r"<(?:[@#!][^<>|\s]*|[a-zA-Z][a-zA-Z0-9+.\-]*:[^<>|\s]+)(?:\|[^<>]*)?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_STRAY = re.compile(r"&(?!(?:amp|lt|gt);)|[<>]")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SURROGATE = re.compile("[\ud800-\udfff]")
# Invisible characters that carry nothing: zero-width space, word joiner and byte-order mark,
# left by Slack clients and copy-paste. They are dropped from the command part of a message.
NOISE = "\u200b\u2060\ufeff"
_NOISE = re.compile(f"[{NOISE}]")
# The zero-width joiner and non-joiner are invisible too, but they are part of emoji
# (👩‍💻) and of words in many scripts (Persian, Hindi), so names keep them.
JOINERS = "\u200c\u200d"
_JOINERS = re.compile(f"[{JOINERS}]")
# An emoji flag tag sequence (🏴 + tag letters + cancel tag) is the one use of the otherwise
# invisible tag characters.
_EMOJI_TAGS = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")


def defuse_broadcasts(text: str) -> str:
    """Shown as @here/@channel/@everyone, but as plain text that notifies nobody."""
    return _BROADCAST.sub(lambda m: f"@\u200b{m.group(1)}", text)


def escape(text: str) -> str:
    """Plain text in wire syntax: every `&`, `<` and `>` becomes its entity."""
    return "".join(_ESCAPES.get(c, c) for c in text)


def inert(wire: str) -> str:
    """Wire text quoted inside the bot's own markup (a crontab in an error): its tokens show
    as typed instead of pinging or linking; its entities stay as they are."""
    return wire.replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Wire syntax back to plain text, in one pass: Slack sends only these three entities,
    and `&amp;lt;` is the literal text `&lt;`."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _outside_tokens(text: str, convert: re.Pattern[str]) -> str:
    """Escape what `convert` matches, except inside Slack tokens."""
    out: list[str] = []
    position = 0
    for token in TOKEN.finditer(text):
        out.append(convert.sub(lambda m: _ESCAPES[m.group()], text[position : token.start()]))
        out.append(token.group())
        position = token.end()
    out.append(convert.sub(lambda m: _ESCAPES[m.group()], text[position:]))
    return "".join(out)


def from_typed(text: str) -> str:
    """What a person typed in a terminal, in wire syntax: tokens such as `<@U1>` stay tokens,
    every other `&`, `<` and `>` is literal."""
    return _outside_tokens(text, re.compile("[&<>]"))


def to_wire(text: str) -> str:
    """Markup made safe to post: entities and tokens are kept, stray `&`, `<`, `>` (a usage
    line's `<rotation name>`, a description stored raw by an older console) are escaped."""
    return _outside_tokens(text, _STRAY)


def without_noise(text: str) -> str:
    """The text without zero-width spaces, word joiners and byte-order marks."""
    return _NOISE.sub("", text)


def without_joiners(text: str) -> str:
    """The text without zero-width joiners and non-joiners, for matching names: a name with
    and without one looks the same, so it must be the same name."""
    return _JOINERS.sub("", text)


def normalise_name(text: str) -> str:
    """Composed and decomposed `Café` are the same name (Unicode NFC)."""
    return unicodedata.normalize("NFC", text)


def forbidden_character(text: str) -> str | None:
    """The first control or invisible format character in a name, as `U+XXXX (NAME)`.

    Controls (category Cc) and format characters (Cf: direction marks, embeddings, overrides
    and isolates, soft hyphens, ...) can make two names look identical or a name display as
    something else. The joiners and emoji flag tags are Cf too, but they are part of how
    emoji and words are written, and are allowed."""
    for char in _EMOJI_TAGS.sub("", text):
        if char in JOINERS:
            continue
        if unicodedata.category(char) in ("Cc", "Cf"):
            label = unicodedata.name(char, "").lower()
            return f"U+{ord(char):04X}" + (f" ({label})" if label else "")
    return None


def unpaired_surrogate(text: str) -> str | None:
    """The first lone surrogate in the text as `U+XXXX`: what undecodable bytes (the console's
    `surrogateescape`) or a `\\ud800` escape in JSON become. It is not a character, cannot be
    stored or posted, and means the text is not what was sent."""
    found = _SURROGATE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None
