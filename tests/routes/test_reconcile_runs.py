"""Reconciliation runs against the database: the loader, the writes, their timeline and audit,
idempotence and overlapping runs (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.gaps.tables import Gap, GapEvent, ReconcileState
from fieldvisit.reconcile import queries
from tests.support import World, make_evaluation, make_round, make_site_item_claim
from tests.support_reconcile import (
    T0,
    another_site,
    as_user,
    make_finding,
    make_photo,
    make_tolerance,
    make_verification,
    make_visit,
    set_stage,
    tangerang_771,
)

NOW = T0 + timedelta(hours=6)


async def gaps_of(evaluation_id: int) -> dict[tuple[str, str], dict]:
    rows = await Gap.select().where(Gap.district_evaluation == evaluation_id)
    assert len({(r["rule"], r["subject"]) for r in rows}) == len(rows), "a gap is duplicated"
    for r in rows:
        r["facts"] = json.loads(r["facts"]) if isinstance(r["facts"], str) else r["facts"]
    return {(r["rule"], r["subject"]): r for r in rows}


async def test_a_first_run_opens_one_gap_per_cause_with_its_timeline_and_due_date(world: World):
    example = await tangerang_771(world)
    counts = await queries.reconcile_evaluation(example.evaluation_id, now=NOW)

    gaps = await gaps_of(example.evaluation_id)
    contradicted = gaps[("contradicted", f"claim:{example.item_claims[3]}")]
    partial = gaps[("partial", f"claim:{example.item_claims[2]}")]
    mismatch = gaps[("value_mismatch", f"indicator_claim:{example.claims['I04']}")]
    assert set(gaps) == {("contradicted", contradicted["subject"]), ("partial", partial["subject"]),
                         ("value_mismatch", mismatch["subject"])}
    assert counts.opened == 3 and counts.changed == 3
    assert contradicted["facts"] == {"item_code": "PUSPAGA-08", "claimed": "met", "found": "not_met", "mode": "on_site"}
    assert (contradicted["severity"], contradicted["status"], contradicted["indicator_code"]) == ("high", "open", "I08")
    assert contradicted["site"] == example.site_id
    assert mismatch["facts"]["vf"] == "0.8973" and mismatch["indicator_code"] == "I04"
    # due 14 days (the round's default) after today in Tangerang (WIB)
    assert contradicted["due_on"] == date(2025, 5, 28)
    events = await GapEvent.select().where(GapEvent.gap == contradicted["id"])
    assert [(e["kind"], e["status_after"], e["actor"]) for e in events] == [("opened", "open", None)]


async def test_reconciling_twice_changes_nothing(world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    before = await gaps_of(example.evaluation_id)
    events = await GapEvent.count()

    again = await queries.reconcile_evaluation(example.evaluation_id, now=NOW + timedelta(minutes=5))

    assert again.changed == 0 and again.unchanged == 3
    assert await gaps_of(example.evaluation_id) == before
    assert await GapEvent.count() == events


async def test_two_runs_at_once_give_one_result_and_never_duplicate_a_gap(world: World):
    example = await tangerang_771(world)
    first, second = await asyncio.gather(
        queries.reconcile_evaluation(example.evaluation_id, now=NOW),
        queries.reconcile_evaluation(example.evaluation_id, now=NOW))

    assert sorted([first.opened, second.opened]) == [0, 3]
    assert len(await gaps_of(example.evaluation_id)) == 3
    assert await GapEvent.count() == 3


async def test_many_overlapping_runs_over_several_evaluations_stay_consistent(world: World):
    example = await tangerang_771(world)
    serang_claim = await make_site_item_claim(world.serang_evaluation, world.serang_site, "PUSPAGA-02")
    visit = await make_visit(world.serang_evaluation, world.serang_site)
    await make_finding(visit, "PUSPAGA-02", "not_met", saved_by=world.admin.id)
    runs = [queries.reconcile_evaluation(e, now=NOW) for e in
            [example.evaluation_id, world.serang_evaluation] * 3]
    results = await asyncio.gather(*runs)

    assert sum(r.opened for r in results) == 4
    assert set(await gaps_of(world.serang_evaluation)) == {("contradicted", f"claim:{serang_claim}")}
    assert await ReconcileState.count() == 2


async def test_a_run_records_one_audit_event_with_its_counts_and_its_state(world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW, actor=as_user(world.verifier))

    [event] = await AuditEvent.select().where(AuditEvent.action == "reconcile.run")
    after = json.loads(event["after"]) if isinstance(event["after"], str) else event["after"]
    assert after["opened"] == 3 and event["actor"] == world.verifier.id
    assert event["object_id"] == str(example.evaluation_id) and event["district"] == world.regions["36.71"]
    opened = await GapEvent.select(GapEvent.actor).where(GapEvent.kind == "opened")
    assert {e["actor"] for e in opened} == {world.verifier.id}
    state = await ReconcileState.select().where(ReconcileState.district_evaluation == example.evaluation_id).first()
    assert state["last_run_at"] == NOW


async def test_a_finding_changed_to_met_resolves_its_gap_and_a_relapse_reopens_it(world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    subject = ("contradicted", f"claim:{example.item_claims[3]}")

    await make_finding(example.visit_id, "PUSPAGA-08", "met", saved_by=world.verifier.id, version=2,
                       saved_at=NOW - timedelta(minutes=1))
    counts = await queries.reconcile_evaluation(example.evaluation_id, now=NOW + timedelta(minutes=1))
    gap = (await gaps_of(example.evaluation_id))[subject]
    assert counts.resolved == 1 and gap["status"] == "resolved" and gap["settled_at"] is not None

    await make_finding(example.visit_id, "PUSPAGA-08", "not_met", saved_by=world.verifier.id, version=3,
                       saved_at=NOW + timedelta(minutes=2))
    counts = await queries.reconcile_evaluation(example.evaluation_id, now=NOW + timedelta(minutes=3))
    again = (await gaps_of(example.evaluation_id))[subject]
    assert counts.reopened == 1 and again["id"] == gap["id"] and again["status"] == "open"
    assert again["settled_at"] is None
    kinds = [e["kind"] for e in await GapEvent.select(GapEvent.kind).where(GapEvent.gap == gap["id"]).order_by(
        GapEvent.id)]
    assert kinds == ["opened", "resolved", "reopened"]


async def test_a_claim_withdrawn_after_its_gap_was_answered_keeps_the_gap_orphaned_with_history(world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    subject = ("contradicted", f"claim:{example.item_claims[3]}")
    gap_id = (await gaps_of(example.evaluation_id))[subject]["id"]
    await Gap.update({Gap.status: "responded"}).where(Gap.id == gap_id)
    await GapEvent.insert(GapEvent(gap=gap_id, actor=world.tangerang.id, kind="responded", text="Sudah ada.",
                                   status_before="open", status_after="responded"))
    await SiteItemClaim.update({SiteItemClaim.deleted_at: NOW}).where(SiteItemClaim.id == example.item_claims[3])

    counts = await queries.reconcile_evaluation(example.evaluation_id, now=NOW + timedelta(minutes=1))

    gap = (await gaps_of(example.evaluation_id))[subject]
    assert counts.orphaned == 1 and gap["status"] == "orphaned" and gap["id"] == gap_id
    kinds = [e["kind"] for e in await GapEvent.select(GapEvent.kind).where(GapEvent.gap == gap_id).order_by(
        GapEvent.id)]
    assert kinds == ["opened", "responded", "orphaned"]


async def test_a_withdrawn_indicator_claim_orphans_its_value_gap(world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    await IndicatorClaim.update({IndicatorClaim.deleted_at: NOW}).where(IndicatorClaim.id == example.claims["I04"])
    counts = await queries.reconcile_evaluation(example.evaluation_id, now=NOW + timedelta(minutes=1))
    assert counts.orphaned == 1


async def test_the_latest_saved_visit_of_a_site_decides_and_its_highest_version_counts(world: World):
    example = await tangerang_771(world)
    # A revisit finds the contradicted item met after all: the later visit wins.
    revisit = await make_visit(example.evaluation_id, example.site_id, checked_in_at=NOW - timedelta(hours=1),
                               submitted_at=NOW - timedelta(minutes=30))
    await make_finding(revisit, "PUSPAGA-08", "partial", saved_by=world.verifier.id,
                       saved_at=NOW - timedelta(minutes=50))
    await make_finding(revisit, "PUSPAGA-08", "met", saved_by=world.verifier.id, version=2,
                       saved_at=NOW - timedelta(minutes=40))
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    rules = {rule for rule, _subject in await gaps_of(example.evaluation_id)}
    assert rules == {"partial", "value_mismatch"}
    loaded = await queries.load_evaluation(example.evaluation_id)
    [current] = [f for f in loaded.inputs.findings if f.item_code == "PUSPAGA-08"]
    assert current.result == "met"


async def test_evidence_missing_counts_the_photos_of_the_current_findings_visit(world: World):
    example = await tangerang_771(world)
    # PUSPAGA-14 wants a photo; found met on the first visit with a photo, then met again
    # on a revisit without one: the revisit decides.
    claim = await make_site_item_claim(example.evaluation_id, example.site_id, "PUSPAGA-14")
    await make_finding(example.visit_id, "PUSPAGA-14", "met", saved_by=world.verifier.id)
    await make_photo(example.visit_id, uploaded_by=world.verifier.id, item="PUSPAGA-14")
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    assert ("evidence_missing", f"claim:{claim}") not in await gaps_of(example.evaluation_id)

    revisit = await make_visit(example.evaluation_id, example.site_id, checked_in_at=NOW - timedelta(hours=1),
                               submitted_at=None, status="in_progress")
    await make_finding(revisit, "PUSPAGA-14", "met", saved_by=world.verifier.id, saved_at=NOW - timedelta(minutes=5))
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    assert ("evidence_missing", f"claim:{claim}") in await gaps_of(example.evaluation_id)


async def test_the_latest_outcome_of_a_site_raises_one_site_gap(world: World):
    example = await tangerang_771(world)
    closed = await another_site(world)
    claim = await make_site_item_claim(example.evaluation_id, closed, "PUSPAGA-02")
    await make_visit(example.evaluation_id, closed, outcome="closed", status="in_progress", submitted_at=None)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)

    gaps = await gaps_of(example.evaluation_id)
    site_gap = gaps[("site_not_found", f"site:{closed}")]
    assert site_gap["facts"] == {"outcome": "closed", "item_claims": 1}
    assert site_gap["indicator_code"] == "I08"  # the Puspaga's indicator, for the dashboard
    assert not any(subject == f"claim:{claim}" for _rule, subject in gaps)


async def test_unverified_claims_appear_once_the_field_stage_closes(world: World):
    example = await tangerang_771(world, verify=False)
    unvisited = await make_site_item_claim(example.evaluation_id, await another_site(world), "PUSPAGA-02")
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    assert ("unverified", f"claim:{unvisited}") not in await gaps_of(example.evaluation_id)

    await set_stage(example.evaluation_id, "verifikasi_final")
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW + timedelta(minutes=1))
    gaps = await gaps_of(example.evaluation_id)
    assert ("unverified", f"claim:{unvisited}") in gaps
    assert ("unverified", f"indicator_claim:{example.claims['I04']}") in gaps


async def test_the_current_verification_and_the_rounds_tolerance_decide_a_value_mismatch(world: World):
    example = await tangerang_771(world)
    await make_tolerance(world.round_id, "I04", "0.85", "1.15")
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    assert not any(rule == "value_mismatch" for rule, _s in await gaps_of(example.evaluation_id))

    await make_verification(example.evaluation_id, "I04", "70", verified_by=world.verifier.id, version=2,
                            verified_at=NOW - timedelta(minutes=1))
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)
    gap = (await gaps_of(example.evaluation_id))[("value_mismatch", f"indicator_claim:{example.claims['I04']}")]
    assert gap["facts"]["verified_value"] == "70" and gap["facts"]["tolerance_low"] == "0.85"


async def test_a_photo_used_at_another_site_of_the_round_is_a_provenance_gap_for_verifiers_only(world: World):
    example = await tangerang_771(world)
    sha = "ab" * 32
    mine = await make_photo(example.visit_id, uploaded_by=world.verifier.id, sha256=sha)
    other_site = await another_site(world)
    other_visit = await make_visit(example.evaluation_id, other_site)
    await make_photo(other_visit, uploaded_by=world.verifier.id, sha256=sha)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)

    gap = (await gaps_of(example.evaluation_id))[("provenance", f"photo:{mine}")]
    assert gap["facts"]["reasons"] == ["reused"] and gap["facts"]["reused_at_site_ids"] == [other_site]
    assert gap["visible_to_district"] is False and gap["due_on"] is None and gap["severity"] == "review"


async def test_a_near_identical_photo_counts_as_reused_but_not_one_from_another_round(world: World):
    example = await tangerang_771(world)
    mine = await make_photo(example.visit_id, uploaded_by=world.verifier.id, phash="f0f0f0f0f0f0f0f0")
    serang_visit = await make_visit(world.serang_evaluation, world.serang_site)
    await make_photo(serang_visit, uploaded_by=world.admin.id, phash="f0f0f0f0f0f0f0f3")  # 2 bits apart
    other_round = await make_evaluation(await make_round("KLA 2024", 2024), world.regions["36.73"])
    old_visit = await make_visit(other_round, world.serang_site)
    old = await make_photo(old_visit, uploaded_by=world.admin.id, phash="0f0f0f0f0f0f0f0f", sha256="cd" * 32)
    also_mine = await make_photo(example.visit_id, uploaded_by=world.verifier.id, phash="0f0f0f0f0f0f0f0f",
                                 sha256="cd" * 32)
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)

    gaps = await gaps_of(example.evaluation_id)
    assert gaps[("provenance", f"photo:{mine}")]["facts"]["reused_at_site_ids"] == [world.serang_site]
    assert ("provenance", f"photo:{also_mine}") not in gaps, "a photo of the 2024 round is not a reuse in 2025"
    assert old


async def test_photos_outside_the_window_or_far_away_are_flagged_and_video_has_no_distance(world: World):
    example = await tangerang_771(world)
    late = await make_photo(example.visit_id, uploaded_by=world.verifier.id, taken_at=T0 + timedelta(hours=5))
    far = await make_photo(example.visit_id, uploaded_by=world.verifier.id, distance_m=450.0)
    video_visit = await make_visit(example.evaluation_id, example.site_id, mode="video")
    on_video = await make_photo(video_visit, uploaded_by=world.verifier.id, distance_m=9000.0, source="video")
    await queries.reconcile_evaluation(example.evaluation_id, now=NOW)

    gaps = await gaps_of(example.evaluation_id)
    assert gaps[("provenance", f"photo:{late}")]["facts"]["reasons"] == ["outside_window"]
    assert gaps[("provenance", f"photo:{far}")]["facts"]["reasons"] == ["too_far"]
    assert ("provenance", f"photo:{on_video}") not in gaps


async def test_a_national_run_finds_the_same_reused_photos_as_one_district_run(world: World):
    example = await tangerang_771(world)
    mine = await make_photo(example.visit_id, uploaded_by=world.verifier.id, phash="f0f0f0f0f0f0f0f0")
    same_bytes = await make_photo(example.visit_id, uploaded_by=world.verifier.id, sha256="12" * 32)
    serang_visit = await make_visit(world.serang_evaluation, world.serang_site)
    await make_photo(serang_visit, uploaded_by=world.admin.id, phash="f0f0f0f0f0f0f0f3")  # 2 bits apart
    await make_photo(serang_visit, uploaded_by=world.admin.id, phash="0f0f0f0f0f0f0f0f")  # unrelated
    await make_photo(serang_visit, uploaded_by=world.admin.id, sha256="12" * 32)
    one = await queries.load_evaluation(example.evaluation_id)
    national = await queries.round_reuse(world.round_id)
    per_district = {p.photo_id: set(p.reused_at_site_ids) for p in one.inputs.photos if p.reused_at_site_ids}
    assert per_district == {mine: {world.serang_site}, same_bytes: {world.serang_site}}
    assert {k: v for k, v in national.items() if k in per_district} == per_district
    counts = await queries.reconcile_round(world.round_id, now=NOW)
    assert counts[example.evaluation_id].opened == 5  # the example's three, and two provenance gaps
