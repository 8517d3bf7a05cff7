"""Crontab parsing, explanation and next runs with vixie-cron/cronie semantics, on croniter.

The reference is crontab(5) and cron(8) as cronie implements them. croniter iterates; this
module owns what croniter does not check or reads differently from cron:

* syntax: the fields are parsed here, so an error names the wrong field, and what vixie-cron
  refuses (seconds fields, Quartz's ``L``/``W``/``#``/``?``, ``@reboot``) is refused;
* ranges: croniter mis-reads ``N-N`` and ``N-N/step``, so it never sees the user's text: it
  gets each field's value set, written canonically (``0-4,9``), with Sunday as 0;
* the day rule: cron ORs day-of-month and day-of-week only when neither field *starts with*
  ``*`` (``entry.c`` keys ``DOM_STAR``/``DOW_STAR`` on the first character), so
  ``0 0 */2 * Mon`` means "odd days that are Mondays"; croniter alone treats ``*/2`` as
  restricted, so ``day_or`` is passed accordingly;
* daylight saving: croniter's own handling departs from cron(8) (it runs a fixed-time job
  twice in a repeated hour, moves a wildcard job's skipped ``* 2 * * *`` to 03:00, and
  loses runs around 30-minute changes), so croniter only walks the naive wall clock and each
  matching wall time becomes cron(8)'s instants here. A fixed-time job (neither minute nor
  hour starts with ``*``) runs once in a repeated hour, and a time skipped by a
  spring-forward change runs at the first valid time after it; a wildcard job follows real
  time: both passes of a repeated hour, nothing in a skipped one.

Specs that can never fire are refused by :func:`parse`; the search for a run that never comes
in a particular zone stops after ``HORIZON_YEARS``.

English explanations come from cron-descriptor, with the two things it gets wrong for cron
patched here: the OR/AND day rule and the ``@`` macros (expanded first).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, available_timezones

if TYPE_CHECKING:
    from croniter import croniter

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

_MINUTE = timedelta(minutes=1)
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
_DEGENERATE = re.compile(r"\b(\d+)-\1(/\d+)?\b")  # `N-N` and `N-N/step`, which are N
_QUARTZ = re.compile(r"^(\?|L(W|-\d+)?|\d+[LW]|\w+#\d+)$", re.IGNORECASE)
# En dash, em dash and minus sign: Slack clients turn the `-` of `Mon-Fri` into an en dash.
_DASHES = str.maketrans(dict.fromkeys("\u2013\u2014\u2212", "-"))
# Straight and typographic quotes: a crontab never has one, a quoted command often does.
_QUOTES = re.compile("[\"'\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb]")

_WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTH_ABBR = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
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


def _compress(values: Iterable[int]) -> str:
    """``[1, 2, 3, 5]`` -> ``1-3,5``: canonical text (no ``N-N``) for croniter and descriptor."""
    ordered = sorted(values)
    parts: list[str] = []
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{ordered[i]}-{ordered[j]}")
        else:
            parts.extend(str(v) for v in ordered[i : j + 1])
        i = j + 1
    return ",".join(parts)


@dataclass(frozen=True)
class CronSpec:
    """A parsed crontab schedule (the five time fields, plus an optional CRON_TZ).

    The ``*_star`` flags record whether the field *text* starts with ``*``, which is what cron
    keys the day rule and the daylight-saving rule on; the value sets are what croniter gets.
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
    croniter_text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "croniter_text", self._croniter_text())

    @property
    def fixed_time(self) -> bool:
        """cronie's non-wildcard job: gets the DST gap/repeat special handling."""
        return not (self.minute_star or self.hour_star)

    @property
    def days_ored(self) -> bool:
        """True when both day fields are restricted, so a day matches if EITHER matches."""
        return not (self.dom_star or self.dow_star)

    def _croniter_text(self) -> str:
        """The value sets as croniter should read them (it gets ``day_or=days_ored``).

        A full set is written ``*``: croniter expands every listed value one by one. ORed
        day fields of which one covers every day are every day.
        """
        sets = (self.minutes, self.hours, self.days, self.months, self.weekdays)
        minute, hour, days, month, weekdays = (
            "*" if len(values) == size else _compress(values)
            for values, size in zip(sets, (60, 24, 31, 12, 7), strict=True)
        )
        if self.days_ored and "*" in (days, weekdays):
            days = weekdays = "*"
        return f"{minute} {hour} {days} {month} {weekdays}"

    def matches(self, local_naive: datetime) -> bool:
        """Whether cron would fire at this wall-clock minute (in the schedule's zone)."""
        if not (
            local_naive.minute in self.minutes
            and local_naive.hour in self.hours
            and local_naive.month in self.months
        ):
            return False
        dom_ok = local_naive.day in self.days
        dow_ok = local_naive.isoweekday() % 7 in self.weekdays
        return dom_ok or dow_ok if self.days_ored else dom_ok and dow_ok


