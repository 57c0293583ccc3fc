"""Retention of photo originals as pure rules: when a round's originals are due, and what a run
of `fieldvisit purge-originals` says and exits with."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fieldvisit.privacy.domain import PurgeReport, is_due, original_removed_notice, purge_cutoff
from fieldvisit.web import i18n

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize(("closed_days_ago", "retention", "due"), [
    (None, 180, False),  # the round is still open
    (179, 180, False),
    (180, 180, True),  # exactly the retention: due
    (181, 180, True),
    (0, 0, True),  # no retention: due as soon as the round closes
    (-1, 0, False),  # a closing date in the future is not due
    (400, 365, True),
])
def test_originals_are_due_once_the_round_has_been_closed_for_the_retention(closed_days_ago, retention, due):
    closed_at = None if closed_days_ago is None else NOW - timedelta(days=closed_days_ago)
    assert is_due(closed_at, NOW, retention) is due


def test_the_cutoff_is_now_minus_the_retention():
    assert purge_cutoff(NOW, 180) == datetime(2026, 5, 27, 3, 0, tzinfo=UTC)


def report(**values) -> PurgeReport:
    base = {"dry_run": False, "retention_days": 180, "cutoff": purge_cutoff(NOW, 180), "due": 0, "removed": 0,
            "not_ready": 0, "failed": 0, "rounds": 0}
    return PurgeReport(**{**base, **values})


@pytest.mark.parametrize(("values", "line", "exit_code"), [
    ({}, "purge-originals: removed 0 of 0 originals of 0 rounds closed before 2026-05-27 (retention 180 days)", 0),
    ({"due": 12, "removed": 12, "rounds": 2},
     "purge-originals: removed 12 of 12 originals of 2 rounds closed before 2026-05-27 (retention 180 days)", 0),
    ({"dry_run": True, "due": 5, "rounds": 1},
     "purge-originals (dry run): would remove 5 originals of 1 rounds closed before 2026-05-27 (retention 180 days)",
     0),
    ({"due": 3, "removed": 1, "failed": 2, "rounds": 1, "error": "blob store unavailable: S3 delete: refused"},
     "purge-originals: removed 1 of 3 originals of 1 rounds closed before 2026-05-27 (retention 180 days); "
     "FAILED: 2 not removed, left for the next run (blob store unavailable: S3 delete: refused)", 1),
    ({"due": 1, "removed": 1, "not_ready": 4, "rounds": 1},
     "purge-originals: removed 1 of 1 originals of 1 rounds closed before 2026-05-27 (retention 180 days); "
     "kept 4 whose derivatives are not made yet", 0),
])
def test_a_run_reports_in_one_line_and_exits_for_cron(values, line, exit_code):
    result = report(**values)
    assert result.summary() == line
    assert "\n" not in result.summary()
    assert result.exit_code == exit_code


def test_the_audited_counts_hold_everything_the_line_says():
    counts = report(due=3, removed=3, rounds=1).counts()
    assert counts == {"dry_run": False, "retention_days": 180, "cutoff": "2026-05-27T03:00:00+00:00", "due": 3,
                      "removed": 3, "not_ready": 0, "failed": 0, "rounds": 1}


def test_a_purged_original_is_explained_not_reported_missing():
    assert original_removed_notice(180).startswith("The original of this photo was removed under the retention "
                                                   "policy, 180 days after the evaluation round closed.")
    with i18n.language("id"):
        assert "dihapus sesuai kebijakan retensi" in original_removed_notice(180)
