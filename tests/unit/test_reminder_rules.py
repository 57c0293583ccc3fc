"""Who is reminded of which overdue gap (`fieldvisit remind-overdue`): the district's staff and
the evaluation's verifiers, one e-mail per person and evaluation, each gap once a day."""

from __future__ import annotations

from datetime import date

import pytest

from fieldvisit.gaps.domain import OverdueGap, Reminder, plan_reminders

TODAY = date(2026, 3, 10)
STAFF = {1: [10, 11], 2: [20]}  # district -> staff
TEAMS = {100: [50], 200: [50, 60]}  # evaluation -> verifiers


def gap(gap_id: int, evaluation: int = 100, district: int = 1, status: str = "open", due: date | None = date(2026, 3, 9),
        today: date = TODAY) -> OverdueGap:
    return OverdueGap(gap_id, evaluation, district, status, due, today)


@pytest.mark.parametrize(("gaps", "sent", "expected"), [
    ([], set(), []),
    ([gap(1)], set(), [Reminder(10, 100, "district", (1,), TODAY), Reminder(11, 100, "district", (1,), TODAY),
                       Reminder(50, 100, "verifier", (1,), TODAY)]),
    # due today is not overdue yet; nor is a gap without a due date, or one answered or closed
    ([gap(1, due=TODAY), gap(2, due=None), gap(3, status="responded"), gap(4, status="accepted")], set(), []),
    # re-opened and asked-for-more gaps wait for the district too
    ([gap(1, status="rejected"), gap(2, status="more_info")], {(1, 11, TODAY), (2, 11, TODAY), (1, 50, TODAY),
                                                               (2, 50, TODAY)},
     [Reminder(10, 100, "district", (1, 2), TODAY)]),
    # sent yesterday does not count today
    ([gap(1)], {(1, 10, date(2026, 3, 9)), (1, 11, TODAY), (1, 50, TODAY)}, [Reminder(10, 100, "district", (1,), TODAY)]),
    # each district's staff only its own gaps; each team only its evaluation's
    ([gap(7, evaluation=200, district=2)], set(),
     [Reminder(20, 200, "district", (7,), TODAY), Reminder(50, 200, "verifier", (7,), TODAY),
      Reminder(60, 200, "verifier", (7,), TODAY)]),
    # a district without staff and an evaluation without a team: nobody to tell
    ([gap(8, evaluation=300, district=3)], set(), []),
])
def test_plan_reminders(gaps, sent, expected):
    assert plan_reminders(gaps, STAFF, TEAMS, sent) == expected


def test_a_gap_is_judged_on_its_districts_own_day():
    # 23:30 on the 9th in UTC is already the 10th in WIB: a gap due on the 9th is overdue there
    assert plan_reminders([gap(1, today=date(2026, 3, 10))], {1: [10]}, {}, set()) != []
    assert plan_reminders([gap(1, today=date(2026, 3, 9))], {1: [10]}, {}, set()) == []