# --------------------------------------------------------------------------- parsing


@cache
def _zone_keys() -> dict[str, str]:
    """IANA keys by case-folded name; built once, as listing them scans the zone database."""
    return {key.casefold(): key for key in available_timezones()}


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


def _check_text(text: str) -> None:
    """Refuse quotes and trailing comments before counting fields, which would mislead."""
    quotes = [match.start() for match in _QUOTES.finditer(text)]
    if quotes:
        quoted = text[quotes[0] : quotes[-1] + 1]
        raise CronError(
            f"a crontab has no quotes, but it contains `{quoted}`; "
            "write only the five fields, e.g. `0 9 * * Mon-Fri`"
        )
    comment = re.search(r"(?:^|\s)(#.*)$", text)
    if comment:
        raise CronError(
            f"`#` is not allowed (in crontab(5) a comment is a line of its own): "
            f"remove the comment `{comment.group(1).strip()}`"
        )


def _zone(value: str) -> str:
    """The CRON_TZ value as its IANA key, matched case-insensitively (`utc` is `UTC`)."""
    if not value:
        raise CronError("CRON_TZ needs a time zone, e.g. `CRON_TZ=Europe/Berlin`")
    key = _zone_keys().get(value.casefold(), value)
    _load_zone(key, " in CRON_TZ")
    return key


def _macro_fields(tokens: list[str]) -> tuple[str, list[str]]:
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
    return macro, _MACROS[macro].split()


def parse(text: str) -> CronSpec:
    """Parse ``[CRON_TZ=Area/City] <5 fields>`` or a macro, as cronie would.

    Raises :class:`CronError` naming the offending field, and for specs that can never fire
    (e.g. ``0 0 30 2 *``) so that ``schedule create`` refuses them up front.
    """
    text = text.translate(_DASHES)
    _check_text(text)
    tokens = text.split()
    timezone: str | None = None
    if tokens and "=" in tokens[0]:
        key, _, value = tokens[0].partition("=")
        if key.upper() != "CRON_TZ":
            raise CronError(f"only `CRON_TZ=<zone>` may precede the schedule, got `{tokens[0]}`")
        timezone = _zone(value)
        tokens = tokens[1:]

    if tokens and tokens[0].startswith("@"):
        expression, fields_text = _macro_fields(tokens)
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


