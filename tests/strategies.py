"""What people (and attackers) send the bot: command words, Slack tokens, quotes, odd spaces
and arbitrary Unicode, in any order and length.

One vocabulary, two generators: Hypothesis strategies for the property tests (they shrink a
failure to its smallest message), and `random_message` for the fuzz runs through the real
process (seeded, fast, thousands of messages)."""

from __future__ import annotations

import random

from hypothesis import strategies as st

from bot.core.registry import COMMANDS

USERS = ["U1", "U2", "U0ALICE", "U0BOB", "U0CAROL", "W9", "UBOT", "U0ME"]
CHANNELS = ["C1", "C2", "C0CHAN", "G1", "D1"]
TOKENS = [
    *(f"<@{user}>" for user in USERS),
    "<@U0ALICE|alice>",
    "<@U1|<b>>",
    "<!subteam^S1>",
    "<!subteam^S0OPS|@ops>",
    "<!here>",
    "<!channel>",
    "<!everyone>",
    "<!group>",
    "<!here|here>",
    "<!channel|@channel>",
    "<!everyone|everyone>",
    "<!date^1392734382^{date_num}|fallback>",
    "<https://example.com|link>",
    "<mailto:a@b.c>",
    "<@",
    "<!",
    "<#",
    ">",
    "<",
    *(f"<#{channel}|name>" for channel in CHANNELS),
    *(f"<#{channel}>" for channel in CHANNELS),
]
WORDS = [
    *COMMANDS,
    *("backend", "backend", "ops", "ops", "backend", "ops"),  # names that come back
    *("create", "delete", "list", "explain", "until", "to", "today", "friday", "tomorrow"),
    *("backend", "Backend.", "ops on call", "café", "🔥", "x'); DROP TABLE rotation;--"),
    *('"', "'", "“", "”", "„", "«", "»", "`", "```", "*", "_", "~", ":fire:", "…"),
    *("0 9 * * *", "CRON_TZ=Europe/Berlin", "*/5", "@daily", "60 25 * * *", "* * * * * *"),
    *("&amp;", "&lt;", "&gt;", "&", "&#39;", "\u00a0", "\u200b", "\u202e", "\u200d", "\x00"),
    *("2026-11-30", "2027-02-30", "9999-12-31", "0001-01-01", "-1", "1e9", "#backend"),
    *("@bob", "\uff20bob", "\ud800", "\n", "\r\n", "\t"),
]
# Well-formed commands, so the generated traffic also changes state that others then meet.
VALID = [
    "create backend <@U1> <@U2> <@U0ALICE> Watch alerts <!here>",
    "create ops <!subteam^S1> <@U0BOB> Pager duty",
    "rotate backend",
    "rotate ops",
    "assign backend <@U2>",
    "who backend",
    "about ops",
    "update backend <@U0ALICE> <@U1> New duties",
    "delete ops",
    "away today",
    "back",
    "shifts",
    'schedule create "rotate backend" 0 9 * * Mon-Fri',
    'schedule delete "rotate backend"',
    "list",
]
SEPARATORS = [" ", " ", " ", "  ", "\t", "\n", ", ", "", "\u3000", "\u00a0"]
PREFIXES = ["<@UBOT> ", "<@UBOT> ", "<@UBOT>", "Reminder: <@UBOT> ", "", "hey <@UBOT>: "]
_PIECES = TOKENS + WORDS


def _message(
    command: str, pieces: list[str], separators: list[str], prefix: str, repeat: str
) -> str:
    joined = "".join(separator + piece for separator, piece in zip(separators, pieces, strict=True))
    return prefix + (command + joined).lstrip() + repeat


_PIECE = st.one_of(
    st.sampled_from(_PIECES),
    st.text(max_size=12),
    st.characters(codec="utf-8").map(str),
)


@st.composite
def messages(draw: st.DrawFn, max_pieces: int = 14) -> str:
    """A message: usually the bot's mention and a command, then pieces joined by odd
    separators; now and then a long run of one piece (past the limits)."""
    command = draw(st.one_of(st.sampled_from([*COMMANDS, *VALID]), st.just(""), _PIECE))
    pieces = draw(st.lists(_PIECE, max_size=max_pieces))
    separators = [draw(st.sampled_from(SEPARATORS)) for _ in pieces]
    long = draw(st.integers(0, 19)) == 0
    repeat = draw(_PIECE) * draw(st.integers(100, 3000)) if long else ""
    return _message(command, pieces, separators, draw(st.sampled_from(PREFIXES)), repeat)


def _random_piece(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.8:
        return rng.choice(_PIECES)
    length = rng.randint(1, 12)
    if roll < 0.9:  # anywhere in Unicode but the surrogates
        return "".join(
            chr(rng.choice((rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF))))
            for _ in range(length)
        )
    return "".join(chr(rng.randint(0x20, 0x24F)) for _ in range(length))


def random_message(rng: random.Random, max_pieces: int = 14) -> str:
    """The same space as `messages`, drawn from a seeded generator."""
    roll = rng.random()
    command = (
        rng.choice(list(COMMANDS)) if roll < 0.8 else "" if roll < 0.85 else _random_piece(rng)
    )
    pieces = [_random_piece(rng) for _ in range(rng.randint(0, max_pieces))]
    separators = [rng.choice(SEPARATORS) for _ in pieces]
    repeat = _random_piece(rng) * rng.randint(100, 3000) if rng.randrange(20) == 0 else ""
    return _message(command, pieces, separators, rng.choice(PREFIXES), repeat)
