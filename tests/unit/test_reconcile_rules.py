"""The gap rules of KLA.md ("Reconciliation") and how stored gaps follow them."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Any

import pytest

from fieldvisit.reconcile.domain import (
    ExistingGap,
    GapChanges,
    GapDraft,
    GapKey,
    GapStatus,
    IndicatorClaim,
    IndicatorVerification,
    ItemFinding,
    Mode,
    Outcome,
    PhotoEvidence,
    ReconcileInputs,
    ReconcileSettings,
    Result,
    Rule,
    Severity,
    SiteItemClaim,
    SiteOutcome,
    Tolerance,
    apply_changes,
    find_gaps,
    parse_subject,
    plan_changes,
)

WIB = timezone(timedelta(hours=7))
CHECK_IN = datetime(2025, 5, 14, 9, 0, tzinfo=WIB)
SUBMIT = datetime(2025, 5, 14, 11, 0, tzinfo=WIB)
NOW = datetime(2025, 5, 14, 15, 0, tzinfo=WIB)
SLACK = timedelta(hours=2)
SECOND = timedelta(seconds=1)


def item_claim(claim_id: int = 1, site_id: int = 10, item: str = "PUSPAGA_01", met: bool = True,
               wants_photo: bool = False, indicator: str = "I08") -> SiteItemClaim:
    return SiteItemClaim(claim_id, site_id, item, indicator, met, wants_photo)


def finding(result: Result, site_id: int = 10, item: str = "PUSPAGA_01", photos: int = 1,
            mode: Mode = Mode.ON_SITE, finding_id: int = 100, at: datetime = CHECK_IN) -> ItemFinding:
    return ItemFinding(finding_id, site_id, item, result, photos, mode, 7, at)


def outcome(kind: Outcome, site_id: int = 10, visit_id: int = 1, at: datetime = CHECK_IN) -> SiteOutcome:
    return SiteOutcome(site_id, kind, visit_id, at)


def indicator_claim(value: str | None, claim_id: int = 50, code: str = "I04") -> IndicatorClaim:
    return IndicatorClaim(claim_id, code, None if value is None else D(value), "%", D(38), D(40))


def verification(value: str, code: str = "I04", verification_id: int = 1,
                 at: datetime = SUBMIT) -> IndicatorVerification:
    return IndicatorVerification(code, D(value), verification_id, at)


def photo(photo_id: int = 9, site_id: int = 10, mode: Mode = Mode.ON_SITE,
          taken: datetime | None = CHECK_IN + timedelta(minutes=30), start: datetime | None = CHECK_IN,
          end: datetime | None = SUBMIT, distance: float | None = 20.0,
          reused: tuple[int, ...] = ()) -> PhotoEvidence:
    return PhotoEvidence(photo_id, site_id, mode, taken, start, end, distance, reused)


def gaps(**inputs: Any) -> list[GapDraft]:
    return find_gaps(ReconcileInputs(**inputs), ReconcileSettings(), NOW)


def rules_by_subject(drafts: list[GapDraft]) -> dict[str, Rule]:
    return {d.key.subject: d.key.rule for d in drafts}


# ---- site-item claims ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed_met", "wants_photo", "result", "photos", "stage_closed", "expected"),
    [
        (True, False, Result.NOT_MET, 1, False, Rule.CONTRADICTED),
        (True, True, Result.NOT_MET, 0, True, Rule.CONTRADICTED),
        (True, False, Result.PARTIAL, 1, False, Rule.PARTIAL),
        (True, True, Result.MET, 1, True, None),
        (True, True, Result.MET, 0, False, Rule.EVIDENCE_MISSING),
        (True, False, Result.MET, 0, True, None),
        (True, False, None, 0, True, Rule.UNVERIFIED),
        (True, False, None, 0, False, None),
        (True, False, Result.NOT_OBSERVED, 0, True, Rule.UNVERIFIED),
        (True, False, Result.NOT_OBSERVED, 0, False, None),
        (True, False, Result.NOT_APPLICABLE, 0, True, None),
        (False, False, Result.NOT_MET, 0, True, None),
        (False, True, Result.MET, 0, True, None),
        (False, False, None, 0, True, None),
    ],
    ids=[
        "contradicted-claimed-met-found-not-met",
        "contradicted-wins-over-missing-photo",
        "partial-claimed-met-found-partial",
        "no-gap-met-with-wanted-photo",
        "evidence-missing-met-without-wanted-photo",
        "no-gap-met-photo-not-wanted",
        "unverified-no-finding-stage-closed",
        "no-gap-no-finding-stage-open",
        "unverified-not-observed-stage-closed",
        "no-gap-not-observed-stage-open",
        "no-gap-not-applicable-is-a-judgement",
        "no-gap-claimed-not-met-found-not-met",
        "no-gap-claimed-not-met-asserts-nothing",
        "no-gap-claimed-not-met-unverified",
    ],
)
def test_it_applies_the_item_rules(claimed_met: bool, wants_photo: bool, result: Result | None, photos: int,
                                   stage_closed: bool, expected: Rule | None) -> None:
    drafts = gaps(
        site_item_claims=[item_claim(met=claimed_met, wants_photo=wants_photo)],
        findings=[finding(result, photos=photos)] if result else [],
        field_stage_closed=stage_closed,
    )
    assert rules_by_subject(drafts) == ({"claim:1": expected} if expected else {})
    for d in drafts:
        assert (d.site_id, d.indicator_code) == (10, "I08")


def test_it_records_claimed_and_found_in_the_facts() -> None:
    [draft] = gaps(site_item_claims=[item_claim()], findings=[finding(Result.NOT_MET, mode=Mode.VIDEO)])
    assert draft.facts == {"item_code": "PUSPAGA_01", "claimed": "met", "found": "not_met", "mode": "video"}


def test_it_judges_the_latest_finding_of_an_item() -> None:
    older = finding(Result.NOT_MET, finding_id=100, at=CHECK_IN)
    newer = finding(Result.MET, finding_id=101, at=CHECK_IN + timedelta(minutes=5))
    same_time_higher_id = finding(Result.PARTIAL, finding_id=102, at=CHECK_IN + timedelta(minutes=5))
    assert gaps(site_item_claims=[item_claim()], findings=[newer, older]) == []
    assert rules_by_subject(gaps(site_item_claims=[item_claim()], findings=[same_time_higher_id, newer, older])) == {
        "claim:1": Rule.PARTIAL}


@pytest.mark.parametrize("kind", [Outcome.CLOSED, Outcome.NOT_FOUND, Outcome.REFUSED],
                         ids=["closed", "not-found", "refused"])
def test_it_raises_one_site_gap_instead_of_item_gaps_when_the_site_is_not_found(kind: Outcome) -> None:
    drafts = gaps(
        site_item_claims=[item_claim(1, item="A"), item_claim(2, item="B"), item_claim(3, item="C", wants_photo=True),
                          item_claim(4, site_id=11)],
        findings=[finding(Result.NOT_MET, item="A"), finding(Result.MET, item="C", photos=0)],
        outcomes=[outcome(kind)],
        field_stage_closed=True,
    )
    assert rules_by_subject(drafts) == {"site:10": Rule.SITE_NOT_FOUND, "claim:4": Rule.UNVERIFIED}
    site_gap = drafts[[d.key.subject for d in drafts].index("site:10")]
    assert site_gap.facts == {"outcome": str(kind), "item_claims": 3}
    assert (site_gap.severity, site_gap.visible_to_district, site_gap.site_id) == (Severity.HIGH, True, 10)


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        ([outcome(Outcome.FOUND)], {"claim:1": Rule.CONTRADICTED}),
        ([outcome(Outcome.NOT_FOUND, visit_id=1, at=CHECK_IN), outcome(Outcome.FOUND, visit_id=2, at=NOW)],
         {"claim:1": Rule.CONTRADICTED}),
        ([outcome(Outcome.FOUND, visit_id=1, at=CHECK_IN), outcome(Outcome.CLOSED, visit_id=2, at=NOW)],
         {"site:10": Rule.SITE_NOT_FOUND}),
    ],
    ids=["found", "found-on-revisit", "closed-on-revisit"],
)
def test_the_latest_outcome_of_a_site_counts(outcomes: list[SiteOutcome], expected: dict[str, Rule]) -> None:
    drafts = gaps(site_item_claims=[item_claim()], findings=[finding(Result.NOT_MET)], outcomes=outcomes)
    assert rules_by_subject(drafts) == expected


# ---- indicator values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claimed", "verified", "tolerance", "stage_closed", "expected", "vf"),
    [
        ("100", "90", None, False, None, None),
        ("100", "110", None, False, None, None),
        ("100", "89.99", None, False, Rule.VALUE_MISMATCH, "0.8999"),
        ("100", "110.01", None, False, Rule.VALUE_MISMATCH, "1.1001"),
        ("92.5", "83.0", None, False, Rule.VALUE_MISMATCH, "0.8973"),
        ("100", "85", ("0.80", "1.20"), False, None, None),
        ("100", "94", ("0.95", "1.05"), False, Rule.VALUE_MISMATCH, "0.9400"),
        ("0", "0", None, False, None, None),
        ("0", "5", None, False, Rule.VALUE_MISMATCH, None),
        (None, "5", None, True, None, None),
        ("92.5", None, None, False, None, None),
        ("92.5", None, None, True, Rule.UNVERIFIED, None),
        (None, None, None, True, None, None),
    ],
    ids=[
        "inside-vf-exactly-0.90",
        "inside-vf-exactly-1.10",
        "mismatch-just-below",
        "mismatch-just-above",
        "mismatch-worked-example",
        "inside-indicator-own-tolerance",
        "mismatch-indicator-own-narrow-tolerance",
        "claimed-zero-verified-zero-matches",
        "claimed-zero-verified-more-mismatch-without-vf",
        "no-claimed-value-nothing-to-compare",
        "no-verification-stage-open",
        "unverified-no-verification-stage-closed",
        "no-claimed-value-not-unverified",
    ],
)
def test_it_compares_claimed_and_verified_values(claimed: str | None, verified: str | None,
                                                 tolerance: tuple[str, str] | None, stage_closed: bool,
                                                 expected: Rule | None, vf: str | None) -> None:
    drafts = gaps(
        indicator_claims=[indicator_claim(claimed)],
        verifications=[verification(verified)] if verified else [],
        tolerances=[Tolerance("I04", D(tolerance[0]), D(tolerance[1]))] if tolerance else [],
        field_stage_closed=stage_closed,
    )
    assert rules_by_subject(drafts) == ({"indicator_claim:50": expected} if expected else {})
    if expected is Rule.VALUE_MISMATCH:
        assert drafts[0].facts["vf"] == vf
        assert (drafts[0].severity, drafts[0].indicator_code) == (Severity.MEDIUM, "I04")


def test_a_value_mismatch_tells_the_whole_comparison() -> None:
    [draft] = gaps(indicator_claims=[indicator_claim("92.5")], verifications=[verification("83.0")])
    assert draft.facts == {"claimed_value": "92.5", "unit": "%", "verified_value": "83", "vf": "0.8973",
                           "tolerance_low": "0.9", "tolerance_high": "1.1"}


def test_the_latest_verification_counts() -> None:
    recount = verification("92.0", verification_id=2, at=NOW)
    assert gaps(indicator_claims=[indicator_claim("92.5")], verifications=[recount, verification("83.0")]) == []


# ---- provenance ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reasons"),
    [
        ({}, None),
        ({"taken": CHECK_IN - SLACK}, None),
        ({"taken": CHECK_IN - SLACK - SECOND}, ["outside_window"]),
        ({"taken": SUBMIT + SLACK}, None),
        ({"taken": SUBMIT + SLACK + SECOND}, ["outside_window"]),
        ({"taken": (SUBMIT + SLACK + SECOND).astimezone(UTC)}, ["outside_window"]),
        ({"end": None, "taken": NOW + SLACK}, None),
        ({"end": None, "taken": NOW + SLACK + SECOND}, ["outside_window"]),
        ({"taken": None}, None),
        ({"start": None, "end": None, "taken": CHECK_IN - timedelta(days=30)}, None),
        ({"distance": 200.0}, None),
        ({"distance": 200.1}, ["too_far"]),
        ({"distance": None}, None),
        ({"mode": Mode.VIDEO, "distance": 5000.0}, None),
        ({"mode": Mode.VIDEO, "taken": SUBMIT + SLACK + SECOND}, ["outside_window"]),
        ({"reused": (11,)}, ["reused"]),
        ({"reused": (10,)}, None),
        ({"taken": CHECK_IN - timedelta(days=1), "distance": 950.0, "reused": (12, 11, 10)},
         ["outside_window", "too_far", "reused"]),
    ],
    ids=[
        "clean-photo",
        "exactly-check-in-minus-slack",
        "a-second-before-the-window",
        "exactly-submit-plus-slack",
        "a-second-after-the-window",
        "a-second-after-the-window-in-utc",
        "open-visit-window-ends-now",
        "open-visit-a-second-after-now-plus-slack",
        "no-capture-time",
        "no-check-in",
        "exactly-at-the-radius",
        "beyond-the-radius",
        "no-location",
        "video-never-too-far",
        "video-outside-session-window",
        "reused-at-another-site",
        "reused-only-at-its-own-site",
        "all-reasons-one-gap",
    ],
)
def test_it_flags_photo_provenance(kwargs: dict[str, Any], reasons: list[str] | None) -> None:
    drafts = gaps(photos=[photo(**kwargs)])
    if reasons is None:
        assert drafts == []
        return
    [draft] = drafts
    assert draft.key == GapKey(Rule.PROVENANCE, "photo:9")
    assert (draft.severity, draft.visible_to_district, draft.site_id) == (Severity.REVIEW, False, 10)
    assert draft.facts["reasons"] == reasons


def test_a_provenance_gap_tells_distance_radius_and_other_sites() -> None:
    [draft] = gaps(photos=[photo(distance=950.0, reused=(12, 11, 10))])
    assert draft.facts["distance_m"] == 950.0
    assert draft.facts["radius_m"] == 200.0
    assert draft.facts["reused_at_site_ids"] == [11, 12]
    assert draft.facts["slack_minutes"] == 120


def test_the_radius_and_slack_are_settings() -> None:
    settings = ReconcileSettings(radius_m=50.0, window_slack=timedelta(minutes=10))
    drafts = find_gaps(ReconcileInputs(photos=[photo(distance=60.0, taken=SUBMIT + timedelta(minutes=11))]),
                       settings, NOW)
    assert drafts[0].facts["reasons"] == ["outside_window", "too_far"]


@pytest.mark.parametrize(
    ("rule", "severity", "visible"),
    [
        (Rule.CONTRADICTED, Severity.HIGH, True),
        (Rule.SITE_NOT_FOUND, Severity.HIGH, True),
        (Rule.PARTIAL, Severity.MEDIUM, True),
        (Rule.VALUE_MISMATCH, Severity.MEDIUM, True),
        (Rule.EVIDENCE_MISSING, Severity.LOW, True),
        (Rule.UNVERIFIED, Severity.LOW, True),
        (Rule.PROVENANCE, Severity.REVIEW, False),
    ],
    ids=lambda v: str(v),
)
def test_each_rule_has_its_weight_and_audience(rule: Rule, severity: Severity, visible: bool) -> None:
    drafts = [d for d in gaps(**everything()) if d.key.rule is rule]
    assert drafts
    assert {(d.severity, d.visible_to_district) for d in drafts} == {(severity, visible)}


def everything() -> dict[str, Any]:
    """A district evaluation where every rule fires at least once."""
    return {
        "site_item_claims": [
            item_claim(1, item="A"), item_claim(2, item="B"), item_claim(3, item="C", wants_photo=True),
            item_claim(4, item="D"), item_claim(5, item="E"), item_claim(6, site_id=11, item="A"),
        ],
        "findings": [finding(Result.NOT_MET, item="A"), finding(Result.PARTIAL, item="B"),
                     finding(Result.MET, item="C", photos=0), finding(Result.MET, item="E")],
        "outcomes": [outcome(Outcome.FOUND), outcome(Outcome.REFUSED, site_id=11)],
        "indicator_claims": [indicator_claim("92.5"), indicator_claim("12", claim_id=51, code="I19")],
        "verifications": [verification("83.0")],
        "photos": [photo(9, distance=900.0), photo(8)],
        "field_stage_closed": True,
    }


def test_reconciling_the_same_inputs_gives_the_same_sorted_gaps_without_duplicates() -> None:
    first, second = gaps(**everything()), gaps(**everything())
    assert first == second
    keys = [d.key for d in first]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    assert rules_by_subject(first) == {
        "claim:1": Rule.CONTRADICTED, "claim:2": Rule.PARTIAL, "claim:3": Rule.EVIDENCE_MISSING,
        "claim:4": Rule.UNVERIFIED, "site:11": Rule.SITE_NOT_FOUND, "indicator_claim:50": Rule.VALUE_MISMATCH,
        "indicator_claim:51": Rule.UNVERIFIED, "photo:9": Rule.PROVENANCE,
    }


@pytest.mark.parametrize(("subject", "parsed"), [("claim:123", ("claim", 123)), ("site:45", ("site", 45)),
                                                  ("photo:9", ("photo", 9)),
                                                  ("indicator_claim:7", ("indicator_claim", 7))],
                         ids=["claim", "site", "photo", "indicator-claim"])
def test_it_parses_subjects(subject: str, parsed: tuple[str, int]) -> None:
    assert parse_subject(subject) == parsed


@pytest.mark.parametrize("subject", ["claim:", "claim:x", "user:1", "123"], ids=["empty", "word", "kind", "bare"])
def test_it_rejects_malformed_subjects(subject: str) -> None:
    with pytest.raises(ValueError):
        parse_subject(subject)


# ---- stored gaps follow the drafts -----------------------------------------------------


def stored(drafts: list[GapDraft], statuses: dict[str, GapStatus] | None = None) -> list[ExistingGap]:
    """The gaps as stored after a first run, with some statuses (by subject) moved on since."""
    first = apply_changes([], plan_changes([], drafts))
    return [replace(g, status=(statuses or {}).get(g.key.subject, g.status)) for g in first]


def bucket_of(changes: GapChanges, key: GapKey) -> str:
    found = [name for name in ("open", "update", "reopen", "resolve", "orphan", "unchanged")
             if any((x.key if isinstance(x, GapDraft | ExistingGap) else x.gap.key) == key
                    for x in getattr(changes, name))]
    assert len(found) == 1, found
    return found[0]


BEFORE: dict[str, Any] = {
    "site_item_claims": [item_claim(1, item="A"), item_claim(2, item="B", wants_photo=True), item_claim(3, item="C"),
                         item_claim(4, site_id=11, item="A")],
    "findings": [finding(Result.NOT_MET, item="A"), finding(Result.MET, item="B", photos=0)],
    "outcomes": [outcome(Outcome.NOT_FOUND, site_id=11)],
    "indicator_claims": [indicator_claim("92.5")],
    "verifications": [verification("83.0")],
    "photos": [photo(9, distance=900.0)],
    "field_stage_closed": True,
}


def changed(**overrides: Any) -> dict[str, Any]:
    return BEFORE | overrides


@pytest.mark.parametrize(
    ("after", "key", "subject_exists", "expected"),
    [
        (changed(findings=[finding(Result.MET, item="A"), finding(Result.MET, item="B", photos=0)]),
         GapKey(Rule.CONTRADICTED, "claim:1"), True, "resolve"),
        (changed(findings=[finding(Result.NOT_MET, item="A"), finding(Result.MET, item="B", photos=2)]),
         GapKey(Rule.EVIDENCE_MISSING, "claim:2"), True, "resolve"),
        (changed(verifications=[verification("83.0"), verification("92.0", verification_id=2, at=NOW)]),
         GapKey(Rule.VALUE_MISMATCH, "indicator_claim:50"), True, "resolve"),
        (changed(indicator_claims=[indicator_claim("84.0")]),
         GapKey(Rule.VALUE_MISMATCH, "indicator_claim:50"), True, "resolve"),
        (changed(outcomes=[outcome(Outcome.NOT_FOUND, site_id=11),
                           outcome(Outcome.FOUND, site_id=11, visit_id=2, at=NOW)],
                 findings=BEFORE["findings"] + [finding(Result.MET, site_id=11, item="A", finding_id=200, at=NOW)]),
         GapKey(Rule.SITE_NOT_FOUND, "site:11"), True, "resolve"),
        (changed(findings=BEFORE["findings"] + [finding(Result.MET, item="C", finding_id=300)]),
         GapKey(Rule.UNVERIFIED, "claim:3"), True, "resolve"),
        (changed(photos=[photo(9, distance=150.0)]), GapKey(Rule.PROVENANCE, "photo:9"), True, "resolve"),
        (changed(site_item_claims=BEFORE["site_item_claims"][1:]), GapKey(Rule.CONTRADICTED, "claim:1"), False,
         "orphan"),
        (changed(photos=[]), GapKey(Rule.PROVENANCE, "photo:9"), False, "orphan"),
    ],
    ids=[
        "finding-changed-to-met",
        "photo-attached",
        "value-recounted",
        "claimed-value-corrected",
        "site-found-on-revisit",
        "finding-recorded-for-unverified-claim",
        "photo-location-corrected",
        "claim-withdrawn-after-its-gap-was-answered",
        "photo-deleted",
    ],
)
def test_each_way_a_gap_goes_away(after: dict[str, Any], key: GapKey, subject_exists: bool, expected: str) -> None:
    existing = [replace(g, status=GapStatus.RESPONDED, subject_exists=g.key != key or subject_exists)
                for g in stored(gaps(**BEFORE))]
    assert key in {g.key for g in existing}
    changes = plan_changes(existing, gaps(**after))
    assert bucket_of(changes, key) == expected
    assert (changes.open, changes.update, changes.reopen) == ([], [], [])
    assert len(changes.resolve) + len(changes.orphan) == 1  # every other gap is unchanged
    state = {g.key: g for g in apply_changes(existing, changes)}
    assert state[key].status is (GapStatus.RESOLVED if expected == "resolve" else GapStatus.ORPHANED)
    assert state[key].gap_id == {g.key: g for g in existing}[key].gap_id  # same gap, history kept


DRAFT = GapDraft(GapKey(Rule.CONTRADICTED, "claim:1"), Severity.HIGH, True, {"found": "not_met"}, 10, "I08")
NEWER = replace(DRAFT, facts={"found": "not_met", "mode": "video"})


@pytest.mark.parametrize(
    ("status", "drafts", "subject_exists", "expected", "status_after"),
    [
        (None, [DRAFT], True, "open", GapStatus.OPEN),
        (GapStatus.OPEN, [DRAFT], True, "unchanged", GapStatus.OPEN),
        (GapStatus.OPEN, [NEWER], True, "update", GapStatus.OPEN),
        (GapStatus.RESPONDED, [NEWER], True, "update", GapStatus.RESPONDED),
        (GapStatus.OPEN, [], True, "resolve", GapStatus.RESOLVED),
        (GapStatus.RESPONDED, [], True, "resolve", GapStatus.RESOLVED),
        (GapStatus.MORE_INFO, [], True, "resolve", GapStatus.RESOLVED),
        (GapStatus.REJECTED, [], True, "resolve", GapStatus.RESOLVED),
        (GapStatus.RESPONDED, [], False, "orphan", GapStatus.ORPHANED),
        (GapStatus.CLOSED, [DRAFT], True, "unchanged", GapStatus.CLOSED),
        (GapStatus.ACCEPTED, [DRAFT], True, "unchanged", GapStatus.ACCEPTED),
        (GapStatus.CLOSED, [NEWER], True, "update", GapStatus.CLOSED),
        (GapStatus.CLOSED, [], True, "unchanged", GapStatus.CLOSED),
        (GapStatus.CLOSED, [], False, "unchanged", GapStatus.CLOSED),
        (GapStatus.RESOLVED, [], True, "unchanged", GapStatus.RESOLVED),
        (GapStatus.RESOLVED, [DRAFT], True, "reopen", GapStatus.OPEN),
        (GapStatus.RESOLVED, [NEWER], True, "reopen", GapStatus.OPEN),
        (GapStatus.ORPHANED, [], False, "unchanged", GapStatus.ORPHANED),
    ],
    ids=[
        "new-key-opens",
        "same-facts-unchanged",
        "changed-facts-update",
        "changed-facts-keep-the-response-status",
        "open-cause-gone-resolves",
        "responded-cause-gone-resolves",
        "more-info-cause-gone-resolves",
        "rejected-cause-gone-resolves",
        "subject-deleted-orphans",
        "closed-stays-closed-on-identical-draft",
        "accepted-stays-accepted-on-identical-draft",
        "closed-follows-new-facts-but-stays-closed",
        "closed-stays-closed-when-cause-gone",
        "closed-stays-closed-when-subject-deleted",
        "resolved-stays-resolved",
        "resolved-reopens-when-cause-returns",
        "resolved-reopens-with-new-facts",
        "orphaned-stays-orphaned",
    ],
)
def test_it_plans_the_changes_to_stored_gaps(status: GapStatus | None, drafts: list[GapDraft], subject_exists: bool,
                                             expected: str, status_after: GapStatus) -> None:
    existing = [] if status is None else [ExistingGap(5, DRAFT.key, status, DRAFT.facts, subject_exists)]
    changes = plan_changes(existing, drafts)
    assert bucket_of(changes, DRAFT.key) == expected
    [after] = apply_changes(existing, changes)
    assert after.status is status_after
    assert after.facts == (drafts[0].facts if drafts else DRAFT.facts)
    if status is not None:
        assert after.gap_id == 5
    assert plan_changes(apply_changes(existing, changes), drafts).is_empty


@pytest.mark.parametrize(
    ("before", "after", "statuses"),
    [
        (BEFORE, BEFORE, {}),
        ({}, BEFORE, {}),
        (BEFORE, {}, {}),
        (BEFORE, changed(findings=[finding(Result.MET, item="A")], field_stage_closed=False), {
            "claim:1": GapStatus.RESPONDED, "claim:2": GapStatus.CLOSED, "site:11": GapStatus.MORE_INFO}),
        (BEFORE, changed(photos=[photo(9, reused=(11,))]), {"site:11": GapStatus.RESOLVED,
                                                            "photo:9": GapStatus.RESOLVED}),
    ],
    ids=["nothing-changed", "first-run", "everything-went-away", "mixed-statuses", "causes-return"],
)
def test_planning_again_after_applying_changes_nothing(before: dict[str, Any], after: dict[str, Any],
                                                       statuses: dict[str, GapStatus]) -> None:
    existing = stored(gaps(**before), statuses)
    drafts = gaps(**after)
    state = apply_changes(existing, plan_changes(existing, drafts))
    again = plan_changes(state, drafts)
    assert again.is_empty
    assert apply_changes(state, again) == state
    assert len({g.key for g in state}) == len(state)


def test_a_first_run_on_stored_gaps_never_duplicates_them() -> None:
    existing = stored(gaps(**BEFORE))
    changes = plan_changes(existing, gaps(**BEFORE))
    assert changes.is_empty and len(changes.unchanged) == len(existing)


def test_it_refuses_repeated_keys() -> None:
    with pytest.raises(ValueError):
        plan_changes([], [DRAFT, NEWER])
    with pytest.raises(ValueError):
        plan_changes([ExistingGap(1, DRAFT.key, GapStatus.OPEN, {}), ExistingGap(2, DRAFT.key, GapStatus.OPEN, {})], [])
