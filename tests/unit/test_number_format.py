"""The `num`, `when` and `day` filters write numbers and dates exactly as babel's patterns do, only faster."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from fieldvisit.web import i18n
from fieldvisit.web.templating import ZONES, format_clock, format_day, format_number, format_when

VALUES = [D("754.35"), D("771"), D("771.00"), D("0.625"), D("0.8973"), D("34.10"), D("1234.5"), D("1234567.891"),
          D("0.005"), D("0.015"), D("2.675"), D("-3.5"), D("-0.001"), D("0"), 0, 12, 0.1, 83.0, 92.5, 1e6,
          D("99999999.9999")]


@pytest.mark.parametrize("language, locale", [("id", "id_ID"), ("en", "en_GB")])
@pytest.mark.parametrize("digits", [0, 1, 2, 3, 4])
def test_it_writes_what_babel_writes(language: str, locale: str, digits: int) -> None:
    pattern = f"#,##0.{'#' * digits}" if digits else "#,##0"
    with i18n.language(language):
        for value in VALUES:
            assert format_number(value, digits) == format_decimal(value, format=pattern, locale=locale), value


def test_the_worked_example_reads_the_indonesian_way() -> None:
    with i18n.language("id"):
        assert [format_number(D(v)) for v in ("754.35", "1234.5", "0.625")] == ["754,35", "1.234,5", "0,62"]  # half-even, as babel
        assert format_number(None) == "–"


MOMENTS = [datetime(2025, 1, 1, 0, 0, tzinfo=UTC), datetime(2025, 5, 3, 0, 5, tzinfo=UTC),
           datetime(2025, 9, 30, 16, 59, tzinfo=UTC), datetime(2025, 12, 31, 23, 30, tzinfo=UTC),
           datetime(2026, 2, 28, 17, 0), datetime(2024, 6, 15, 12, 0, tzinfo=UTC)]


@pytest.mark.parametrize("language, locale", [("id", "id_ID"), ("en", "en_GB")])
@pytest.mark.parametrize("zone", ["WIB", "WITA", "WIT", "elsewhere"])
def test_dates_and_times_read_as_babel_writes_them(language: str, locale: str, zone: str) -> None:
    tz = ZONES.get(zone, UTC)
    with i18n.language(language):
        for moment in MOMENTS:
            local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(tz)
            name = tz.tzname(None)
            assert format_when(moment, zone) == f"{format_datetime(local, 'd MMM y, HH:mm', locale=locale)} {name}"
            assert format_when(moment, zone, "short") == f"{format_datetime(local, 'd MMM HH:mm', locale=locale)} {name}"
            assert format_clock(moment, zone) == format_datetime(local, "HH:mm", locale=locale)
            assert format_day(local.date()) == format_date(local.date(), "d MMM y", locale=locale)
    assert format_when(None) == format_day(None) == format_clock(None) == ""
