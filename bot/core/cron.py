"""Crontab parsing, explanation and next-run computation with vixie-cron/cronie semantics.

The reference is crontab(5) and cron(8) as cronie implements them, not any Python library.
The field parser and matcher are written here (they are short) because the libraries disagree
with cron in exactly the corners users hit:

* the day-of-month/day-of-week rule: cron ORs the two day fields unless one of them *starts
  with* ``*`` (``entry.c`` sets ``DOM_STAR``/``DOW_STAR`` from the first character), so
  ``0 0 */2 * Mon`` means "odd days that are Mondays" while ``0 0 1 * Mon`` means "the 1st and
  every Monday"; croniter treats ``*/2`` as restricted and ORs;
* cronie's ``N/step`` (= ``N-max/step``) and 7 = Sunday in ranges (``*/2`` in day-of-week is
  0,2,4,6 because the field runs 0-7);
* DST: cron(8) runs fixed-time jobs (neither minute nor hour starts with ``*``) that fall into
  a spring-forward gap at the first instant after the gap, and only once in a repeated hour,
  while wildcard jobs simply follow real time.

Next runs are computed by walking the calendar year -> month -> day -> hour -> minute over the
sorted value sets with ``bisect`` (never minute by minute), so one computation costs a handful
of steps and a scheduler can afford it for 100,000 schedules. The search is bounded
(``HORIZON_YEARS``, enough for "Feb 29 that is a Monday", which can be 40 years apart across a
non-leap century year) and specs that can never fire are refused by :func:`parse`.

English explanations come from cron-descriptor, with the two things it gets wrong for cron
patched here: the OR/AND day rule and the ``@`` macros (expanded first).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "HORIZON_YEARS",
    "CronError",
    "CronSpec",
    "describe",
    "explain",
    "format_run",
    "next_run",
    "next_runs",
    "parse",
    "zone_of",
]

#: How far :func:`next_run` searches. Any spec accepted by :func:`parse` fires within 40 years
#: (Feb 29 on a given weekday across 2100); the rest covers zone-specific dead specs.
HORIZON_YEARS = 50

#: cron(8) treats clock changes of up to three hours as DST (special handling); larger ones
#: are "clock corrections" where the new time is used immediately.
MAX_DST_SHIFT = timedelta(hours=3)

_MINUTE = timedelta(minutes=1)
_SECOND = timedelta(seconds=1)
_FIELD_LIST = "minute hour day-of-month month day-of-week"

_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
# cronie's DowNames also lists "Sun" as 7, but the lookup returns the first match (0).
_DOW_NAMES = {
    name: number for number, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))
}

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# Quartz-only tokens (`?`, `L`, `LW`, `L-3`, `15W`, `5L`, `MON#2`), worth a hint when refused.
_QUARTZ = re.compile(r"^(\?|L(W|-\d+)?|\d+[LW]|\w+#\d+)$", re.IGNORECASE)

_WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_FULL = (
    tuple(calendar.month_name[1:])
    if calendar.month_name[1] == "January"
    else (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
)
# Longest possible month length (leap February), used to detect "never runs" at parse time.
_MAX_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


class CronError(ValueError):
    """A crontab that cron would reject (or that can never fire); the message names the field."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: dict[str, int] | None = None
    name_hint: str = ""


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTH_NAMES, "three-letter month name (jan-dec)"),
    _Field("day-of-week", 0, 7, _DOW_NAMES, "three-letter day name (sun-sat)"),
)


def _mask(values: Iterable[int]) -> int:
    bits = 0
    for value in values:
        bits |= 1 << value
    return bits


