"""'Did you mean' hints for mistyped command and rotation names.

A hint must be a likely typo, not merely the least unlike word: `frobnicate` is not a
misspelt `rotate`. So a candidate is suggested only within a few edits (insertions,
deletions, substitutions, swaps of neighbouring letters): one for words up to five
characters, one more for every further six.
"""


def _max_edits(word: str) -> int:
    return 1 + len(word) // 6


def edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or limit + 1 once it is
    certain to exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, char_b in enumerate(b, 1):
            cost = char_a != char_b
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and char_a == b[j - 2] and a[i - 2] == char_b:
                current[j] = min(current[j], before[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def closest(word: str, candidates: list[str]) -> str | None:
    """The nearest candidate within the typo budget, ignoring case; ties go to the first."""
    typed = word.casefold()
    limit = min(_max_edits(typed), max(len(typed) - 1, 0))
    best: tuple[int, str] | None = None
    for candidate in candidates:
        distance = edit_distance(typed, candidate.casefold(), limit)
        if distance <= limit and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best else None
