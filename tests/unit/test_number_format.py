"""The `num` filter writes numbers exactly as babel's "#,##0.##" patterns do, only faster."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from babel.numbers import format_decimal

from fieldvisit.web import i18n
from fieldvisit.web.templating import format_number

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