@dataclass(frozen=True)
class CronSpec:
    """A parsed crontab schedule (the five time fields, plus an optional CRON_TZ).

    Value sets are sorted tuples so the next-run search can ``bisect`` them; the ``*_star``
    flags record whether the field *text* starts with ``*``, which is what cron keys on.
    """

    expression: str
    timezone: str | None
    fields: tuple[str, str, str, str, str]  # field texts; macros expanded
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]  # day of month, 1-31
    months: tuple[int, ...]
    weekdays: tuple[int, ...]  # 0-6, Sunday = 0 (a 7 in the crontab is folded into 0)
    minute_star: bool
    hour_star: bool
    dom_star: bool
    dow_star: bool
    _minute_mask: int = field(init=False, repr=False, compare=False)
    _hour_mask: int = field(init=False, repr=False, compare=False)
    _dom_mask: int = field(init=False, repr=False, compare=False)
    _month_mask: int = field(init=False, repr=False, compare=False)
    _dow_mask: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Bit masks make the per-day checks in the search a shift and an AND.
        object.__setattr__(self, "_minute_mask", _mask(self.minutes))
        object.__setattr__(self, "_hour_mask", _mask(self.hours))
        object.__setattr__(self, "_dom_mask", _mask(self.days))
        object.__setattr__(self, "_month_mask", _mask(self.months))
        object.__setattr__(self, "_dow_mask", _mask(self.weekdays))

    @property
    def fixed_time(self) -> bool:
        """cronie's non-wildcard job: gets the DST gap/repeat special handling."""
        return not (self.minute_star or self.hour_star)

    @property
    def days_ored(self) -> bool:
        """True when both day fields are restricted, so a day matches if EITHER matches."""
        return not (self.dom_star or self.dow_star)

    def _day_matches(self, day: int, cron_weekday: int) -> bool:
        dom_ok = self._dom_mask >> day & 1
        dow_ok = self._dow_mask >> cron_weekday & 1
        if self.days_ored:
            return bool(dom_ok or dow_ok)
        return bool(dom_ok and dow_ok)

    def matches(self, local_naive: datetime) -> bool:
        """Whether cron would fire at this wall-clock minute (in the schedule's zone)."""
        return bool(
            self._minute_mask >> local_naive.minute & 1
            and self._hour_mask >> local_naive.hour & 1
            and self._month_mask >> local_naive.month & 1
            and self._day_matches(local_naive.day, local_naive.isoweekday() % 7)
        )


# --------------------------------------------------------------------------- parsing


def _load_zone(key: str, where: str = "") -> ZoneInfo:
    try:
        return ZoneInfo(key)
    except (KeyError, ValueError, OSError) as exc:  # not found, bad key, directory, ...
        raise CronError(f"unknown time zone `{key}`{where}") from exc


def _number(spec_field: _Field, token: str, item: str, whole: str) -> int:
    context = f" (in `{whole}`)" if token != whole else ""
    if token.isascii() and token.isdigit():
        value = int(token)
    elif spec_field.names is not None and token.lower() in spec_field.names:
        value = spec_field.names[token.lower()]
    else:
        what = "a number"
        if spec_field.names is not None:
            what += f" or a {spec_field.name_hint}"
        hint = ""
        if _QUARTZ.match(token):
            hint = "; `?`, `L`, `W` and `#` are Quartz syntax, which cron does not support"
        raise CronError(f"{spec_field.name} `{token}` is not {what}{context}{hint}")
    if not spec_field.low <= value <= spec_field.high:
        raise CronError(
            f"{spec_field.name} `{token}` is out of range "
            f"{spec_field.low}-{spec_field.high}{context}"
        )
    return value


