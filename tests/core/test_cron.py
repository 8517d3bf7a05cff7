"""Tests for bot.core.cron against crontab(5)/cron(8) semantics (cronie/vixie), not croniter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.core import cron
from bot.core.cron import (
    CronError,
    explain,
    format_run,
    next_run,
    next_runs,
    parse,
    zone_of,
)
from tests.conftest import Run
from tests.core.cronie_model import cronie_runs

MIN = timedelta(minutes=1)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, us: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, us, tzinfo=UTC)


def iso(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%MZ")


# --------------------------------------------------------------------------- parsing

WEEK = (0, 1, 2, 3, 4, 5, 6)

PARSE_VALID = [
    (
        "* * * * *",
        {
            "minutes": tuple(range(60)),
            "hours": tuple(range(24)),
            "days": tuple(range(1, 32)),
            "months": tuple(range(1, 13)),
            "weekdays": WEEK,
        },
    ),
    ("0 9 * * Mon-Fri", {"minutes": (0,), "hours": (9,), "weekdays": (1, 2, 3, 4, 5)}),
    ("0 9 * * mon-FRI", {"weekdays": (1, 2, 3, 4, 5)}),
    ("1,2,5-9 * * * *", {"minutes": (1, 2, 5, 6, 7, 8, 9)}),
    ("*/15 * * * *", {"minutes": (0, 15, 30, 45), "minute_star": True}),
    ("1-30/5 * * * *", {"minutes": (1, 6, 11, 16, 21, 26)}),
    ("5/20 * * * *", {"minutes": (5, 25, 45), "minute_star": False}),  # cronie N/step
    ("0 3/6 * * *", {"hours": (3, 9, 15, 21)}),
    ("*/90 * * * *", {"minutes": (0,)}),  # vixie: step larger than the range is allowed
    ("0 0 * jan-mar *", {"months": (1, 2, 3)}),
    ("0 0 * JAN,jul,Dec *", {"months": (1, 7, 12)}),
    ("0 0 * */2 *", {"months": (1, 3, 5, 7, 9, 11)}),
    ("0 0 * * 7", {"weekdays": (0,)}),  # 7 = Sunday
    ("0 0 * * 0,7", {"weekdays": (0,)}),
    ("0 0 * * 5-7", {"weekdays": (0, 5, 6)}),
    ("0 0 * * */2", {"weekdays": (0, 2, 4, 6), "dow_star": True}),  # 0..7 step 2
    ("0 0 * * 1/2", {"weekdays": (0, 1, 3, 5)}),  # 1-7/2 = Mon, Wed, Fri, Sun
    ("0 0 * * Fri/2", {"weekdays": (0, 5)}),
    ("0 0 * * sun", {"weekdays": (0,)}),
    ("0 0 1 * Mon", {"dom_star": False, "dow_star": False, "days": (1,)}),
    ("0 0 */2 * Mon", {"dom_star": True, "dow_star": False}),
    ("00 09 01 01 *", {"minutes": (0,), "hours": (9,), "days": (1,), "months": (1,)}),
    ("  0   9\t*  *   1  ", {"expression": "0 9 * * 1"}),
    (
        "@yearly",
        {
            "expression": "@yearly",
            "minutes": (0,),
            "hours": (0,),
            "days": (1,),
            "months": (1,),
            "dow_star": True,
        },
    ),
    ("@annually", {"fields": ("0", "0", "1", "1", "*")}),
    ("@monthly", {"fields": ("0", "0", "1", "*", "*")}),
    ("@weekly", {"weekdays": (0,), "dom_star": True, "days": tuple(range(1, 32))}),
    ("@daily", {"fields": ("0", "0", "*", "*", "*"), "hour_star": False}),
    ("@midnight", {"fields": ("0", "0", "*", "*", "*")}),
    ("@hourly", {"hours": tuple(range(24)), "hour_star": True, "minute_star": False}),
    ("@Daily", {"expression": "@daily"}),
    ("CRON_TZ=Europe/Berlin 30 2 * * *", {"timezone": "Europe/Berlin", "expression": "30 2 * * *"}),
    ("CRON_TZ=America/New_York @daily", {"timezone": "America/New_York", "expression": "@daily"}),
    ("0 0 * * *", {"timezone": None}),
    ("0 0 29 2 *", {"days": (29,), "months": (2,)}),
    ("0 0 31 2 1", {"days": (31,)}),  # ORed with Mondays, so it does run
    # dashes that Slack clients and keyboards insert read as `-`
    ("0 9 * * Mon\u2013Fri", {"weekdays": (1, 2, 3, 4, 5), "expression": "0 9 * * Mon-Fri"}),
    ("0 9 * * Mon\u2014Fri", {"weekdays": (1, 2, 3, 4, 5)}),
    ("0 9\u221211 * * *", {"hours": (9, 10, 11), "expression": "0 9-11 * * *"}),
    # zone names in any case become the IANA key
    ("CRON_TZ=utc 0 9 * * *", {"timezone": "UTC"}),
    ("cron_tz=Utc 0 9 * * *", {"timezone": "UTC"}),
    ("CRON_TZ=europe/berlin 0 9 * * *", {"timezone": "Europe/Berlin"}),
    # degenerate ranges, as crontab(5) reads them (croniter alone does not)
    ("40-40 22 * * *", {"minutes": (40,)}),
    ("0 9 * * 1-1", {"weekdays": (1,)}),
    ("45 22 * * 4-4/5", {"weekdays": (4,)}),
    ("0 0 1 jan-jan/3 *", {"months": (1,)}),
    ("59/15 * * * *", {"minutes": (59,)}),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_VALID)
def test_parse_valid(text: str, expected: dict[str, object]) -> None:
    spec = parse(text)
    for attr, value in expected.items():
        assert getattr(spec, attr) == value, attr


PARSE_INVALID = [
    ("", ["expected 5 fields", "got 0"]),
    ("0 9 * *", ["expected 5 fields (minute hour day-of-month month day-of-week), got 4"]),
    ("0 0 9 * * *", ["got 6", "no seconds"]),
    ("60 * * * *", ["minute `60` is out of range 0-59"]),
    ("0 25 * * *", ["hour `25` is out of range 0-23"]),
    ("0 0 0 * *", ["day-of-month `0` is out of range 1-31"]),
    ("0 0 32 * *", ["day-of-month `32` is out of range 1-31"]),
    ("0 0 * 13 *", ["month `13` is out of range 1-12"]),
    ("0 0 * * 8", ["day-of-week `8` is out of range 0-7"]),
    ("1-70 * * * *", ["minute `70` is out of range 0-59", "`1-70`"]),
    ("0 0 * * Fri-Mon", ["day-of-week `Fri-Mon`: range start is after its end"]),
    ("0 0 * * Mon-Sun", ["day-of-week `Mon-Sun`: range start is after its end", "7"]),
    ("30-10 * * * *", ["minute `30-10`: range start is after its end"]),
    ("*/0 * * * *", ["minute `*/0`: step must be at least 1"]),
    ("0 */x * * *", ["hour `*/x`: step `x` is not a number"]),
    ("*/ * * * *", ["minute `*/`: missing step"]),
    ("1,,2 * * * *", ["minute `1,,2`: empty list item"]),
    ("1, * * * *", ["minute `1,`: empty list item"]),
    ("-5 * * * *", ["minute `-5` is not a number"]),
    ("5- * * * *", ["minute `5-`", "no end"]),
    ("1-2-3 * * * *", ["minute `2-3` is not a number"]),
    ("abc * * * *", ["minute `abc` is not a number"]),
    ("0 mon * * *", ["hour `mon` is not a number"]),
    ("0 0 * * Monday", ["day-of-week `Monday` is not a number or a three-letter day name"]),
    ("0 0 * January *", ["month `January` is not a number or a three-letter month name"]),
    ("0 0 L * *", ["day-of-month `L` is not a number", "Quartz"]),
    ("0 0 ? * MON#2", ["day-of-month `?`", "Quartz"]),
    ("0 0 * * *x", ["day-of-week `*x` is not a number"]),
    ("0 0 * * 1\uff15", ["day-of-week"]),  # non-ASCII digit
    ("@reboot", ["`@reboot` is not supported", "no boot"]),
    ("@fortnightly", ["unknown macro `@fortnightly`"]),
    ("@daily 5", ["`@daily` takes no fields"]),
    ("CRON_TZ=Europe/Berln 0 0 * * *", ["unknown time zone `Europe/Berln` in CRON_TZ"]),
    ("CRON_TZ=Europe 0 0 * * *", ["unknown time zone `Europe` in CRON_TZ"]),
    ("CRON_TZ=../../etc/passwd 0 0 * * *", ["unknown time zone"]),
    ("CRON_TZ= 0 0 * * *", ["CRON_TZ needs a time zone"]),
    ("CRON_TZ=UTC", ["expected 5 fields", "got 0"]),
    ("TZ=UTC 0 0 * * *", ["only `CRON_TZ=<zone>`", "`TZ=UTC`"]),
    # a trailing comment or a quoted command is named, not counted as fields
    ("0 9 * * * # weekdays", ["`#` is not allowed", "remove the comment `# weekdays`"]),
    ("0 9 * * * #", ["`#` is not allowed", "remove the comment `#`"]),
    ('"rotate backend" 0 9 * * *', ["no quotes", 'contains `"rotate backend"`', "five fields"]),
    ("\u201crotate backend\u201d 0 9 * * *", ["contains `\u201crotate backend\u201d`"]),
    ("0 9 * * 'Mon'", ["contains `'Mon'`"]),
    ("CRON_TZ=Utc/Nowhere 0 0 * * *", ["unknown time zone `Utc/Nowhere`"]),
    # never runs: detected at parse time
    ("0 0 30 2 *", ["`0 0 30 2 *` never runs", "day-of-month `30`", "month `2`"]),
    ("0 0 31 4,6,9,11 *", ["never runs"]),
    ("0 0 30,31 feb *", ["never runs"]),
    ("0 0 30 2 */2", ["never runs", "ANDed because `*/2` starts with `*`"]),
]


@pytest.mark.parametrize(("text", "fragments"), PARSE_INVALID)
def test_parse_invalid(text: str, fragments: list[str]) -> None:
    with pytest.raises(CronError) as info:
        parse(text)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_comment_is_not_counted_as_fields() -> None:
    with pytest.raises(CronError) as info:
        parse("0 9 * * * # comment")
    assert "fields" not in str(info.value)


def test_cron_error_is_value_error() -> None:
    assert issubclass(CronError, ValueError)


def test_spec_is_frozen_and_comparable() -> None:
    spec = parse("0 9 * * 1-5")
    assert spec == parse("0  9 * * 1-5")
    with pytest.raises(AttributeError):
        spec.expression = "x"  # type: ignore[misc]


# --------------------------------------------------------------------------- matching

MATCHES = [
    # OR: both day fields restricted -> every 1st AND every Monday
    ("0 0 1 * Mon", datetime(2026, 6, 1), True),  # Monday the 1st
    ("0 0 1 * Mon", datetime(2026, 7, 1), True),  # Wednesday the 1st
    ("0 0 1 * Mon", datetime(2026, 7, 6), True),  # a Monday
    ("0 0 1 * Mon", datetime(2026, 7, 7), False),
    # AND: `*/2` starts with `*` -> odd days that are Mondays
    ("0 0 */2 * Mon", datetime(2026, 7, 13), True),  # Monday 13th
    ("0 0 */2 * Mon", datetime(2026, 7, 6), False),  # Monday 6th (even)
    ("0 0 */2 * Mon", datetime(2026, 7, 1), False),  # Wednesday 1st
    # only Mondays
    ("0 0 * * Mon", datetime(2026, 7, 6), True),
    ("0 0 * * Mon", datetime(2026, 7, 1), False),
    # only the 1st (dow is `*`)
    ("0 0 1 * *", datetime(2026, 7, 1), True),
    ("0 0 1 * *", datetime(2026, 7, 6), False),
    # dow `*/2` restricted to even cron days but starts with `*`: AND with dom 1
    ("0 0 1 * */2", datetime(2026, 9, 1), True),  # Tuesday 1st
    ("0 0 1 * */2", datetime(2026, 7, 1), False),  # Wednesday 1st
    ("0 0 1 * */2", datetime(2026, 9, 8), False),  # Tuesday 8th
    # 7 and 0 are both Sunday
    ("0 0 * * 7", datetime(2026, 7, 5), True),
    ("0 0 * * 0", datetime(2026, 7, 5), True),
    ("0 0 * * 5-7", datetime(2026, 7, 5), True),
    ("0 0 * * 5-7", datetime(2026, 7, 6), False),
    # time fields and months
    ("*/15 9-17 * * *", datetime(2026, 7, 1, 17, 45), True),
    ("*/15 9-17 * * *", datetime(2026, 7, 1, 18, 0), False),
    ("*/15 9-17 * * *", datetime(2026, 7, 1, 9, 10), False),
    ("5/20 * * * *", datetime(2026, 7, 1, 3, 45), True),
    ("0 22 * */2 Mon-Fri", datetime(2026, 7, 3, 22, 0), True),  # Friday in July
    ("0 22 * */2 Mon-Fri", datetime(2026, 8, 3, 22, 0), False),  # August
    ("0 22 * */2 Mon-Fri", datetime(2026, 7, 4, 22, 0), False),  # Saturday
    ("@weekly", datetime(2026, 7, 5), True),
    ("@weekly", datetime(2026, 7, 6), False),
    ("@yearly", datetime(2027, 1, 1), True),
    ("@yearly", datetime(2027, 1, 2), False),
]


@pytest.mark.parametrize(("text", "when", "expected"), MATCHES)
def test_matches(text: str, when: datetime, expected: bool) -> None:
    assert parse(text).matches(when) is expected


# --------------------------------------------------------------------------- next run

NEXT_RUN = [
    # (crontab, after, default zone, expected first run in UTC)
    ("0 9 * * *", utc(2026, 5, 5, 8, 59, 59), "UTC", "2026-05-05T09:00Z"),
    ("0 9 * * *", utc(2026, 5, 5, 9, 0), "UTC", "2026-05-06T09:00Z"),  # strictly after
    ("* * * * *", utc(2026, 5, 5, 9, 0, 0, 1), "UTC", "2026-05-05T09:01Z"),
    ("0 9 * * Mon-Fri", utc(2026, 5, 8, 9, 30), "UTC", "2026-05-11T09:00Z"),  # Fri -> Mon
    ("0 0 29 2 *", utc(2026, 1, 1), "UTC", "2028-02-29T00:00Z"),  # leap day
    ("0 0 29 2 *", utc(2028, 2, 29), "UTC", "2032-02-29T00:00Z"),
    ("0 12 31 * *", utc(2026, 4, 1), "UTC", "2026-05-31T12:00Z"),  # month end, skips Apr 30
    ("0 0 31 * *", utc(2026, 1, 31, 1), "UTC", "2026-03-31T00:00Z"),
    ("59 23 31 12 *", utc(2026, 12, 31, 23, 59), "UTC", "2027-12-31T23:59Z"),  # year wrap
    ("0 0 1 1 *", utc(2026, 12, 31, 23, 59), "UTC", "2027-01-01T00:00Z"),
    ("@hourly", utc(2026, 12, 31, 23, 30), "UTC", "2027-01-01T00:00Z"),
    ("0 0 1 * Mon", utc(2026, 6, 2), "UTC", "2026-06-08T00:00Z"),  # next Monday
    ("0 0 1 * Mon", utc(2026, 6, 29, 1), "UTC", "2026-07-01T00:00Z"),  # the 1st (a Wed)
    ("0 0 */2 * Mon", utc(2026, 7, 1), "UTC", "2026-07-13T00:00Z"),  # Mon 6th is even
    ("0 0 * * Mon", utc(2026, 7, 1), "UTC", "2026-07-06T00:00Z"),
    ("0 0 13 * Fri", utc(2026, 2, 14), "UTC", "2026-02-20T00:00Z"),  # OR, not Friday 13th
    ("0 0 13 */1 */1", utc(2026, 2, 14), "UTC", "2026-03-13T00:00Z"),  # AND
    ("0 0 29 2 */7", utc(2088, 3, 1), "UTC", "2128-02-29T00:00Z"),  # 40 years (2100 no leap)
    ("0 9 * * *", utc(2026, 7, 1, 12), "Europe/Berlin", "2026-07-02T07:00Z"),  # CEST
    ("0 9 * * *", utc(2026, 12, 1, 12), "Europe/Berlin", "2026-12-02T08:00Z"),  # CET
    (
        "CRON_TZ=America/New_York 0 9 * * *",
        utc(2026, 7, 1, 12),
        "Europe/Berlin",
        "2026-07-01T13:00Z",
    ),  # CRON_TZ overrides the default zone
    ("CRON_TZ=UTC 0 9 * * *", utc(2026, 7, 1, 12), "Asia/Tokyo", "2026-07-02T09:00Z"),
    ("0 9 * * *", utc(2026, 7, 1, 12), "Asia/Kolkata", "2026-07-02T03:30Z"),
    # the day rule: `*/10` starts with `*`, so the day fields are ANDed (croniter ORs them)
    ("0 0 */10 * Mon", utc(2026, 6, 1, 1), "UTC", "2026-08-31T00:00Z"),
    ("0 0 1-31 * Mon", utc(2026, 7, 1, 1), "UTC", "2026-07-02T00:00Z"),  # ORed: every day
    ("0 0 13 * 0-7", utc(2026, 7, 1, 1), "UTC", "2026-07-02T00:00Z"),  # ORed: every day
]


DEGENERATE = [
    # crontab(5): `N-N` is N, `N-N/step` is N (croniter alone reads every day, every minute
    # from 22:00, and Fridays and Sundays)
    ("0 9 * * 1-1", utc(2026, 7, 1), ["2026-07-06T09:00Z", "2026-07-13T09:00Z"]),
    ("40-40 22 * * *", utc(2026, 7, 1), ["2026-07-01T22:40Z", "2026-07-02T22:40Z"]),
    ("45 22 * * 4-4/5", utc(2026, 7, 1), ["2026-07-02T22:45Z", "2026-07-09T22:45Z"]),
    ("0 0-0/5 1 * *", utc(2026, 7, 1, 1), ["2026-08-01T00:00Z", "2026-09-01T00:00Z"]),
    ("0 0 5-5/2 * *", utc(2026, 7, 1), ["2026-07-05T00:00Z", "2026-08-05T00:00Z"]),
    ("0 0 1 Mar-Mar/4 *", utc(2026, 7, 1), ["2027-03-01T00:00Z", "2028-03-01T00:00Z"]),
    ("30 23 * * 4/5", utc(2026, 7, 1), ["2026-07-02T23:30Z", "2026-07-09T23:30Z"]),  # 4-7/5
]


@pytest.mark.parametrize(("text", "after", "expected"), DEGENERATE)
def test_degenerate_ranges(text: str, after: datetime, expected: list[str]) -> None:
    runs = next_runs(parse(text), after, "UTC", count=len(expected))
    assert [iso(r) for r in runs] == expected


@pytest.mark.parametrize(("text", "after", "zone", "expected"), NEXT_RUN)
def test_next_run(text: str, after: datetime, zone: str, expected: str) -> None:
    result = next_run(parse(text), after, zone)
    assert result.tzinfo is UTC
    assert iso(result) == expected


def test_next_run_accepts_any_aware_datetime() -> None:
    berlin = datetime(2026, 7, 1, 8, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # 06:00Z
    assert iso(next_run(parse("0 7 * * *"), berlin, "UTC")) == "2026-07-01T07:00Z"


def test_next_run_rejects_naive_after() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_run(parse("* * * * *"), datetime(2026, 1, 1), "UTC")


def test_unknown_default_zone() -> None:
    with pytest.raises(CronError, match="unknown time zone `Mars/Base`"):
        next_run(parse("* * * * *"), utc(2026, 1, 1), "Mars/Base")


def test_zone_of() -> None:
    assert zone_of(parse("0 0 * * *"), "Europe/Berlin") == ZoneInfo("Europe/Berlin")
    assert zone_of(parse("CRON_TZ=Asia/Tokyo 0 0 * * *"), "Europe/Berlin") == ZoneInfo("Asia/Tokyo")


# --------------------------------------------------------------------------- DST

DST = [
    # Europe/Berlin spring forward 2027-03-28 02:00 CET -> 03:00 CEST (01:00Z)
    (
        "30 2 * * *",
        "Europe/Berlin",
        utc(2027, 3, 27, 2),
        ["2027-03-28T01:00Z", "2027-03-29T00:30Z"],
    ),  # gap: runs at 03:00 CEST, once
    (
        "0 2,3 * * *",
        "Europe/Berlin",
        utc(2027, 3, 27, 2),
        ["2027-03-28T01:00Z", "2027-03-29T00:00Z", "2027-03-29T01:00Z"],
    ),  # collide, fire once
    (
        "0,30 2 * * *",
        "Europe/Berlin",
        utc(2027, 3, 27, 2),
        ["2027-03-28T01:00Z", "2027-03-29T00:00Z"],
    ),
    (
        "*/30 * * * *",
        "Europe/Berlin",
        utc(2027, 3, 27, 23, 50),
        ["2027-03-28T00:00Z", "2027-03-28T00:30Z", "2027-03-28T01:00Z", "2027-03-28T01:30Z"],
    ),
    (
        "30 * * * *",
        "Europe/Berlin",
        utc(2027, 3, 27, 23, 50),  # wildcard: 02:30 just skipped
        ["2027-03-28T00:30Z", "2027-03-28T01:30Z"],
    ),
    (
        "* 2 * * *",
        "Europe/Berlin",
        utc(2027, 3, 27, 1, 58),  # wildcard: no 02:xx that day
        ["2027-03-27T01:59Z", "2027-03-29T00:00Z"],
    ),
    # Europe/Berlin fall back 2026-10-25 03:00 CEST -> 02:00 CET (01:00Z)
    (
        "30 2 * * *",
        "Europe/Berlin",
        utc(2026, 10, 24, 2),
        ["2026-10-25T00:30Z", "2026-10-26T01:30Z"],
    ),  # repeated: first pass only
    (
        "0 2,3 * * *",
        "Europe/Berlin",
        utc(2026, 10, 24, 2),
        ["2026-10-25T00:00Z", "2026-10-25T02:00Z", "2026-10-26T01:00Z"],
    ),
    (
        "*/30 * * * *",
        "Europe/Berlin",
        utc(2026, 10, 24, 23, 50),
        [
            "2026-10-25T00:00Z",
            "2026-10-25T00:30Z",
            "2026-10-25T01:00Z",
            "2026-10-25T01:30Z",
            "2026-10-25T02:00Z",
        ],
    ),  # wildcard: both passes
    (
        "30 * * * *",
        "Europe/Berlin",
        utc(2026, 10, 24, 23, 50),
        ["2026-10-25T00:30Z", "2026-10-25T01:30Z", "2026-10-25T02:30Z"],
    ),
    # `after` inside the first pass: the second pass of earlier minutes is still ahead
    (
        "15 * * * *",
        "Europe/Berlin",
        utc(2026, 10, 25, 0, 45),
        ["2026-10-25T01:15Z", "2026-10-25T02:15Z"],
    ),
    (
        "50 * * * *",
        "Europe/Berlin",
        utc(2026, 10, 25, 0, 45),
        ["2026-10-25T00:50Z", "2026-10-25T01:50Z", "2026-10-25T02:50Z"],
    ),
    ("30 2 * * *", "Europe/Berlin", utc(2026, 10, 25, 0, 45), ["2026-10-26T01:30Z"]),
    # `after` inside the second pass
    (
        "*/30 * * * *",
        "Europe/Berlin",
        utc(2026, 10, 25, 1, 20),
        ["2026-10-25T01:30Z", "2026-10-25T02:00Z"],
    ),
    # America/New_York spring forward 2027-03-14 02:00 EST -> 03:00 EDT (07:00Z)
    (
        "30 2 * * *",
        "America/New_York",
        utc(2027, 3, 13, 12),
        ["2027-03-14T07:00Z", "2027-03-15T06:30Z"],
    ),
    (
        "0 2,3 * * *",
        "America/New_York",
        utc(2027, 3, 13, 12),
        ["2027-03-14T07:00Z", "2027-03-15T06:00Z"],
    ),
    (
        "*/30 * * * *",
        "America/New_York",
        utc(2027, 3, 14, 6, 15),
        ["2027-03-14T06:30Z", "2027-03-14T07:00Z", "2027-03-14T07:30Z"],
    ),
    # America/New_York fall back 2026-11-01 02:00 EDT -> 01:00 EST (06:00Z)
    (
        "30 1 * * *",
        "America/New_York",
        utc(2026, 10, 31, 12),
        ["2026-11-01T05:30Z", "2026-11-02T06:30Z"],
    ),
    (
        "0 1,2 * * *",
        "America/New_York",
        utc(2026, 10, 31, 12),
        ["2026-11-01T05:00Z", "2026-11-01T07:00Z", "2026-11-02T06:00Z"],
    ),
    (
        "*/30 * * * *",
        "America/New_York",
        utc(2026, 11, 1, 4, 50),
        [
            "2026-11-01T05:00Z",
            "2026-11-01T05:30Z",
            "2026-11-01T06:00Z",
            "2026-11-01T06:30Z",
            "2026-11-01T07:00Z",
        ],
    ),
    # Lord Howe falls back 30 minutes 2027-04-04 02:00 +11 -> 01:30 +10:30 (15:00Z)
    (
        "45 1 4 4 *",
        "Australia/Lord_Howe",
        utc(2027, 4, 1),
        ["2027-04-03T14:45Z", "2028-04-03T15:15Z"],
    ),  # repeated: first pass only (croniter alone runs it at 15:15Z too)
    (
        "*/20 1 * * *",
        "Australia/Lord_Howe",
        utc(2027, 4, 3, 14, 30),
        ["2027-04-03T14:40Z", "2027-04-03T15:10Z", "2027-04-04T14:30Z"],
    ),  # wildcard: 01:40 in both passes (croniter alone skips the second)
    # CRON_TZ decides which transitions apply, not the default zone
    (
        "CRON_TZ=Europe/Berlin 30 2 * * *",
        "America/New_York",
        utc(2027, 3, 27, 2),
        ["2027-03-28T01:00Z", "2027-03-29T00:30Z"],
    ),
    ("CRON_TZ=UTC 30 2 * * *", "Europe/Berlin", utc(2027, 3, 27, 3), ["2027-03-28T02:30Z"]),
]


@pytest.mark.parametrize(("text", "zone", "after", "expected"), DST)
def test_dst(text: str, zone: str, after: datetime, expected: list[str]) -> None:
    runs = next_runs(parse(text), after, zone, count=len(expected))
    assert [iso(r) for r in runs] == expected


SIMULATED = [
    "30 2 * * *",
    "0 2,3 * * *",
    "*/30 * * * *",
    "30 * * * *",
    "0,15,45 1-3 * * *",
    "* 2 * * *",
    "0 3 * * *",
    "59 1 * * *",
    "0 */2 * * *",
    "5 2 * * 0",
    "@hourly",
    "@daily",
]
TRANSITIONS = [
    ("Europe/Berlin", utc(2027, 3, 27, 12)),
    ("Europe/Berlin", utc(2026, 10, 24, 12)),
    ("America/New_York", utc(2027, 3, 13, 18)),
    ("America/New_York", utc(2026, 10, 31, 18)),
    ("Australia/Lord_Howe", utc(2026, 10, 3, 6)),  # 30-minute DST shift
    ("Australia/Lord_Howe", utc(2026, 4, 4, 6)),
]


@pytest.mark.parametrize("text", SIMULATED)
@pytest.mark.parametrize(("zone", "start"), TRANSITIONS)
def test_agrees_with_cron_main_loop_model(text: str, zone: str, start: datetime) -> None:
    spec = parse(text)
    end = start + timedelta(hours=36)
    expected = [iso(run) for run in cronie_runs(spec, ZoneInfo(zone), start, end)]
    runs: list[str] = []
    current = start
    while True:
        current = next_run(spec, current, zone)
        if current > end:
            break
        runs.append(iso(current))
    assert runs == expected


STRICT = [
    "* * * * *",
    "*/7 * * * *",
    "30 2 * * *",
    "0 2,3 * * *",
    "*/30 1-3 * * *",
    "0 0 1 * Mon",
    "@weekly",
]


@pytest.mark.parametrize("text", STRICT)
@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "UTC"])
def test_next_runs_strictly_increasing(text: str, zone: str) -> None:
    for after in (utc(2026, 10, 24, 23), utc(2027, 3, 27, 23), utc(2026, 10, 31, 22)):
        runs = next_runs(parse(text), after, zone, count=300)
        assert len(runs) == 300
        assert runs[0] > after
        assert all(a < b for a, b in pairwise(runs))


BRUTE_FORCE = [
    "*/7 3-5 * * *",
    "0 0 1 * Mon",
    "0 0 */2 * Mon",
    "15 10 * * 6,7",
    "0 12 31 * *",
    "5/20 */5 * * *",
    "0 0 1-7 * 1-5",
    "0 0 */3 * */2",
]


@pytest.mark.parametrize("text", BRUTE_FORCE)
def test_next_run_agrees_with_minute_scan(text: str) -> None:
    """Cross-check the calendar walk against a plain minute scan of `matches` (UTC only)."""
    spec = parse(text)
    for after in (utc(2026, 1, 30, 23, 58), utc(2026, 2, 28, 5), utc(2026, 12, 31, 23)):
        probe = after.replace(tzinfo=None) + MIN
        for _ in range(60 * 24 * 40):
            if spec.matches(probe):
                break
            probe += MIN
        else:
            pytest.fail("no match within 40 days")
        assert next_run(spec, after, "UTC") == probe.replace(tzinfo=UTC)


def test_one_croniter_step_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """croniter jumps to the next match (the leap day 2 years on), the adapter takes it."""
    from croniter import croniter

    steps: list[datetime] = []
    original = croniter.get_next

    def counting(self: croniter, *args: object, **kwargs: object) -> datetime:
        result: datetime = original(self, *args, **kwargs)
        steps.append(result)
        return result

    monkeypatch.setattr(croniter, "get_next", counting)
    assert iso(next_run(parse("0 0 29 2 *"), utc(2026, 3, 1), "UTC")) == "2028-02-29T00:00Z"
    assert len(steps) == 1
    steps.clear()
    next_run(parse("*/5 * * * *"), utc(2026, 3, 1, 12, 1), "Europe/Berlin")
    assert len(steps) == 1


def test_spec_never_running_in_its_zone_terminates() -> None:
    # Minute wildcard at 02:xx on the last Sunday of March: always inside the EU DST gap.
    spec = parse("* 2 25-31 3 */7")
    with pytest.raises(CronError, match="never runs in time zone Europe/Berlin"):
        next_run(spec, utc(2026, 1, 1), "Europe/Berlin")
    assert iso(next_run(spec, utc(2026, 1, 1), "UTC")) == "2026-03-29T02:00Z"


def test_end_of_calendar_is_a_cron_error() -> None:
    with pytest.raises(CronError):
        next_run(parse("0 0 29 2 *"), datetime(9999, 12, 31, 23, 59, tzinfo=UTC), "UTC")


# --------------------------------------------------------------------------- explain

EXPLAIN = [
    (
        "0 22 * */2 Mon-Fri",
        "Crontab `0 22 * */2 Mon-Fri` means the executable will be run at 22:00, "
        "Monday through Friday, every 2 months",
    ),
    (
        "0 0 1 * Mon",
        "Crontab `0 0 1 * Mon` means the executable will be run at 00:00, "
        "on day 1 of the month, or on Monday",
    ),
    (
        "0 0 1-7 * 1-5",
        "Crontab `0 0 1-7 * 1-5` means the executable will be run at 00:00, "
        "between day 1 and 7 of the month, or on Monday through Friday",
    ),
    (
        "0 0 */2 * Mon",
        "Crontab `0 0 */2 * Mon` means the executable will be run at 00:00, on day 1, 3, 5, 7, "
        "9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, and 31 of the month, but only on Monday",
    ),
    ("@daily", "Crontab `@daily` means the executable will be run at 00:00, every day"),
    ("@weekly", "Crontab `@weekly` means the executable will be run at 00:00, only on Sunday"),
    (
        "@yearly",
        "Crontab `@yearly` means the executable will be run at 00:00, "
        "on day 1 of the month, only in January",
    ),
    (
        "CRON_TZ=Europe/Berlin 0 9 * * Mon-Fri",
        "Crontab `0 9 * * Mon-Fri` means the executable will be run at 09:00, "
        "Monday through Friday (time zone Europe/Berlin)",
    ),
    (
        "*/15 * * * *",
        "Crontab `*/15 * * * *` means the executable will be run every 15 minutes, "
        "every hour, every day",
    ),
    (
        "0 0 * * 0-7",
        "Crontab `0 0 * * 0-7` means the executable will be run at 00:00, Monday through Sunday",
    ),
    (
        "0 0 * * 5-7",
        "Crontab `0 0 * * 5-7` means the executable will be run at 00:00, Friday through Sunday",
    ),
    (
        "0 0 * * Fri/2",
        "Crontab `0 0 * * Fri/2` means the executable will be run at 00:00, "
        "only on Friday and Sunday",
    ),
    (
        "0 9 * jan,jul *",
        "Crontab `0 9 * jan,jul *` means the executable will be run at 09:00, every day, "
        "only in January and July",
    ),
    # degenerate ranges are one value, as cron reads them
    (
        "40-40 22 * * *",
        "Crontab `40-40 22 * * *` means the executable will be run at 22:40, every day",
    ),
    (
        "0 0 1 jan-jan/3 *",
        "Crontab `0 0 1 jan-jan/3 *` means the executable will be run at 00:00, "
        "on day 1 of the month, only in January",
    ),
]


@pytest.mark.parametrize(("text", "expected"), EXPLAIN)
def test_explain(text: str, expected: str) -> None:
    assert explain(parse(text)) == expected


@pytest.mark.parametrize("text", [text for text, _ in PARSE_VALID])
def test_explain_never_fails_on_valid_specs(text: str) -> None:
    assert explain(parse(text)).startswith("Crontab `")


def test_explain_wraps_descriptor_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> object:
        raise IndexError("boom")

    import cron_descriptor

    monkeypatch.setattr(cron_descriptor, "ExpressionDescriptor", broken)
    with pytest.raises(CronError, match="cannot explain `0 0 \\* \\* \\*`"):
        explain(parse("0 0 * * *"))


# --------------------------------------------------------------------------- format_run

FORMAT_RUN = [
    (utc(2026, 11, 23, 8), "Europe/Berlin", "Mon 23 Nov 2026 09:00 CET"),
    (utc(2026, 7, 1, 7), "Europe/Berlin", "Wed 01 Jul 2026 09:00 CEST"),
    (utc(2027, 3, 14, 7), "America/New_York", "Sun 14 Mar 2027 03:00 EDT"),
    (utc(2026, 1, 1), "UTC", "Thu 01 Jan 2026 00:00 UTC"),
]


@pytest.mark.parametrize(("when", "zone", "expected"), FORMAT_RUN)
def test_format_run(when: datetime, zone: str, expected: str) -> None:
    assert format_run(when, zone) == expected
    assert format_run(when, ZoneInfo(zone)) == expected


# --------------------------------------------------------------------------- in the bot


def test_slack_dashes_are_dashes(run: Run) -> None:
    assert run("<@UBOT> schedule explain 0 9 * * Mon\u2013Fri").startswith(
        "Crontab `0 9 * * Mon-Fri` means the executable will be run at 09:00, "
        "Monday through Friday\nThe next 5 runs (Europe/Berlin):\n• Mon 23 Nov 2026 09:00 CET\n"
    )


def test_a_trailing_comment_is_pointed_at(run: Run) -> None:
    assert run("<@UBOT> schedule explain 0 9 * * * # weekdays").startswith(
        "That `schedule` needs fixing: the crontab is not valid: `#` is not allowed "
        "(in crontab(5) a comment is a line of its own): remove the comment `# weekdays`.\n"
    )


def test_quotes_in_a_crontab_are_pointed_at() -> None:
    """`schedule explain "cmd" ...` gets its own hint earlier; the parser still names quotes."""
    with pytest.raises(cron.CronError, match="a crontab has no quotes"):
        cron.parse('"rotate backend" 0 9 * * *')


def test_cron_tz_in_any_case(run: Run) -> None:
    assert run("<@UBOT> schedule explain CRON_TZ=utc 0 9 * * *").startswith(
        "Crontab `0 9 * * *` means the executable will be run at 09:00, every day "
        "(time zone UTC)\nThe next 5 runs (UTC):\n• Mon 23 Nov 2026 09:00 UTC\n"
    )


def test_croniter_is_loaded_only_when_a_next_run_is_computed() -> None:
    """A bot without schedules never pays croniter's (and dateutil's) memory."""
    code = (
        "import sys, bot.app, bot.core.cron as c; assert 'croniter' not in sys.modules; "
        "c.next_run(c.parse('0 9 * * *'), __import__('datetime').datetime.now("
        "__import__('datetime').UTC), 'UTC'); assert 'croniter' in sys.modules"
    )
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
