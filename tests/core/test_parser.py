"""The parser against the text Slack really sends."""

from __future__ import annotations

import re

import pytest

from bot.core.errors import UsageError
from bot.core.model import Member, MemberKind
from bot.core.parser import (
    Invocation,
    clean_name,
    name_key,
    parse_name,
    parse_name_member,
    parse_name_members_description,
    split_command,
)

U1, U2, U3 = Member("U1"), Member("U2"), Member("U3")


@pytest.mark.parametrize(
    ("text", "command", "rest"),
    [
        ("<@UBOT> rotate backend", "rotate", "backend"),
        ("<@UBOT|dienstplan> who backend", "who", "backend"),
        ("Reminder: <@UBOT|dienstplan> rotate backend-rota.", "rotate", "backend-rota."),
        ("hey <@UBOT> please", "please", ""),
        ("<@UBOT>", "", ""),
        ("", "", ""),
        ("   \u00a0 ", "", ""),
        ("<@UBOT>\u00a0who\u00a0backend", "who", "backend"),
        ("<@UBOT>\u2007who\u202fbackend", "who", "backend"),
        ("<@UBOT>\u200b who backend", "who", "backend"),
        ("<@UBOT> WHO backend", "who", "backend"),
        ("<@UBOT> help.", "help", ""),
        ("<@UBOT> help?", "help", ""),
        ("<@UBOT> create\nbackend <@U1> x", "create", "backend <@U1> x"),
        ("who backend", "who", "backend"),  # a DM: no mention needed
        ("<@UOTHER> <@UBOT> list", "list", ""),
        ("<@UBOT> <@UBOT> who backend", "who", "backend"),
        ("<@UBOT|dienstplan><@UBOT>\u00a0 <@UBOT> who backend", "who", "backend"),
        ("<@UBOT> who <@UBOT>", "who", "<@UBOT>"),
        ("<@UBOT> R&amp;D", "r&d", ""),
        # a command copied from an example with its code marks
        ("<@UBOT> `who backend`", "who", "backend"),
        ("`<@UBOT> who backend`", "who", "backend"),
        ("```<@UBOT> who backend```", "who", "backend"),
        ("<@UBOT> ```who backend```", "who", "backend"),
        ("`who backend`", "who", "backend"),
        ("<@UBOT> create x <@U1> run `deploy`", "create", "x <@U1> run `deploy`"),
        ("<@UBOT> create x <@U1> run `deploy", "create", "x <@U1> run `deploy"),
        ("<@UBOT> `who` `backend`", "who", "`backend`"),  # each word in its own span
        ("<@UBOT> `who backend`.", "who", "backend"),
        ("`<@UBOT> who backend`.", "who", "backend"),
        ("`<@UBOT>` who backend", "who", "backend"),  # the mention in a span of its own
        ("`<@UBOT>` `who` `backend`", "who", "`backend`"),
        ("`oncall` <@UBOT> create r <@U1> runs `deploy`", "create", "r <@U1> runs `deploy`"),
    ],
)
def test_split_command(text: str, command: str, rest: str) -> None:
    invocation = split_command(text, "UBOT")
    assert (invocation.command, invocation.rest) == (command, rest)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("backend", "backend"),
        ("backend.", "backend"),
        ("backend!!", "backend"),
        ("  my   rota ", "my rota"),
        ('"my rota"', "my rota"),
        ("\u201cmy rota\u201d.", "my rota"),
        ("backend-rota.", "backend-rota"),
        ("v1.2", "v1.2"),
        ("on-call :fire:", "on-call :fire:"),
        ("on-call :fire:.", "on-call :fire:"),
        ("backend:", "backend"),
    ],
)
def test_clean_name(raw: str, name: str) -> None:
    assert clean_name(raw) == name


def test_names_match_case_and_space_insensitively() -> None:
    assert name_key("Backend  Rota") == name_key("backend rota")


@pytest.mark.parametrize(
    ("wire", "name"),
    [
        ("R&amp;D", "R&D"),
        ("a &lt;b&gt;", "a <b>"),
        ("R&D", "R&D"),  # a bare & (an older console) is the same character
        ("&amp;lt;x", "&lt;x"),  # the literal text &lt; typed in Slack
        ("a&gt;.", "a>"),
        ("Cafe\u0301", "Caf\u00e9"),  # decomposed é is stored composed (NFC)
        ("*", "*"),
    ],
)
def test_names_are_plain_text_in_nfc(wire: str, name: str) -> None:
    assert parse_name("who", wire) == name