def _parse_item(spec_field: _Field, item: str, whole: str) -> range:
    """One list item: ``*``, ``N``, ``A-B``, each optionally ``/step`` (``N/step`` = N-max)."""
    name = spec_field.name
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text:
            raise CronError(f"{name} `{item}`: missing step after `/`")
        if not (step_text.isascii() and step_text.isdigit()):
            raise CronError(f"{name} `{item}`: step `{step_text}` is not a number")
        step = int(step_text)
        if step == 0:
            raise CronError(f"{name} `{item}`: step must be at least 1")
    if base == "*":
        low, high = spec_field.low, spec_field.high
    elif "-" in base:
        first, _, last = base.partition("-")
        if not first:
            raise CronError(f"{name} `{base}` is not a number")
        if not last:
            raise CronError(f"{name} `{item}`: range `{base}` has no end")
        low = _number(spec_field, first, item, whole)
        high = _number(spec_field, last, item, whole)
        if low > high:
            hint = ""
            if name == "day-of-week" and high == 0:
                hint = " (Sunday is 0; end a range on Sunday with 7, e.g. `5-7`)"
            raise CronError(f"{name} `{item}`: range start is after its end{hint}")
    elif not base:
        raise CronError(f"{name} `{item}`: missing value before `/`")
    else:
        low = _number(spec_field, base, item, whole)
        high = spec_field.high if slash else low
    return range(low, high + 1, step)


def _parse_field(spec_field: _Field, text: str) -> tuple[int, ...]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise CronError(f"{spec_field.name} `{text}`: empty list item")
        values.update(_parse_item(spec_field, item, text))
    return tuple(sorted(values))


def parse(text: str) -> CronSpec:
    """Parse ``[CRON_TZ=Area/City] <5 fields>`` or a macro, as cronie would.

    Raises :class:`CronError` naming the offending field, and for specs that can never fire
    (e.g. ``0 0 30 2 *``) so that ``schedule create`` refuses them up front.
    """
    tokens = text.split()
    timezone: str | None = None
    if tokens and "=" in tokens[0]:
        key, _, value = tokens[0].partition("=")
        if key.upper() != "CRON_TZ":
            raise CronError(f"only `CRON_TZ=<zone>` may precede the schedule, got `{tokens[0]}`")
        if not value:
            raise CronError("CRON_TZ needs a time zone, e.g. `CRON_TZ=Europe/Berlin`")
        _load_zone(value, " in CRON_TZ")
        timezone = value
        tokens = tokens[1:]

    if tokens and tokens[0].startswith("@"):
        macro = tokens[0].lower()
        if macro == "@reboot":
            raise CronError(
                "`@reboot` is not supported: the bot has no boot to run at; "
                "use a time-based schedule such as `@daily`"
            )
        if macro not in _MACROS:
            raise CronError(
                f"unknown macro `{tokens[0]}`; use one of "
                "@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
            )
        if len(tokens) > 1:
            raise CronError(f"`{tokens[0]}` takes no fields, got `{' '.join(tokens[1:])}`")
        expression = macro
        fields_text = _MACROS[macro].split()
    else:
        if len(tokens) != 5:
            hint = " (cron has no seconds or year field)" if len(tokens) in (6, 7) else ""
            raise CronError(f"expected 5 fields ({_FIELD_LIST}), got {len(tokens)}{hint}")
        expression = " ".join(tokens)
        fields_text = tokens

    minute, hour, dom, month, dow = fields_text
    # Left to right, so the error names the first bad field.
    pairs = zip(_FIELDS, fields_text, strict=True)
    values = [_parse_field(spec_field, text) for spec_field, text in pairs]
    spec = CronSpec(
        expression=expression,
        timezone=timezone,
        fields=(minute, hour, dom, month, dow),
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=tuple(sorted({day % 7 for day in values[4]})),  # 7 is Sunday too
        minute_star=minute.startswith("*"),
        hour_star=hour.startswith("*"),
        dom_star=dom.startswith("*"),
        dow_star=dow.startswith("*"),
    )
    _check_fires(spec)
    return spec


def _check_fires(spec: CronSpec) -> None:
    """Refuse specs whose days can never occur.

    With ORed day fields every month has every weekday, so the spec fires. With ANDed fields
    it fires iff some listed month has some listed day (Feb counts 29 days): every calendar
    date falls on every weekday within the 28-year cycle.
    """
    if spec.days_ored:
        return
    if any(day <= _MAX_MONTH_DAYS[month] for month in spec.months for day in spec.days):
        return
    _, _, dom, month, dow = spec.fields
    hint = ""
    if dow != "*":
        starred = dom if spec.dom_star else dow
        hint = f" (the day fields are ANDed because `{starred}` starts with `*`)"
    raise CronError(
        f"`{spec.expression}` never runs: day-of-month `{dom}` never occurs "
        f"in month `{month}`{hint}"
    )


