"""Visits as the verifier lives them: plan, home, check in, outcome, checklist, submit.
Runs on SQLite and on PostgreSQL (FIELDVISIT_TEST_DB=postgres)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.visits import queries
from fieldvisit.visits.tables import Finding, Visit, VisitMember
from tests.support import World, make_site, make_site_item_claim, make_visit

PUSPAGA_ITEMS = 14
HTMX = {"HX-Request": "true"}


async def found_visit(world: World, **values) -> int:
    """Today's visit to Tangerang's Puspaga, checked in, the site found."""
    return await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id],
                            checked_in=True, outcome="found", **values)


def finding(result: str = "met", note: str = "", client_uuid: uuid.UUID | None = None) -> dict[str, str]:
    return {"client_uuid": str(client_uuid or uuid.uuid4()), "result": result, "note": note}


async def versions(visit_id: int, item: str) -> list[dict]:
    return await Finding.select().where((Finding.visit == visit_id) & (Finding.item_code == item)).order_by(
        Finding.version)


async def audit_actions(action: str) -> list[dict]:
    return await AuditEvent.select(AuditEvent.action, AuditEvent.object_id, AuditEvent.district,
                                   AuditEvent.after).where(AuditEvent.action == action)


# --- planning -----------------------------------------------------------------------------------


async def test_a_verifier_plans_several_sites_for_one_day_in_one_go(client, world: World):
    school = await make_site(world.regions["36.71"], "20603001", "SD Negeri 1 Tangerang", "SRA")
    park = await make_site(world.regions["36.71"], "RBRA-01", "Taman Potret", "RBRA")
    await client.sign_in_as(world.verifier)
    page = await client.get(f"/evaluations/{world.tangerang_evaluation}/visits")
    assert page.status_code == 200 and "SD Negeri 1 Tangerang" in page.text

    response = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/visits", {
        "planned_on": "2025-07-14", "mode": "kunjungan", "site": [str(world.tangerang_site), str(school), str(park)]})

    assert response.status_code == 303
    assert response.headers["location"] == f"/evaluations/{world.tangerang_evaluation}/visits?planned=3"
    visits = await Visit.select().where(Visit.district_evaluation == world.tangerang_evaluation)
    assert {v["site"] for v in visits} == {world.tangerang_site, school, park}
    assert {v["planned_on"] for v in visits} == {date(2025, 7, 14)} and {v["status"] for v in visits} == {"planned"}
    members = await VisitMember.select(VisitMember.user).where(VisitMember.visit.is_in([v["id"] for v in visits]))
    assert [m["user"] for m in members] == [world.verifier.id] * 3  # the planner, by default
    assert len(await audit_actions("visits.plan")) == 3


async def test_planning_the_same_site_and_day_again_does_not_double_it(client, world: World):
    await client.sign_in_as(world.admin)
    form = {"planned_on": "2025-07-14", "mode": "kunjungan", "site": str(world.tangerang_site),
            "team": str(world.verifier.id)}
    await client.post_form(f"/evaluations/{world.tangerang_evaluation}/visits", form)
    again = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/visits", form)
    assert again.headers["location"].endswith("?planned=0&skipped=1")
    assert await Visit.count() == 1


async def test_an_admin_plans_a_video_visit_with_the_team_it_chooses(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/visits", {
        "planned_on": "2025-07-15", "mode": "video", "site": str(world.tangerang_site), "team": str(world.verifier.id)})
    assert response.status_code == 303
    visit = await Visit.select().first()
    assert visit["mode"] == "video" and visit["created_by"] == world.admin.id
    page = await client.get(response.headers["location"])
    assert "1 kunjungan direncanakan." in page.text and "Puspaga Kota Tangerang" in page.text


@pytest.mark.parametrize(("form", "field_message"), [
    ({"planned_on": "", "mode": "kunjungan"}, "Masukkan tanggal kunjungan"),
    ({"planned_on": "2025-07-14", "mode": "boat"}, "Pilih kunjungan lapangan atau video"),
    ({"planned_on": "2025-07-14", "mode": "kunjungan", "no_site": True}, "Pilih setidaknya satu lokasi"),
    ({"planned_on": "2025-07-14", "mode": "kunjungan", "serang_site": True}, "Pilih lokasi kab/kota ini"),
    ({"planned_on": "2025-07-14", "mode": "kunjungan", "team": "notetaker"}, "hanya boleh berisi verifikator"),
])
async def test_the_plan_form_explains_what_is_wrong(client, world: World, form, field_message):
    await client.sign_in_as(world.admin)
    data = {"planned_on": form["planned_on"], "mode": form["mode"], "site": str(world.tangerang_site),
            "team": str(world.verifier.id)}
    if form.get("no_site"):
        del data["site"]
    if form.get("serang_site"):
        data["site"] = str(world.serang_site)
    if form.get("team") == "notetaker":
        data["team"] = str(world.notetaker.id)
    response = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/visits", data)
    assert response.status_code == 422
    assert field_message in response.text and 'id="error-summary"' in response.text
    assert await Visit.count() == 0


@pytest.mark.parametrize("persona", ["notetaker", "tangerang"])
async def test_note_takers_and_district_staff_see_the_visits_but_cannot_plan(client, world: World, persona):
    await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.personas[persona])
    page = await client.get(f"/evaluations/{world.tangerang_evaluation}/visits")
    assert page.status_code == 200 and "Puspaga Kota Tangerang" in page.text
    assert "Rencanakan kunjungan" not in page.text
    refused = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/visits", {
        "planned_on": "2025-07-14", "mode": "kunjungan", "site": str(world.tangerang_site)})
    assert refused.status_code == 403
    assert await Visit.count() == 1


# --- the verifier's home ----------------------------------------------------------------------------


async def test_the_verifier_home_lists_today_upcoming_and_recent_visits_with_map_links(client, world: World):
    today = datetime.now(UTC).astimezone(__import__("datetime").timezone(timedelta(hours=7))).date()
    school = await make_site(world.regions["36.71"], "20603001", "SD Negeri 1 Tangerang", "SRA",
                             latitude=-6.17, longitude=106.64, address="Jl. Daan Mogot 10")
    park = await make_site(world.regions["36.71"], "RBRA-01", "Taman Potret", "RBRA")
    old = await make_site(world.regions["36.71"], "OLD", "Lokasi Lama", "RBRA")
    for site, day in ((world.tangerang_site, today), (school, today + timedelta(days=3)),
                      (park, today - timedelta(days=2)), (old, today - timedelta(days=40))):
        await make_visit(world.tangerang_evaluation, site, team=[world.verifier.id], planned_on=day)
    await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.admin.id], planned_on=today)

    await client.sign_in_as(world.verifier)
    home = await client.get("/")

    text = home.text
    assert text.index("Hari ini") < text.index("Puspaga Kota Tangerang") < text.index("Akan datang") \
        < text.index("SD Negeri 1 Tangerang") < text.index("Terakhir") < text.index("Taman Potret")
    assert "Lokasi Lama" not in text
    assert text.count("Puspaga Kota Tangerang") == 1  # the admin's visit is not the verifier's
    assert "Jl. Satria Sudirman No. 1" in text and "Jl. Daan Mogot 10" in text
    assert 'href="geo:-6.178300,106.631900?q=-6.178300,106.631900(Puspaga%20Kota%20Tangerang)"' in text
    assert 'href="https://www.openstreetmap.org/?mlat=-6.178300&amp;mlon=106.631900#map=18/-6.178300/106.631900"' in text
    assert f'href="/evaluations/{world.tangerang_evaluation}/visits"' in text  # plan visits


# --- the visit page -------------------------------------------------------------------------------


async def test_the_visit_page_shows_the_site_its_claims_and_the_checklist(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    page = await client.get(f"/visits/{visit}")
    assert page.status_code == 200
    text = page.text
    assert "Puspaga Kota Tangerang" in text and "Jl. Satria Sudirman No. 1" in text and "PSPG-01" in text
    assert "Diklaim terpenuhi" in text and 'href="#item-PUSPAGA-02"' in text  # the district's claim
    assert len(re.findall(r'<section class="item', text)) == PUSPAGA_ITEMS
    assert f"0 dari {PUSPAGA_ITEMS} butir tercatat" in text
    assert 'name="client_uuid"' in text and 'hx-post="/visits/' in text
    assert "geo:-6.178300,106.631900" in text


async def test_a_school_checklist_is_grouped_by_its_six_components(client, world: World):
    school = await make_site(world.regions["36.71"], "20603001", "SD Negeri 1 Tangerang", "SRA")
    visit = await make_visit(world.tangerang_evaluation, school, team=[world.verifier.id], checked_in=True,
                             outcome="found")
    await client.sign_in_as(world.verifier)
    text = (await client.get(f"/visits/{visit}")).text
    headings = re.findall(r'<h3 class="component">(C\d)', text)
    assert headings == ["C1", "C2", "C3", "C4", "C5", "C6"]
    assert "0 dari 28 butir tercatat" in text


@pytest.mark.parametrize("persona", ["notetaker", "tangerang"])
async def test_note_takers_and_district_staff_see_the_visit_read_only_without_the_position(client, world: World,
                                                                                         persona):
    visit = await found_visit(world, check_in_latitude=-6.1784, check_in_longitude=106.6320,
                              check_in_distance_m=15.2)
    await make_finding_row(visit, world, "PUSPAGA-01", "partial", "Ruang kecil")
    await client.sign_in_as(world.personas[persona])
    page = await client.get(f"/visits/{visit}")
    assert page.status_code == 200
    assert "Sebagian" in page.text and "Ruang kecil" in page.text
    assert "<form" not in page.text.split('<main id="main">')[1].split("</main>")[0]
    assert "15 m dari lokasi" not in page.text and "-6.1784" not in page.text


async def test_the_verifier_sees_the_check_in_distance(client, world: World):
    visit = await found_visit(world, check_in_latitude=-6.1784, check_in_longitude=106.6320,
                              check_in_accuracy_m=8.0, check_in_distance_m=15.2)
    await client.sign_in_as(world.verifier)
    text = (await client.get(f"/visits/{visit}")).text
    assert "15 m dari lokasi" in text and "akurasi ±8 m" in text and "badge ok\">di lokasi<" in text


async def test_serang_staff_and_an_unassigned_verifier_get_404(client, make_client, world: World):
    visit = await found_visit(world)
    serang_visit = await make_visit(world.serang_evaluation, world.serang_site, checked_in=True, outcome="found")
    await client.sign_in_as(world.serang)
    assert (await client.get(f"/visits/{visit}")).status_code == 404
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        assert (await verifier.get(f"/visits/{serang_visit}")).status_code == 404
        response = await verifier.post_form(f"/visits/{serang_visit}/items/PUSPAGA-01", finding(), headers=HTMX)
        assert response.status_code == 404
    assert await Finding.count() == 0


async def make_finding_row(visit: int, world: World, item: str, result: str, note: str = "", version: int = 1):
    from fieldvisit.visits import domain

    await Finding.insert(Finding(visit=visit, site=world.tangerang_site, district_evaluation=world.tangerang_evaluation,
                                 item_code=item, version=version, client_uuid=uuid.uuid4(), result=result, note=note,
                                 content_hash=domain.content_hash(item, result, note), saved_by=world.verifier.id))


# --- check-in -----------------------------------------------------------------------------------------


async def test_a_check_in_records_the_time_the_position_and_the_distance_to_the_site(client, world: World):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.verifier)
    before = datetime.now(UTC)
    response = await client.post_form(f"/visits/{visit}/check-in",
                                      {"latitude": "-6.1783", "longitude": "106.6329", "accuracy": "9.5"})
    assert response.status_code == 303 and response.headers["location"] == f"/visits/{visit}#outcome"
    row = await Visit.select().where(Visit.id == visit).first()
    assert row["checked_in_at"] >= before - timedelta(seconds=1) and row["status"] == "in_progress"
    assert (row["check_in_latitude"], row["check_in_longitude"], row["check_in_accuracy_m"]) == (-6.1783, 106.6329, 9.5)
    assert row["check_in_distance_m"] == pytest.approx(110.5, abs=0.5)
    [event] = await audit_actions("visits.check_in")
    assert event["object_id"] == str(visit) and event["district"] == world.regions["36.71"]


@pytest.mark.parametrize("form", [{}, {"latitude": "", "longitude": "", "accuracy": ""},
                                  {"latitude": "not a number", "longitude": "106"}])
async def test_a_check_in_without_a_usable_position_still_checks_in(client, world: World, form):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.verifier)
    assert (await client.post_form(f"/visits/{visit}/check-in", form)).status_code == 303
    row = await Visit.select().where(Visit.id == visit).first()
    assert row["checked_in_at"] is not None
    assert row["check_in_latitude"] is None and row["check_in_distance_m"] is None
    page = await client.get(f"/visits/{visit}")
    assert "Tidak ada lokasi yang tercatat" in page.text


async def test_the_first_check_in_counts(client, world: World):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.verifier)
    await client.post_form(f"/visits/{visit}/check-in", {"latitude": "-6.1783", "longitude": "106.6319"})
    first = (await Visit.select(Visit.checked_in_at).where(Visit.id == visit).first())["checked_in_at"]
    await client.post_form(f"/visits/{visit}/check-in", {"latitude": "-6.3", "longitude": "106.9"})
    row = await Visit.select().where(Visit.id == visit).first()
    assert row["checked_in_at"] == first and row["check_in_latitude"] == -6.1783
    assert len(await audit_actions("visits.check_in")) == 1


async def test_a_verifier_checking_in_on_a_colleagues_visit_joins_its_team(client, world: World):
    from tests.support import assign, make_user

    colleague = await make_user("budi@kemenpppa.test", "verifier")
    await assign(world.tangerang_evaluation, colleague, "verifier")
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[colleague])
    await client.sign_in_as(world.verifier)
    await client.post_form(f"/visits/{visit}/check-in", {})
    members = {m["user"] for m in await VisitMember.select().where(VisitMember.visit == visit)}
    assert members == {colleague, world.verifier.id}


# --- outcome ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("outcome", "checklist_open"), [
    ("found", True), ("closed", False), ("not_found", False), ("refused", False)])
async def test_each_outcome_and_the_three_site_absent_ones_end_the_checklist(client, world: World, outcome,
                                                                            checklist_open):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id],
                             checked_in=True)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/visits/{visit}/outcome", {"outcome": outcome, "outcome_note": "Pagar terkunci"})
    assert response.status_code == 303
    row = await Visit.select().where(Visit.id == visit).first()
    assert (row["outcome"], row["outcome_note"]) == (outcome, "Pagar terkunci")
    page = (await client.get(f"/visits/{visit}")).text
    assert (len(re.findall(r'<section class="item', page)) == PUSPAGA_ITEMS) is checklist_open
    assert ("Daftar periksa berakhir" in page) is not checklist_open
    save = await client.post_form(f"/visits/{visit}/items/PUSPAGA-01", finding(), headers=HTMX)
    assert save.status_code == (200 if checklist_open else 422)
    [event] = await audit_actions("visits.outcome")
    assert event["after"]["outcome"] == outcome if isinstance(event["after"], dict) else outcome in event["after"]


async def test_the_outcome_needs_a_check_in_and_a_known_value(client, world: World):
    planned = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.verifier)
    assert (await client.post_form(f"/visits/{planned}/outcome", {"outcome": "found"})).status_code == 422
    await client.post_form(f"/visits/{planned}/check-in", {})
    response = await client.post_form(f"/visits/{planned}/outcome", {"outcome": "vanished"})
    assert response.status_code == 422 and "Pilih apa yang Anda temukan di alamat" in response.text
    assert (await Visit.select(Visit.outcome).where(Visit.id == planned).first())["outcome"] is None


# --- findings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("result", ["met", "partial", "not_met", "not_observed", "not_applicable"])
async def test_each_result_saves_at_once_with_htmx_and_answers_the_items_block(client, world: World, result):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-03", finding(result, "Dicek"), headers=HTMX)
    assert response.status_code == 200
    block = response.text
    assert block.lstrip().startswith('<section class="item answered" id="item-PUSPAGA-03"')
    assert "<html" not in block
    assert re.search(r"Tersimpan \d\d:\d\d", block) and "versi 1" in block
    assert f'value="{result}" id="r-PUSPAGA-03-{result}" checked' in block
    assert 'id="progress" class="progress" hx-swap-oob="true"' in block and f"1 dari {PUSPAGA_ITEMS}" in block
    [row] = await versions(visit, "PUSPAGA-03")
    assert (row["result"], row["note"], row["version"], row["saved_by"]) == (result, "Dicek", 1, world.verifier.id)


async def test_without_javascript_an_item_saves_as_a_plain_form(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-05", finding("not_met", "Tidak ada jadwal"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/visits/{visit}#item-PUSPAGA-05"
    page = (await client.get(response.headers["location"].split("#")[0])).text
    assert 'value="not_met" id="r-PUSPAGA-05-not_met" checked' in page and "Tidak ada jadwal" in page
    assert f"1 dari {PUSPAGA_ITEMS} butir tercatat" in page


async def test_progress_counts_items_not_versions(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    for item, result in (("PUSPAGA-01", "met"), ("PUSPAGA-02", "partial"), ("PUSPAGA-02", "met"),
                         ("PUSPAGA-03", "not_observed")):
        last = await client.post_form(f"/visits/{visit}/items/{item}", finding(result), headers=HTMX)
    assert f"3 dari {PUSPAGA_ITEMS}" in last.text
    assert f"3 dari {PUSPAGA_ITEMS} butir tercatat" in (await client.get(f"/visits/{visit}")).text


async def test_the_same_uuid_with_the_same_content_is_answered_again_without_a_new_row(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    save = finding("partial", "Psikolog hanya Senin")
    first = await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", save, headers=HTMX)
    again = await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", save, headers=HTMX)
    assert first.status_code == again.status_code == 200
    assert again.text == first.text
    assert len(await versions(visit, "PUSPAGA-02")) == 1
    assert len(await audit_actions("visits.finding")) == 1
    plain = await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", save)
    assert plain.status_code == 303 and len(await versions(visit, "PUSPAGA-02")) == 1


async def test_the_same_uuid_with_other_content_is_a_conflict_in_the_users_language(client, make_client,
                                                                                 world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    used = uuid.uuid4()
    await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", finding("met", client_uuid=used), headers=HTMX)

    clash = await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", finding("not_met", client_uuid=used),
                                   headers=HTMX)
    assert clash.status_code == 409
    assert "sudah tercatat dengan hasil atau catatan lain" in clash.text
    assert 'id="item-PUSPAGA-02"' in clash.text  # the block, so htmx shows the message at the item
    plain = await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", finding("not_met", client_uuid=used))
    assert plain.status_code == 409 and 'href="#item-PUSPAGA-02"' in plain.text
    async with make_client() as english:
        await english.sign_in_as(world.admin)
        response = await english.post_form(f"/visits/{visit}/items/PUSPAGA-02", finding("partial", client_uuid=used),
                                           headers={**HTMX, "Accept-Language": "en"})
        assert response.status_code == 409 and "already recorded with a different result or note" in response.text
    elsewhere = await client.post_form(f"/visits/{visit}/items/PUSPAGA-03", finding("met", client_uuid=used),
                                       headers=HTMX)
    assert elsewhere.status_code == 409  # a UUID names one save, not one per item
    [row] = await versions(visit, "PUSPAGA-02")
    assert row["result"] == "met"


async def test_a_changed_result_is_the_next_version_and_the_history_keeps_who_and_when(client, make_client,
                                                                                      world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    await client.post_form(f"/visits/{visit}/items/PUSPAGA-04", finding("met"), headers=HTMX)
    async with make_client() as admin:
        await admin.sign_in_as(world.admin)
        second = await admin.post_form(f"/visits/{visit}/items/PUSPAGA-04", finding("partial", "Catatan sesi tidak lengkap"),
                                       headers=HTMX)
    assert "versi 2" in second.text and "Riwayat (2 versi)" in second.text
    assert "Vera" in second.text and "Admin" in second.text
    rows = await versions(visit, "PUSPAGA-04")
    assert [(r["version"], r["result"], r["saved_by"]) for r in rows] == [
        (1, "met", world.verifier.id), (2, "partial", world.admin.id)]


async def test_an_item_of_another_site_type_is_refused_with_422(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    for headers in (HTMX, {}):
        response = await client.post_form(f"/visits/{visit}/items/SRA-C1-01", finding(), headers=headers)
        assert response.status_code == 422
        assert "tidak ada dalam daftar periksa jenis lokasi ini (PUSPAGA)" in response.text
    assert await Finding.count() == 0


@pytest.mark.parametrize(("form", "status"), [
    ({"result": "excellent"}, 422), ({"client_uuid": "not-a-uuid"}, 422), ({"note": "x" * 2001}, 422)])
async def test_a_malformed_save_is_refused_at_the_item(client, world: World, form, status):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-01", {**finding(), **form}, headers=HTMX)
    assert response.status_code == status and 'class="item has-error"' in response.text
    assert await Finding.count() == 0


async def test_no_finding_before_check_in(client, world: World):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-01", finding(), headers=HTMX)
    assert response.status_code == 422 and "Lakukan check-in dulu" in response.text


@pytest.mark.parametrize("persona", ["notetaker", "tangerang"])
async def test_note_takers_and_district_staff_cannot_record(client, world: World, persona):
    visit = await found_visit(world)
    await client.sign_in_as(world.personas[persona])
    for path, form in ((f"/visits/{visit}/items/PUSPAGA-01", finding()), (f"/visits/{visit}/check-in", {}),
                       (f"/visits/{visit}/outcome", {"outcome": "closed"}), (f"/visits/{visit}/submit", {})):
        assert (await client.post_form(path, form)).status_code == 403, path
    assert await Finding.count() == 0


async def test_every_finding_save_goes_through_the_audit_log(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    save = finding("not_met", "Tidak ada papan nama")
    response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-12", save, headers=HTMX)
    assert response.status_code == 200
    [event] = await audit_actions("visits.finding")
    [row] = await versions(visit, "PUSPAGA-12")
    after = event["after"] if isinstance(event["after"], dict) else __import__("json").loads(event["after"])
    assert event["object_id"] == str(row["id"]) and event["district"] == world.regions["36.71"]
    assert after == {"visit": visit, "item": "PUSPAGA-12", "version": 1, "result": "not_met",
                     "note": "Tidak ada papan nama", "client_uuid": save["client_uuid"]}


# --- submit ------------------------------------------------------------------------------------------


async def test_a_visit_is_submitted_once_every_item_has_a_result(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    early = await client.post_form(f"/visits/{visit}/submit")
    assert early.status_code == 422 and f"{PUSPAGA_ITEMS} lagi" in early.text
    for n in range(1, PUSPAGA_ITEMS + 1):
        await client.post_form(f"/visits/{visit}/items/PUSPAGA-{n:02d}", finding("met"), headers=HTMX)

    response = await client.post_form(f"/visits/{visit}/submit")

    assert response.status_code == 303 and response.headers["location"] == f"/visits/{visit}?submitted=1"
    row = await Visit.select().where(Visit.id == visit).first()
    assert row["status"] == "submitted" and row["submitted_at"] >= row["checked_in_at"]  # the window
    assert len(await audit_actions("visits.submit")) == 1
    page = (await client.get(response.headers["location"])).text
    assert "Kunjungan sudah dikirim" in page and "Dikirim pada" in page
    again = await client.post_form(f"/visits/{visit}/submit")
    assert again.status_code == 303
    assert (await Visit.select(Visit.submitted_at).where(Visit.id == visit).first())["submitted_at"] == row["submitted_at"]
    assert len(await audit_actions("visits.submit")) == 1


async def test_a_change_after_submit_is_a_new_version_marked_as_such(client, world: World):
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    for n in range(1, PUSPAGA_ITEMS + 1):
        await client.post_form(f"/visits/{visit}/items/PUSPAGA-{n:02d}", finding("met"), headers=HTMX)
    await client.post_form(f"/visits/{visit}/submit")
    response = await client.post_form(f"/visits/{visit}/items/PUSPAGA-07", finding("partial", "Dicek ulang"),
                                      headers=HTMX)
    assert response.status_code == 200 and "setelah dikirim" in response.text and "versi 2" in response.text
    assert [r["result"] for r in await versions(visit, "PUSPAGA-07")] == ["met", "partial"]


@pytest.mark.parametrize("outcome", ["closed", "not_found", "refused"])
async def test_a_visit_to_an_absent_site_is_submitted_without_the_checklist(client, world: World, outcome):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id],
                             checked_in=True, outcome=outcome)
    await client.sign_in_as(world.verifier)
    assert (await client.post_form(f"/visits/{visit}/submit")).status_code == 303


async def test_a_visit_cannot_be_submitted_before_check_in_or_outcome(client, world: World):
    planned = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    await client.sign_in_as(world.verifier)
    assert (await client.post_form(f"/visits/{planned}/submit")).status_code == 422
    await client.post_form(f"/visits/{planned}/check-in", {})
    response = await client.post_form(f"/visits/{planned}/submit")
    assert response.status_code == 422 and "Catat hasil kunjungan" in response.text


# --- for the sites list and reconciliation -------------------------------------------------------------


async def test_visited_sites_and_current_findings_for_other_capabilities(client, world: World):
    school = await make_site(world.regions["36.71"], "20603001", "SD Negeri 1 Tangerang", "SRA")
    await make_visit(world.tangerang_evaluation, school, team=[world.verifier.id])  # planned only
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", finding("met"), headers=HTMX)
    await client.post_form(f"/visits/{visit}/items/PUSPAGA-02", finding("not_met", "Tidak ada psikolog"), headers=HTMX)
    await client.post_form(f"/visits/{visit}/items/PUSPAGA-01", finding("met"), headers=HTMX)

    assert await queries.visited_site_ids(world.tangerang_evaluation) == {world.tangerang_site}
    current = {(f["item_code"], f["result"], f["version"]) for f in await queries.current_findings(world.tangerang_evaluation)}
    assert current == {("PUSPAGA-01", "met", 1), ("PUSPAGA-02", "not_met", 2)}
    assert await queries.current_findings(world.serang_evaluation) == []


async def test_claims_of_the_site_are_listed_with_their_status(client, world: World):
    await make_site_item_claim(world.tangerang_evaluation, world.tangerang_site, "PUSPAGA-10", "not_met")
    visit = await found_visit(world)
    await client.sign_in_as(world.verifier)
    text = (await client.get(f"/visits/{visit}")).text
    claims = text.split('id="claims-h"')[1].split("</section>")[0]
    assert "PUSPAGA-02" in claims and "Diklaim terpenuhi" in claims
    assert "PUSPAGA-10" in claims and "Diklaim tidak terpenuhi" in claims
