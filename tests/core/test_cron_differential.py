"""Differential test: bot.core.cron against cronsim (which follows cronie) as the oracle.

Hypothesis writes vixie-cron crontabs, picks a zone with daylight-saving changes and an
instant across two years (often close to a change), and the next five runs must equal
cronsim's. Where cronsim itself departs from cronie, the cronie main-loop model decides:

* cronsim reads `N-N/step` as `N-max/step`, so such items are not generated here;
  test_cron.py checks them against crontab(5) by hand;
* for wildcard jobs cronsim steps real time by whole hours and days from wall-clock
  values, which goes wrong around some changes: after Lord Howe's 30-minute change it
  misses the minutes before the half hour for the rest of that day, it runs at 01:00 when a
  change skips midnight (Santiago), and it can miss the second pass of a repeated hour.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from cronsim import CronSim
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.core.cron import CronError, next_run, parse
from tests.core.cronie_model import cronie_runs

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Australia/Lord_Howe",  # 30-minute change
    "Pacific/Chatham",  # changes at 02:45 local
    "America/Santiago",  # changes at midnight
    "UTC",
)
START = datetime(2026, 1, 1, tzinfo=UTC)
END = datetime(2028, 1, 1, tzinfo=UTC)
RUNS = 5

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
# (low, high, names) per field; hours are drawn more often around the changes (00-04).
FIELDS = ((0, 59, ()), (0, 23, ()), (1, 31, ()), (1, 12, MONTHS), (0, 7, DAYS))


@st.composite
def values(draw: st.DrawFn, low: int, high: int, names: tuple[str, ...]) -> int | str:
    if high == 23 and draw(st.booleans()):
        value = draw(st.integers(0, 4))
    else:
        value = draw(st.integers(low, high))
    if names and value - low < len(names) and draw(st.booleans()):
        name = names[value - low]
        return draw(st.sampled_from((name, name.upper(), name.title())))
    return value


def number(value: int | str, low: int, names: tuple[str, ...]) -> int:
    return value if isinstance(value, int) else names.index(value.lower()) + low


@st.composite
def items(draw: st.DrawFn, low: int, high: int, names: tuple[str, ...]) -> str:
    kind = draw(st.sampled_from(("*", "*/s", "n", "a-b", "a-b/s", "n/s")))
    step = draw(st.integers(1, high - low + 2))
    if kind == "*":
        return "*"
    if kind == "*/s":
        return f"*/{step}"
    first = draw(values(low, high, names))
    if kind == "n":
        return str(first)
    if kind == "n/s":
        return f"{first}/{step}"
    last = draw(values(low, high, names))
    a, b = sorted((first, last), key=lambda v: number(v, low, names))
    if kind == "a-b":
        return f"{a}-{b}"
    assume(number(a, low, names) != number(b, low, names))  # cronsim misreads N-N/step
    return f"{a}-{b}/{step}"


@st.composite
def crontabs(draw: st.DrawFn) -> str:
    fields = []
    for low, high, names in FIELDS:
        parts = draw(st.lists(items(low, high, names), min_size=1, max_size=3))
        fields.append(",".join(parts))
    return " ".join(fields)


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """The zone's offset changes between START and END, to the minute."""
    tz = ZoneInfo(zone)
    found = []
    probe, step = START, timedelta(hours=6)
    while probe < END:
        if probe.astimezone(tz).utcoffset() != (probe + step).astimezone(tz).utcoffset():
            low, high = probe, probe + step
            while high - low > timedelta(minutes=1):
                mid = low + (high - low) / 2
                same = mid.astimezone(tz).utcoffset() == low.astimezone(tz).utcoffset()
                low, high = (mid, high) if same else (low, mid)
            found.append(high.replace(second=0, microsecond=0))
        probe += step
    return tuple(found)


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Anywhere in the two years, or within two days of a daylight-saving change."""
    changes = transitions(zone)
    if changes and draw(st.booleans()):
        base = draw(st.sampled_from(changes))
        offset = timedelta(minutes=draw(st.integers(-2 * 24 * 60, 2 * 24 * 60)))
    else:
        base = START
        offset = timedelta(minutes=draw(st.integers(0, int((END - START) / timedelta(minutes=1)))))
    seconds = draw(st.sampled_from((0, 0, 1, 30, 59)))
    return base + offset + timedelta(seconds=seconds)


def oracle(text: str, after: datetime, zone: str) -> Iterator[datetime]:
    """cronsim's runs strictly after `after`, strictly increasing.

    For a fixed-time job cronsim walks the naive wall clock from `after`'s wall time, so in
    the second pass of a repeated hour it yields that day's first-pass runs again, which are
    already past; those are dropped.
    """
    last = after
    for run in CronSim(text, after.astimezone(ZoneInfo(zone))):
        if run > last:
            last = run
            yield run.astimezone(UTC)


def ours(text: str, after: datetime, zone: str) -> Iterator[datetime]:
    spec, current = parse(text), after
    while True:
        try:
            current = next_run(spec, current, zone)
        except CronError:
            return
        yield current


def first(runs: Iterator[datetime], count: int) -> list[datetime]:
    return [run for run, _ in zip(runs, range(count), strict=False)]


def cronie(
    text: str, zone: str, after: datetime, runs: list[datetime], cronsims: list[datetime]
) -> list[datetime]:
    """The runs with cronie's main-loop model deciding from where ours and cronsim's part.

    The model wakes minute by minute, so it starts a day before the first run they disagree
    on (both agree there is none before it) and must end within a week.
    """
    agreed = next(
        (i for i, (a, b) in enumerate(zip(runs, cronsims, strict=False)) if a != b),
        min(len(runs), len(cronsims)),
    )
    start = runs[agreed - 1] if agreed else after
    since = max(start, min(runs[agreed:] + cronsims[agreed:]) - timedelta(days=1))
    until = max(runs + cronsims)
    assert until - since < timedelta(days=8), "too long a span for the cronie model"
    since = since.replace(second=0, microsecond=0)  # the model wakes on whole minutes
    return runs[:agreed] + cronie_runs(parse(text), ZoneInfo(zone), since, until)[: RUNS - agreed]


@st.composite
def cases(draw: st.DrawFn) -> tuple[str, str, datetime]:
    text = draw(crontabs())
    try:
        parse(text)
    except CronError:
        assume(False)  # e.g. `0 0 31 2 *`, which cronie refuses too
    zone = draw(st.sampled_from(ZONES))
    return text, zone, draw(instants(zone))


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(cases())
def test_next_five_runs_equal_cronsims(case: tuple[str, str, datetime]) -> None:
    text, zone, after = case
    runs, expected = first(ours(text, after, zone), RUNS), first(oracle(text, after, zone), RUNS)
    if runs != expected and not parse(text).fixed_time:
        expected = cronie(text, zone, after, runs, expected)
    assert runs == expected
