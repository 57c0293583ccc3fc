"""The pure rules of visits, as tables."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from fieldvisit.accounts.domain import Role
from fieldvisit.visits import domain
from fieldvisit.visits.domain import Position, Progress, SaveDecision, StoredSave, VisitState

PUSPAGA = (-6.1783, 106.6319)


@pytest.mark.parametrize(("a", "b", "metres"), [
    (PUSPAGA, PUSPAGA, 0.0),
    ((0.0, 0.0), (0.0, 1.0), 111_195.0),  # one degree of longitude on the equator
    ((0.0, 0.0), (1.0, 0.0), 111_195.0),
    (PUSPAGA, (-6.1783, 106.6329), 110.5),  # 0.001 degree east at 6 degrees south
    (PUSPAGA, (-6.1200, 106.1503), 53_600.0),  # Tangerang's Puspaga to Serang's
])
def test_haversine_distance_in_metres(a, b, metres):
    assert domain.haversine_m(*a, *b) == pytest.approx(metres, rel=0.005, abs=0.5)


@pytest.mark.parametrize(("lat", "lon", "acc", "expected"), [
    ("-6.1783", "106.6319", "12.5", Position(-6.1783, 106.6319, 12.5)),
    ("-6.1783", "106.6319", "", Position(-6.1783, 106.6319, None)),
    ("-6.1783", "106.6319", "-3", Position(-6.1783, 106.6319, None)),
    ("-6.1783", "106.6319", "nan", Position(-6.1783, 106.6319, None)),
    ("", "", "", None),  # no JavaScript or no permission
    ("abc", "106", "", None),
    ("91", "106", "", None),
    ("-6", "181", "", None),
    ("nan", "106", "", None),
    ("inf", "106", "", None),
])
def test_the_browser_position_is_read_or_left_out(lat, lon, acc, expected):
    assert domain.parse_position(lat, lon, acc) == expected


@pytest.mark.parametrize(("site", "position", "expected"), [
    (PUSPAGA, Position(-6.1783, 106.6329, 10), 110.5),
    (PUSPAGA, None, None),
    ((None, None), Position(-6.1783, 106.6329, 10), None),
])
def test_check_in_distance_needs_both_points(site, position, expected):
    got = domain.check_in_distance(site[0], site[1], position)
    assert got == (pytest.approx(expected, abs=0.5) if expected is not None else None)


DIGEST = domain.content_hash("PUSPAGA-01", "met", "")


@pytest.mark.parametrize(("stored", "decision"), [
    (None, SaveDecision.NEW),
    (StoredSave(1, "PUSPAGA-01", DIGEST), SaveDecision.REPLAY),
    (StoredSave(1, "PUSPAGA-01", domain.content_hash("PUSPAGA-01", "not_met", "")), SaveDecision.CONFLICT),
    (StoredSave(1, "PUSPAGA-02", DIGEST), SaveDecision.CONFLICT),  # the UUID named another item
    (StoredSave(2, "PUSPAGA-01", DIGEST), SaveDecision.CONFLICT),  # ... or another visit
])
def test_a_uuid_names_one_save(stored, decision):
    assert domain.decide_save(stored, visit_id=1, item_code="PUSPAGA-01", digest=DIGEST) is decision


def test_the_content_hash_covers_item_result_and_note():
    hashes = {domain.content_hash(*args) for args in [
        ("A", "met", ""), ("B", "met", ""), ("A", "partial", ""), ("A", "met", "x"), ("A", "met\x1fx", "")]}
    assert len(hashes) == 5


@pytest.mark.parametrize(("latest", "expected"), [(None, 1), (1, 2), (7, 8)])
def test_versions_count_up(latest, expected):
    assert domain.next_version(latest) == expected


def test_the_next_uuid_is_stable_per_save_and_user_and_differs_between_users():
    saved = uuid.UUID("00000000-0000-4000-8000-000000000001")
    assert domain.next_client_uuid(saved, 1) == domain.next_client_uuid(saved, 1)
    assert domain.next_client_uuid(saved, 1) != domain.next_client_uuid(saved, 2)
    assert domain.next_client_uuid(saved, 1) != saved


@pytest.mark.parametrize(("outcome", "ends"), [
    ("found", False), ("closed", True), ("not_found", True), ("refused", True), (None, False)])
def test_the_three_site_absent_outcomes_end_the_checklist(outcome, ends):
    assert domain.ends_checklist(outcome) is ends


@pytest.mark.parametrize(("state", "blocked"), [
    (VisitState(checked_in=False, outcome=None), True),
    (VisitState(checked_in=True, outcome=None), True),
    (VisitState(checked_in=True, outcome="found"), False),
    (VisitState(checked_in=True, outcome="found", submitted=True), False),  # a new version after submit
    (VisitState(checked_in=True, outcome="closed"), True),
    (VisitState(checked_in=True, outcome="not_found"), True),
    (VisitState(checked_in=True, outcome="refused"), True),
])
def test_findings_are_recorded_only_on_a_checked_in_visit_to_a_found_site(state, blocked):
    assert (domain.finding_problem(state) is not None) is blocked


def test_progress_counts_answered_items_of_the_checklist_only():
    assert domain.progress(["A", "B", "C"], {"A", "C", "X"}) == Progress(2, 3)
    assert domain.progress(["A"], {"A"}).complete
    assert not domain.progress(["A", "B"], set()).complete


@pytest.mark.parametrize(("state", "done", "problems"), [
    (VisitState(False, None), Progress(0, 3), 1),
    (VisitState(True, None), Progress(0, 3), 1),
    (VisitState(True, "found"), Progress(2, 3), 1),
    (VisitState(True, "found"), Progress(3, 3), 0),
    (VisitState(True, "not_found"), Progress(0, 3), 0),
    (VisitState(True, "refused"), Progress(0, 3), 0),
])
def test_a_visit_is_submitted_once_checked_in_with_an_outcome_and_every_item_if_found(state, done, problems):
    assert len(domain.submit_problems(state, done)) == problems


@pytest.mark.parametrize(("role", "records", "gps"), [
    (Role.ADMIN, True, True), (Role.VERIFIER, True, True), (Role.NOTETAKER, False, False),
    (Role.DISTRICT, False, False)])
def test_who_records_and_who_sees_the_check_in_position(role, records, gps):
    assert domain.may_record(role) is records
    assert domain.may_see_gps(role) is gps


@pytest.mark.parametrize(("now", "offset", "today"), [
    (datetime(2025, 7, 14, 16, 59, tzinfo=UTC), "+07:00", date(2025, 7, 14)),
    (datetime(2025, 7, 14, 17, 0, tzinfo=UTC), "+07:00", date(2025, 7, 15)),  # midnight WIB
    (datetime(2025, 7, 14, 16, 0, tzinfo=UTC), "+08:00", date(2025, 7, 15)),  # WITA
    (datetime(2025, 7, 14, 15, 0, tzinfo=UTC), "+09:00", date(2025, 7, 15)),  # WIT
    (datetime(2025, 7, 14, 15, 0, tzinfo=UTC), "garbage", date(2025, 7, 14)),  # falls back to WIB
])
def test_today_is_the_districts_day(now, offset, today):
    assert domain.local_today(now, offset) == today


@pytest.mark.parametrize(("planned", "bucket"), [
    (date(2025, 7, 14), "today"), (date(2025, 7, 15), "upcoming"), (date(2025, 9, 1), "upcoming"),
    (date(2025, 7, 13), "recent"), (date(2025, 6, 30), "recent"), (date(2025, 6, 29), None)])
def test_the_verifiers_day_buckets(planned, bucket):
    assert domain.day_bucket(planned, date(2025, 7, 14)) == bucket


def test_maps_links_open_the_phones_maps_app_with_a_web_fallback():
    links = domain.maps_links(-6.1783, 106.6319, "Puspaga (Kota) Tangerang & co")
    assert links is not None
    assert links.geo == "geo:-6.178300,106.631900?q=-6.178300,106.631900(Puspaga%20%20Kota%20%20Tangerang%20%26%20co)"
    assert links.web.startswith("https://www.openstreetmap.org/?mlat=-6.178300&mlon=106.631900")
    assert domain.maps_links(None, 106.6, "x") is None


def test_a_plan_takes_only_the_districts_sites_and_the_evaluations_verifiers():
    assert domain.plan_problems([1, 2], {1, 2, 3}, [7], {7, 8}) == {}
    assert set(domain.plan_problems([1, 9], {1, 2}, [7], {7})) == {"site"}
    assert set(domain.plan_problems([1], {1}, [], {7})) == {"team"}
    assert set(domain.plan_problems([1], {1}, [5], {7})) == {"team"}


@pytest.mark.parametrize(("mode", "located", "may_see_location", "expected"), [
    ("kunjungan", True, True, "located"),
    ("kunjungan", False, True, "unlocated"),
    ("kunjungan", True, False, "on_site"),
    ("kunjungan", False, False, "on_site"),
    ("video", False, True, "video"),
    ("video", True, False, "video"),
])
def test_an_export_says_how_a_finding_was_made_and_a_location_only_to_those_who_see_gps(
        mode, located, may_see_location, expected):
    assert domain.provenance(mode, located, may_see_location=may_see_location) == expected