def zone_of(spec: CronSpec, default_tz: str) -> ZoneInfo:
    """The zone the schedule is evaluated in: its CRON_TZ, else the caller's default."""
    if spec.timezone is not None:
        return _load_zone(spec.timezone, " in CRON_TZ")
    return _load_zone(default_tz)


# --------------------------------------------------------------------------- next run


def _first_day(spec: CronSpec, year: int, month: int, day: int) -> int:
    """First matching day >= ``day`` in the month, or 0. Walks the day-of-month set when ANDed."""
    first_weekday, length = calendar.monthrange(year, month)
    if day > length:
        return 0
    weekday_of_first = (first_weekday + 1) % 7  # cron numbering, Sunday = 0
    dow_mask = spec._dow_mask
    if not spec.days_ored:
        days = spec.days
        for candidate in days[bisect_left(days, day) :]:
            if candidate > length:
                return 0
            if dow_mask >> ((weekday_of_first + candidate - 1) % 7) & 1:
                return candidate
        return 0
    dom_mask = spec._dom_mask
    for candidate in range(day, length + 1):
        if dom_mask >> candidate & 1 or dow_mask >> ((weekday_of_first + candidate - 1) % 7) & 1:
            return candidate
    return 0


def _next_naive(spec: CronSpec, start: datetime, end_year: int) -> datetime | None:
    """First matching wall-clock minute >= ``start`` (naive), year by year up to ``end_year``."""
    year, month, day, hour, minute = start.year, start.month, start.day, start.hour, start.minute
    months, hours, minutes = spec.months, spec.hours, spec.minutes
    while year <= end_year:
        i = bisect_left(months, month)
        if i == len(months):
            year, month, day, hour, minute = year + 1, 1, 1, 0, 0
            continue
        if months[i] != month:
            month, day, hour, minute = months[i], 1, 0, 0
        found = _first_day(spec, year, month, day)
        if not found:
            month, day, hour, minute = month + 1, 1, 0, 0
            continue
        if found != day:
            day, hour, minute = found, 0, 0
        j = bisect_left(hours, hour)
        if j == len(hours):
            day, hour, minute = day + 1, 0, 0
            continue
        if hours[j] != hour:
            hour, minute = hours[j], 0
        k = bisect_left(minutes, minute)
        if k == len(minutes):
            hour, minute = hour + 1, 0
            continue
        return datetime(year, month, day, hour, minutes[k])
    return None


def _offset_at(zone: ZoneInfo, instant: datetime) -> timedelta:
    offset = instant.replace(tzinfo=UTC).astimezone(zone).utcoffset()
    assert offset is not None  # a ZoneInfo always has an offset
    return offset


def _transition(zone: ZoneInfo, low: datetime, high: datetime, new: timedelta) -> datetime:
    """First (naive UTC) instant in (low, high] whose offset is ``new``; bisected to seconds."""
    lo, hi = 0, int((high - low) / _SECOND)
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if _offset_at(zone, low + mid * _SECOND) == new:
            hi = mid
        else:
            lo = mid
    return low + hi * _SECOND


def _offsets(zone: ZoneInfo, naive: datetime) -> tuple[timedelta, timedelta]:
    first = naive.replace(tzinfo=zone, fold=0).utcoffset()
    second = naive.replace(tzinfo=zone, fold=1).utcoffset()
    assert first is not None and second is not None
    return first, second


