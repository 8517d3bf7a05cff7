"""The wire syntax every front end shares: Slack's entities and tokens."""

from __future__ import annotations

import pytest

from bot.core.text import from_typed, to_wire, unescape

TOKENS = "<@U1> <@U1|alice> <!subteam^S1|@sre> <#C1|general> <http://x|y z> <mailto:a@b|a> <!here>"


@pytest.mark.parametrize(
    ("typed", "wire"),
    [
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("R&D", "R&amp;D"),
        ("R&amp;D", "R&amp;amp;D"),  # the console takes text as typed
        (TOKENS, TOKENS),
        ("x <y> <@U1>", "x &lt;y&gt; <@U1>"),
        ("<<@U1>>", "&lt;<@U1>&gt;"),
    ],
)
def test_console_text_becomes_wire_text(typed: str, wire: str) -> None:
    assert from_typed(typed) == wire


@pytest.mark.parametrize(
    ("markup", "wire"),
    [
        ("a &lt; b &amp; c", "a &lt; b &amp; c"),  # already wire: unchanged
        ("a < b & c", "a &lt; b &amp; c"),  # stored raw by an older console
        ("`@dienstplan who <rotation name>`", "`@dienstplan who &lt;rotation name&gt;`"),
        (TOKENS, TOKENS),
        ("&copy; &amp", "&amp;copy; &amp;amp"),
    ],
)
def test_markup_is_made_safe_to_post(markup: str, wire: str) -> None:
    assert to_wire(markup) == wire
    assert to_wire(wire) == wire


def test_unescape_is_one_pass_over_slacks_three_entities() -> None:
    assert unescape("a &lt; b &amp; c &gt; d") == "a < b & c > d"
    assert unescape("&amp;lt; &amp;amp; &copy; &quot;") == "&lt; &amp; &copy; &quot;"
