"""Keep reply text within Slack's message limits."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 39_000  # Slack truncates message text above 40,000 characters


def split_message(text: str, limit: int = MAX_MESSAGE_CHARS) -> list[str]:
    """Long replies (a huge rotation's `about`) go out in several messages, split at lines."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            candidate = line
        current = candidate
    if current or not chunks:
        chunks.append(current)
    return chunks