def _instants(spec: CronSpec, zone: ZoneInfo, naive: datetime) -> tuple[datetime, ...]:
    """Naive UTC instants at which cron fires for the matching wall-clock minute ``naive``.

    fold=0/fold=1 offsets equal: an ordinary time. fold=0 larger: the time is repeated
    (fall back); fixed-time jobs run only in the first pass. fold=0 smaller: the time is
    skipped (spring forward); fixed-time jobs run at the first instant after the gap,
    wildcard jobs do not run.
    """
    before, after = _offsets(zone, naive)
    if before == after:
        return (naive - before,)
    special = spec.fixed_time and abs(before - after) <= MAX_DST_SHIFT
    if before > after:
        return (naive - before,) if special else (naive - before, naive - after)
    if special:
        return (_transition(zone, naive - after, naive - before, after),)
    return ()


def _aware_utc(after: datetime) -> datetime:
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be a timezone-aware datetime")
    return after.astimezone(UTC).replace(tzinfo=None)


def _next_instant(spec: CronSpec, zone: ZoneInfo, after: datetime) -> datetime:
    """First run strictly after the naive UTC instant ``after``, as naive UTC."""
    try:
        return _search(spec, zone, after)
    except OverflowError as exc:  # only near datetime.max/min
        raise CronError(f"`{spec.expression}` has no run before the year 9999") from exc


def _search(spec: CronSpec, zone: ZoneInfo, after: datetime) -> datetime:
    local = after.replace(tzinfo=UTC).astimezone(zone)
    wall = local.replace(tzinfo=None, fold=0)
    start = wall.replace(second=0, microsecond=0) + _MINUTE
    end_year = min(start.year + HORIZON_YEARS, 9998)
    best: datetime | None = None

    if local.fold == 0:
        first_offset, second_offset = _offsets(zone, wall)
        shift = first_offset - second_offset
        if shift > timedelta(0) and not (spec.fixed_time and shift <= MAX_DST_SHIFT):
            # `after` is in the first pass of a repeated hour: second-pass runs of earlier
            # wall times are still ahead of it, and come before anything after the window.
            change = _transition(zone, wall - first_offset, wall - second_offset, second_offset)
            window_start, window_end = change + second_offset, change + first_offset
            candidate = _next_naive(spec, window_start, end_year)
            if candidate is not None and candidate < window_end:
                best = candidate - second_offset

    candidate = _next_naive(spec, start, end_year)
    while candidate is not None:
        # Within one candidate instants ascend; the first candidate with a future instant
        # beats every later one (only second-pass runs can go "backwards", handled above).
        for instant in _instants(spec, zone, candidate):
            if instant > after:
                return instant if best is None or instant < best else best
        candidate = _next_naive(spec, candidate + _MINUTE, end_year)
    if best is not None:
        return best
    raise CronError(
        f"`{spec.expression}` never runs in time zone {zone.key} "
        f"within {HORIZON_YEARS} years after {local:%Y-%m-%d %H:%M %Z}"
    )


def next_run(spec: CronSpec, after: datetime, default_tz: str) -> datetime:
    """First run strictly after the aware datetime ``after``, as an aware UTC datetime."""
    zone = zone_of(spec, default_tz)
    return _next_instant(spec, zone, _aware_utc(after)).replace(tzinfo=UTC)


def next_runs(spec: CronSpec, after: datetime, default_tz: str, count: int = 5) -> list[datetime]:
    """The next ``count`` runs after ``after``: strictly increasing aware UTC datetimes."""
    zone = zone_of(spec, default_tz)
    current = _aware_utc(after)
    runs: list[datetime] = []
    for _ in range(count):
        current = _next_instant(spec, zone, current)
        runs.append(current.replace(tzinfo=UTC))
    return runs


def format_run(dt_utc: datetime, zone: ZoneInfo | str) -> str:
    """Local time with zone abbreviation, e.g. ``Mon 23 Nov 2026 09:00 CET`` (locale-free)."""
    tz = _load_zone(zone) if isinstance(zone, str) else zone
    local = dt_utc.astimezone(tz)
    return (
        f"{_WEEKDAY_ABBR[local.weekday()]} {local.day:02d} {_MONTH_ABBR[local.month - 1]} "
        f"{local.year} {local:%H:%M} {local.tzname()}"
    )


# --------------------------------------------------------------------------- explain