def test_name_keys_ignore_unicode_composition() -> None:
    assert name_key("Caf\u00e9") == name_key("CAFE\u0301")


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x1b", "U+001B"),
        ("\x07", "U+0007"),
        ("\x00", "U+0000"),
        ("\x7f", "U+007F"),
        ("\x9b", "U+009B"),
        ("\u202e", "U+202E (right-to-left override)"),
        ("\u202a", "U+202A (left-to-right embedding)"),
        ("\u202b", "U+202B"),
        ("\u202c", "U+202C"),
        ("\u202d", "U+202D"),
        ("\u2066", "U+2066 (left-to-right isolate)"),
        ("\u2067", "U+2067"),
        ("\u2068", "U+2068"),
        ("\u2069", "U+2069 (pop directional isolate)"),
    ],
)
def test_control_and_bidi_characters_are_refused_in_names(char: str, shown: str) -> None:
    with pytest.raises(UsageError, match=re.escape(f"contains {shown}")):
        parse_name("who", f"back{char}end")
    with pytest.raises(UsageError, match=re.escape(shown)):
        parse_name_members_description("create", f"x{char} <@U1> duty")


def test_name_errors() -> None:
    with pytest.raises(UsageError, match="name is missing"):
        parse_name("who", " . ")
    with pytest.raises(UsageError, match="not a rotation name"):
        parse_name("who", "<#C123|general>")
    with pytest.raises(UsageError, match="at most 80 characters in a rotation name"):
        parse_name("who", "x" * 81)


@pytest.mark.parametrize(
    ("rest", "name", "members", "description"),
    [
        ("backend <@U1> <@U2> Watch alerts", "backend", [U1, U2], "Watch alerts"),
        ("my rota <@U1>, <@U2> and <@U3>: on call", "my rota", [U1, U2, U3], "on call"),
        ("x <@U1|alice> duty", "x", [Member("U1", MemberKind.USER, "alice")], "duty"),
        (
            "x <!subteam^S1|@sre> <@U2> duty",
            "x",
            [Member("S1", MemberKind.USERGROUP, "@sre"), U2],
            "duty",
        ),
        ("x <!subteam^S1> duty", "x", [Member("S1", MemberKind.USERGROUP)], "duty"),
        ("x <@W1> duty", "x", [Member("W1")], "duty"),
        (
            "x <@U1> Line one\n• <https://runbook.example|runbook>\n*bold* `code`",
            "x",
            [U1],
            "Line one\n• <https://runbook.example|runbook>\n*bold* `code`",
        ),
        ("x <@U1> escalate to <@U2> if stuck", "x", [U1], "escalate to <@U2> if stuck"),
        ("x\u00a0<@U1>\u00a0<@U2>\u00a0duty", "x", [U1, U2], "duty"),
    ],
)
def test_name_members_description(
    rest: str, name: str, members: list[Member], description: str
) -> None:
    assert parse_name_members_description("create", rest) == (name, members, description)


@pytest.mark.parametrize(
    ("rest", "problem"),
    [
        ("", "name and the list of members are missing"),
        ("backend", "members is missing"),
        ("backend @alice @bob duty", "`@alice` is plain text"),
        ("<@U1> duty", "name is missing"),
        ("backend <@U1>", "description is missing"),
        ("backend <@U1> .", "description is missing"),
        ("backend <@U1> <@U1> duty", "listed twice"),
        ("backend <@U1> " + "x" * 5000, "at most 4,000 characters in a duties description"),
        ("backend-rota <@U1> @bob Watch alerts", "^`@bob` is plain text, not a Slack mention"),
        ("x <@U1> @bob <@U2> duty", "^`@bob` is plain text"),
        ("x <@U1>, @bob and @carol.smith duty", "^`@bob` and `@carol.smith` are plain text"),
        ("x <@U1> @bob, @carol, @dave duty", "^`@bob`, `@carol` and `@dave` are plain"),
        ("x <@U1>@bob duty", "^`@bob` is plain text"),
        ("backend-rota @bob <@U1> new", "^`@bob` is plain text, not a Slack mention"),
        ("@ops <@U1> new", "^`@ops` is plain text"),
    ],
)
def test_name_members_description_errors(rest: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse_name_members_description("create", rest)


@pytest.mark.parametrize(
    ("rest", "description"),
    [
        (
            "x <@U1> Watch alerts. Page @oncall-lead if down",
            "Watch alerts. Page @oncall-lead if down",
        ),
        ("x <@U1> mail bob@example.com", "mail bob@example.com"),
        ("x <@U1> @ 9am daily", "@ 9am daily"),
        ("team@home <@U1> duty", "duty"),
    ],
)
def test_plain_at_inside_the_description_is_fine(rest: str, description: str) -> None:
    assert parse_name_members_description("create", rest)[2] == description


def test_name_member() -> None:
    assert parse_name_member("assign", "my rota <@U2>.") == ("my rota", U2)
    with pytest.raises(UsageError, match="person to assign is missing"):
        parse_name_member("assign", "backend")
    with pytest.raises(UsageError, match="exactly one"):
        parse_name_member("assign", "backend <@U1> <@U2>")
    with pytest.raises(UsageError, match="unexpected text"):
        parse_name_member("assign", "backend <@U1> tomorrow")
    with pytest.raises(UsageError, match=r"^`@bob` is plain text"):
        parse_name_member("assign", "backend @bob <@U1>")


def test_huge_input_is_parsed_quickly_and_refused_clearly() -> None:
    members = " ".join(f"<@U{i}>" for i in range(3000))
    with pytest.raises(UsageError, match="3,000 members; the limit is at most 500 members"):
        parse_name_members_description("create", f"big {members} d")
    most = " ".join(f"<@U{i}>" for i in range(500))
    name, parsed, description = parse_name_members_description("create", f"big {most} d")
    assert name == "big"
    assert len(parsed) == 500 and description == "d"
    with pytest.raises(UsageError):
        parse_name("who", "a" * 100_000)


@pytest.mark.parametrize(
    "text",
    [
        "<@UBOT>: who backend",
        "<@UBOT>, who backend",
        "<@UBOT> - who backend",
        "<@UBOT> \u2014 who backend",
        "<@UBOT>:\u00a0who backend",
        "<@UBOT>: <@UBOT>, who backend",
    ],
)
def test_punctuation_after_the_bot_mention_is_skipped(text: str) -> None:
    assert split_command(text, "UBOT") == Invocation("who", "backend", "who")


def test_the_rest_is_kept_as_written_but_for_the_command_words_spacing() -> None:
    joined = "\U0001f469\u200d\U0001f4bb on\u00a0call, \u0928\u092e\u0938\u094d\u200d\u0924\u0947"
    assert split_command(f"<@UBOT>\u200b who\u00a0{joined}", "UBOT").rest == joined


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ('a\'b "c"', 'a\'b "c"'),  # quotes inside a name are kept
        ("'backend'", "backend"),
        ("\u201ebackend\u201c", "backend"),
        ("\u00bbbackend\u00ab", "backend"),
        ('"backend', '"backend'),  # not a pair: kept
        ('backend"', 'backend"'),
        ('"backend".', "backend"),
        ("&lt;b&gt;", "&lt;b&gt;"),  # the `;` of an entity is part of the name
        ("x &#39;", "x &#39;"),
        ("x;", "x"),
        ("back\u200bend", "backend"),  # a zero-width space is noise
    ],
)
def test_quotes_go_only_in_pairs_and_entities_keep_their_semicolon(raw: str, name: str) -> None:
    assert clean_name(raw) == name