def _readings(wall: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The naive local time ``wall`` as instants, read with the offset before and after a
    change (fold 0 and 1): equal for an ordinary time, ascending for a repeated one,
    descending for one skipped by a spring-forward change."""
    return (
        wall.replace(tzinfo=zone, fold=0).astimezone(UTC),
        wall.replace(tzinfo=zone, fold=1).astimezone(UTC),
    )


def _after_gap(wall: datetime, zone: ZoneInfo) -> datetime:
    """The first valid minute after the spring-forward gap that skipped ``wall``."""
    while (readings := _readings(wall, zone))[0] > readings[1]:
        wall += _MINUTE
    return readings[0]


def _instants(spec: CronSpec, wall: datetime, zone: ZoneInfo) -> tuple[datetime, ...]:
    """When cron(8) runs for the matching naive local time ``wall``, in time order.

    A repeated time runs in both passes for wildcard jobs, in the first for fixed-time jobs;
    a skipped time does not run for wildcard jobs, and at the end of the gap for fixed ones.
    """
    first, second = _readings(wall, zone)
    if first == second:
        return (first,)
    if first < second:
        return (first,) if spec.fixed_time else (first, second)
    return (_after_gap(wall, zone),) if spec.fixed_time else ()


class _NoRun(Exception):
    """No matching time before the search horizon."""


@lru_cache(maxsize=1024)
def _parsed(text: str, day_or: bool) -> croniter:
    """croniter's parse of a canonical text, done once: it costs ten times a step.

    Only copies are iterated; croniter reads the parsed fields and never changes them.
    Imported here, not at the top: croniter brings dateutil (about 5 MiB resident), which a
    bot without schedules never needs.
    """
    from croniter import croniter

    return croniter(text, datetime(2000, 1, 1), day_or=day_or)


def _walls(spec: CronSpec, start: datetime, limit: int) -> Iterator[datetime]:
    """Matching naive local times after ``start``, from croniter, up to the year ``limit``."""
    from croniter import CroniterBadDateError

    times = copy.copy(_parsed(spec.croniter_text, spec.days_ored))
    times.set_current(start, force=True)
    try:
        while (wall := times.get_next(datetime)).year <= limit:
            yield wall
    except CroniterBadDateError as exc:
        raise _NoRun(str(exc)) from exc
    raise _NoRun(f"no run until {limit}")


def _second_pass(spec: CronSpec, zone: ZoneInfo, local: datetime, limit: int) -> datetime | None:
    """A wildcard job's first run in the second pass of the repeated hour that ``local`` is
    in the first pass of: it comes after every first-pass time still to come."""
    if spec.fixed_time or local.fold:
        return None
    wall = local.replace(tzinfo=None)
    first, second = _readings(wall, zone)
    if first == second:
        return None
    end = wall.replace(second=0, microsecond=0)
    while (readings := _readings(end, zone))[0] != readings[1]:
        end += _MINUTE  # to the first wall time after the repeated span
    wall = next(_walls(spec, end - (second - first) - _MINUTE, limit))
    return _readings(wall, zone)[1] if wall < end else None


def _search(spec: CronSpec, zone: ZoneInfo, after: datetime) -> datetime:
    """croniter walks the wall clock; each matching time becomes cron(8)'s instants.

    If ``after`` is in the first pass of a repeated hour, a wildcard job's first-pass runs
    still to come precede its second-pass runs, which precede everything later.
    """
    local = after.astimezone(zone)
    limit = local.year + HORIZON_YEARS
    second_pass = _second_pass(spec, zone, local, limit)
    walls = _walls(spec, local.replace(tzinfo=None, fold=0), limit)  # raises at the horizon
    while True:
        for instant in _instants(spec, next(walls), zone):
            if instant > after:
                return instant if second_pass is None else min(instant, second_pass)


def _next_instant(spec: CronSpec, zone: ZoneInfo, after: datetime) -> datetime:
    """First run strictly after the aware ``after``, as an aware UTC datetime."""
    try:
        return _search(spec, zone, after)
    except (_NoRun, OverflowError) as exc:
        local = after.astimezone(zone)
        raise CronError(
            f"`{spec.expression}` never runs in time zone {zone.key} "
            f"within {HORIZON_YEARS} years after {local:%Y-%m-%d %H:%M %Z}"
        ) from exc


def _aware(after: datetime) -> datetime:
    if after.tzinfo is None or after.utcoffset() is None:
        raise ValueError("`after` must be a timezone-aware datetime")
    return after.astimezone(UTC)


def next_run(spec: CronSpec, after: datetime, default_tz: str) -> datetime:
    """First run strictly after the aware datetime ``after``, as an aware UTC datetime."""
    return _next_instant(spec, zone_of(spec, default_tz), _aware(after))


def next_runs(spec: CronSpec, after: datetime, default_tz: str, count: int = 5) -> list[datetime]:
    """The next ``count`` runs after ``after``: strictly increasing aware UTC datetimes."""
    zone = zone_of(spec, default_tz)
    current = _aware(after)
    runs: list[datetime] = []
    for _ in range(count):
        current = _next_instant(spec, zone, current)
        runs.append(current)
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
    month = re.sub(r"[A-Za-z]+", lambda m: str(_MONTH_NAMES[m.group().lower()]), spec.fields[3])
    # `40-40` and `5-5/2` are one value in cron, "between 40 and 40" to cron-descriptor.
    minute, hour, dom, month = (_DEGENERATE.sub(r"\1", text) for text in (*spec.fields[:3], month))
    dow = spec.fields[4]
    # cron-descriptor reads `0 */15` as "every 15 hours" and `*/10` days as "every 10 days";
    # cron restarts steps every hour/day/month, so uneven steps are spelled out as lists.
    minute = _even_step(minute, 60, spec.minutes)
    hour = _even_step(hour, 24, spec.hours)
    dom = _even_step(dom, 0, spec.days)
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
