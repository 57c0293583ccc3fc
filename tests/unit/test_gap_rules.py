"""Words and small rules of gaps: labels in both languages, due dates, overdue, filters, facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest

from fieldvisit.gaps import domain
from fieldvisit.gaps.domain import Fact, GapFilter
from fieldvisit.reconcile.domain import GapStatus, ProvenanceReason, Rule, Severity
from fieldvisit.web import i18n


@pytest.mark.parametrize(("enum", "label"), [
    (Rule, domain.rule_label), (Rule, domain.rule_help), (GapStatus, domain.status_label),
    (Severity, domain.severity_label), (ProvenanceReason, domain.reason_label), (domain.EventKind, domain.event_label),
])
def test_every_rule_status_severity_reason_and_event_has_a_label_in_both_languages(enum, label) -> None:
    for member in enum:
        english = label(member.value)
        with i18n.language("id"):
            indonesian = label(member.value)
        assert english != member.value, member
        assert indonesian != english, f"{member}: no Indonesian translation"


@pytest.mark.parametrize(
    ("now", "offset", "today"),
    [
        (datetime(2025, 5, 14, 16, 59, tzinfo=UTC), "+07:00", date(2025, 5, 14)),
        (datetime(2025, 5, 14, 17, 0, tzinfo=UTC), "+07:00", date(2025, 5, 15)),  # midnight WIB
        (datetime(2025, 5, 14, 15, 30, tzinfo=UTC), "+09:00", date(2025, 5, 15)),  # WIT
        (datetime(2025, 5, 14, 15, 30, tzinfo=UTC), "+08:00", date(2025, 5, 14)),  # WITA
        (datetime(2025, 5, 14, 23, 0, tzinfo=UTC), "garbage", date(2025, 5, 15)),  # falls back to WIB
    ],
)
def test_today_is_the_districts_own_calendar_day(now: datetime, offset: str, today: date) -> None:
    assert domain.local_today(now, offset) == today


@pytest.mark.parametrize(
    ("status", "due", "overdue"),
    [
        ("open", date(2025, 5, 13), True),
        ("open", date(2025, 5, 14), False),  # due today is not late yet
        ("rejected", date(2025, 5, 1), True),
        ("more_info", date(2025, 5, 1), True),
        ("responded", date(2025, 5, 1), False),  # the district has answered: the verifier owes now
        ("resolved", date(2025, 5, 1), False),
        ("closed", date(2025, 5, 1), False),
        ("open", None, False),  # provenance gaps have no due date
    ],
)
def test_a_gap_is_overdue_only_while_the_district_owes_an_answer(status: str, due: date | None,
                                                                 overdue: bool) -> None:
    assert domain.is_overdue(status, due, date(2025, 5, 14)) is overdue


def test_a_due_date_is_the_rounds_response_days_after_today() -> None:
    assert domain.due_on(date(2025, 5, 14), 14) == date(2025, 5, 28)
    assert domain.due_on(date(2025, 5, 14), -3) == date(2025, 5, 14)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [
        ({}, GapFilter()),
        ({"status": "open", "rule": "contradicted", "cluster": "k2", "overdue": "1"},
         GapFilter("open", "contradicted", "K2", "", True)),
        ({"status": "active", "indicator": "i08"}, GapFilter("active", "", "", "I08", False)),
        ({"status": "bogus", "rule": "drop table", "cluster": "K1'--", "overdue": "maybe"}, GapFilter()),
    ],
    ids=["empty", "all", "active", "hand-edited-url"],
)
def test_the_gap_list_filters_drop_unknown_values(raw: dict[str, str], parsed: GapFilter) -> None:
    assert GapFilter.parse(**raw) == parsed


def test_filters_make_links_that_keep_the_others() -> None:
    flt = GapFilter("open", "partial", "", "I08", True)
    assert flt.url_query(indicator="") == "status=open&rule=partial&overdue=1"


def test_facts_are_typed_for_display_in_their_stored_order() -> None:
    facts = {"reasons": ["outside_window", "reused"], "mode": "on_site", "taken_at": "2025-05-14T02:00:00+00:00",
             "window_end": None, "distance_m": 412.5, "reused_at_site_ids": [4], "vf": "0.8973", "item_code": "X-1"}
    assert domain.typed_facts(facts) == [
        Fact("reasons", "reasons", ["outside_window", "reused"]), Fact("mode", "word", "on_site"),
        Fact("taken_at", "time", datetime(2025, 5, 14, 2, 0, tzinfo=UTC)), Fact("distance_m", "number", D("412.5")),
        Fact("reused_at_site_ids", "sites", [4]), Fact("vf", "number", D("0.8973")), Fact("item_code", "text", "X-1"),
    ]