def _compress(values: list[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``1-3,5``: the canonical text cron-descriptor describes well."""
    parts: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{values[i]}-{values[j]}")
        else:
            parts.extend(str(v) for v in values[i : j + 1])
        i = j + 1
    return ",".join(parts)


def _even_step(text: str, span: int, values: tuple[int, ...]) -> str:
    """Keep `*/n` when n divides the field's span evenly; otherwise list the values."""
    if "/" not in text:
        return text
    step = re.fullmatch(r"\*/(\d+)", text)
    if step and span and span % int(step.group(1)) == 0:
        return text
    return _compress(list(values))


def _descriptor_fields(spec: CronSpec) -> str:
    """The five fields rewritten so cron-descriptor reads them as cron does.

    Month names become numbers. Day-of-week becomes the explicit day set, Monday first with
    Sunday as 7: cron-descriptor misreads cronie's 0-7 range (``0-7`` is "Sunday through
    Sunday") and its steps (``1-5/7`` is Monday only in cron, "every 7 weeks" to it).
    """
    minute, hour, dom, month, dow = spec.fields
    # cron-descriptor reads `0 */15` as "every 15 hours" and `*/10` days as "every 10 days";
    # cron restarts steps every hour/day/month, so uneven steps are spelled out as lists.
    minute = _even_step(minute, 60, spec.minutes)
    hour = _even_step(hour, 24, spec.hours)
    dom = _even_step(dom, 0, spec.days)
    month = re.sub(r"[A-Za-z]+", lambda m: str(_MONTH_NAMES[m.group().lower()]), month)
    if dow != "*":
        dow = _compress(sorted(d or 7 for d in spec.weekdays))
    return f"{minute} {hour} {dom} {month} {dow}"


def _weekday_clause(text: str) -> str:
    core = text.removeprefix(", ").removeprefix("or ").removeprefix("only ")
    return core if core.startswith(("on ", "every ")) else f"on {core}"


def _describe(spec: CronSpec) -> str:
    # Imported here: only explanations need it, and the running bot stays leaner without it.
    from cron_descriptor import DescriptionTypeEnum, ExpressionDescriptor, Options

    options = Options(use_24hour_time_format=True, verbose=True, locale_code="en_US")
    descriptor = ExpressionDescriptor(_descriptor_fields(spec), options)
    describe: Callable[[DescriptionTypeEnum], str] = descriptor.get_description
    time_of_day = describe(DescriptionTypeEnum.TIMEOFDAY)
    dom = describe(DescriptionTypeEnum.DAYOFMONTH)
    dow = describe(DescriptionTypeEnum.DAYOFWEEK)
    month = describe(DescriptionTypeEnum.MONTH)
    if spec.days_ored:
        # cron-descriptor only says "or" for single days/lists; cron ORs whenever both
        # fields are restricted (e.g. `1-7 * Mon-Fri`).
        days = f"{dom}, or {_weekday_clause(dow)}"
    elif dom and dow:
        # ANDed because one field starts with `*` (e.g. `*/2`); cron-descriptor says "or".
        days = f"{dom}, but only {_weekday_clause(dow)}"
    else:
        days = dom + dow
    text = f"{time_of_day}{days}{month}"
    return text[:1].lower() + text[1:]


def describe(spec: CronSpec) -> str:
    """The bare English meaning, e.g. "at 09:00, Monday through Friday"."""
    try:
        return _describe(spec)
    except Exception as exc:  # cron-descriptor raises assorted types; never leak them
        raise CronError(f"cannot explain `{spec.expression}`: {exc}") from exc


def explain(spec: CronSpec) -> str:
    """English meaning, e.g. "Crontab `0 9 * * 1-5` means the executable will be run at 09:00,
    Monday through Friday"; the zone is appended when the spec has a CRON_TZ."""
    text = f"Crontab `{spec.expression}` means the executable will be run {describe(spec)}"
    if spec.timezone:
        text += f" (time zone {spec.timezone})"
    return text
