"""'Did you mean' hints for mistyped command and rotation names."""

import difflib


def closest(word: str, candidates: list[str]) -> str | None:
    by_key = {c.casefold(): c for c in candidates}
    match = difflib.get_close_matches(word.casefold(), list(by_key), n=1, cutoff=0.6)
    return by_key[match[0]] if match else None