def test_a_typed_entity_is_a_name_as_typed() -> None:
    assert parse_name("who", "&amp;lt;b&amp;gt;") == "&lt;b&gt;"


def test_a_name_of_only_punctuation_says_so() -> None:
    with pytest.raises(UsageError, match=r"^the rotation name is missing: `!!!` is only punct"):
        parse_name_members_description("create", "!!! <@U1> x")


@pytest.mark.parametrize(
    "name",
    [
        "\U0001f469\u200d\U0001f4bb devs",  # ZWJ emoji
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian ZWNJ
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland
    ],
)
def test_joiners_and_emoji_tags_are_kept_in_names(name: str) -> None:
    assert parse_name("who", name) == name


def test_names_with_and_without_joiners_are_one_name() -> None:
    assert name_key("\U0001f469\u200d\U0001f4bb devs") == name_key("\U0001f469\U0001f4bb devs")
    assert name_key("back\u200cend") == name_key("backend")


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\u200e", "U+200E (left-to-right mark)"),
        ("\u200f", "U+200F (right-to-left mark)"),
        ("\u061c", "U+061C (arabic letter mark)"),
        ("\u00ad", "U+00AD (soft hyphen)"),
        ("\U000e0041", "U+E0041 (tag latin capital letter a)"),  # a tag outside an emoji flag
    ],
)
def test_invisible_format_characters_are_refused_in_names(char: str, shown: str) -> None:
    with pytest.raises(UsageError, match=re.escape(f"contains {shown}")):
        parse_name("who", f"rlm{char}x")


@pytest.mark.parametrize(
    ("rest", "problem"),
    [
        ("x <@U1> (@bob) y", "^`@bob` is plain text"),
        ("x <@U1> [@bob], y", "^`@bob` is plain text"),
        ('x <@U1> "@bob" y', "^`@bob` is plain text"),
        ("x2 <@U1> \uff20bob y", "^`\uff20bob` is plain text"),
        ("\uff20ops <@U1> new", "^`\uff20ops` is plain text"),
        ("x <@U1> <@U1> y", "^@U1 is listed twice"),
    ],
)
def test_bracketed_and_full_width_at_names_are_refused_too(rest: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem):
        parse_name_members_description("create", rest)


def test_long_texts_are_keyed_but_not_kept() -> None:
    """The memo holds names, not whole messages a user could make 20,000 characters long."""
    from bot.core.parser import _short_name_key

    _short_name_key.cache_clear()
    long = "Backend " * 100
    assert name_key(long) == name_key(long.upper()) == " ".join(["backend"] * 100)
    assert name_key("Backend") == "backend"
    assert _short_name_key.cache_info().currsize == 1
