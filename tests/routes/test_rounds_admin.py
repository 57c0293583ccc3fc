"""The admin creates and edits rounds, adds kab/kota, sets stages, teams and tolerances; all audited."""

from __future__ import annotations

import json
from decimal import Decimal

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.catalogue.tables import CatalogueVersion
from fieldvisit.rounds.tables import Assignment, DistrictEvaluation, Round, Tolerance
from tests.support import World, make_user


async def version_id() -> int:
    return (await CatalogueVersion.select(CatalogueVersion.id).first())["id"]


async def audit_events(action: str) -> list[dict]:
    rows = await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)
    for row in rows:
        for key in ("before", "after"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


def round_form(**values: str) -> dict[str, str]:
    return {"name": "KLA 2026", "year": "2026", "starts_on": "2026-01-12", "ends_on": "2026-07-23",
            "response_days": "21", **values}


async def test_an_admin_creates_a_round_and_lands_on_its_page(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/rounds/new", round_form(
        catalogue_version=str(await version_id()), notetakers_may_promote="on"))
    assert response.status_code == 303
    row = await Round.select().where(Round.name == "KLA 2026").first()
    assert response.headers["location"] == f"/admin/rounds/{row['id']}?saved=created"
    assert row["year"] == 2026 and row["response_days"] == 21 and row["notetakers_may_promote"] is True
    assert str(row["starts_on"]) == "2026-01-12"
    page = await client.get(response.headers["location"])
    assert page.status_code == 200 and "KLA 2026" in page.text and "Putaran sudah dibuat" in page.text
    [event] = await audit_events("round.create")
    assert event["object_id"] == str(row["id"]) and event["after"]["name"] == "KLA 2026"


async def test_it_rejects_a_round_with_bad_input_and_names_every_problem(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/rounds/new", {
        "name": "", "year": "25", "catalogue_version": "999", "starts_on": "2026-07-01", "ends_on": "2026-01-01",
        "response_days": "0"})
    assert response.status_code == 422
    for message in ("Masukkan nama putaran", "Masukkan tahun dengan empat angka", "Pilih versi katalog",
                    "Tanggal berakhir sebelum tanggal mulai", "Masukkan jumlah hari dari 1 sampai 365"):
        assert message in response.text, message
    assert 'id="error-summary"' in response.text
    assert await Round.count() == 1


async def test_it_rejects_a_date_that_is_not_a_date_and_a_second_round_of_the_same_name(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/rounds/new", round_form(
        name="KLA 2025", starts_on="23/05/2025", catalogue_version=str(await version_id())))
    assert response.status_code == 422
    assert "Masukkan tanggal, misalnya 2025-05-22." in response.text
    assert "Putaran dengan nama ini sudah ada." in response.text


async def test_the_round_form_speaks_english_when_asked(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/rounds/new", {"name": ""}, headers={"accept-language": "en"})
    assert response.status_code == 422
    assert "Enter the round&#39;s name, such as KLA 2025." in response.text


async def test_editing_a_round_is_audited_with_before_and_after(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/rounds/{world.round_id}/edit", round_form(
        name="KLA 2025", year="2025", catalogue_version=str(await version_id()), response_days="10"))
    assert response.status_code == 303
    assert (await Round.select(Round.response_days).first())["response_days"] == 10
    [event] = await audit_events("round.update")
    assert event["before"]["response_days"] == 14 and event["after"]["response_days"] == 10
    assert "name" not in event["after"]  # only what changed


async def test_the_catalogue_version_cannot_change_once_claims_exist(client, world: World):
    other = await CatalogueVersion.insert(CatalogueVersion(code="perpres-x", name="Revisi", sha256="0" * 64)).returning(
        CatalogueVersion.id)
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/rounds/{world.round_id}/edit", round_form(
        name="KLA 2025", year="2025", catalogue_version=str(other[0]["id"])))
    assert response.status_code == 422
    assert "versi tidak dapat diubah lagi" in response.text
    assert (await Round.select(Round.catalogue_version).first())["catalogue_version"] == await version_id()


async def test_an_admin_adds_one_several_or_all_kabkota_of_a_province(client, world: World):
    round_id = await _new_round()
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/rounds/{round_id}/districts", {"district": "35.75"})
    assert response.status_code == 303 and "added=1" in response.headers["location"]
    response = await client.post_form(f"/admin/rounds/{round_id}/districts", {"codes": "16.71, 35.75;51.71"})
    assert "added=2" in response.headers["location"] and "already=1" in response.headers["location"]
    response = await client.post_form(f"/admin/rounds/{round_id}/districts", {"province": "36"})
    assert "added=2" in response.headers["location"]
    page = await client.get(response.headers["location"])
    assert "2 kab/kota ditambahkan." in page.text
    codes = {r["district.code"] for r in await DistrictEvaluation.select(DistrictEvaluation.district.code).where(
        DistrictEvaluation.round == round_id)}
    assert codes == {"35.75", "16.71", "51.71", "36.71", "36.73"}
    events = await audit_events("evaluation.create")
    assert len(events) == 5 and all(e["district"] for e in events)
    stages = {r["stage"] for r in await DistrictEvaluation.select(DistrictEvaluation.stage).where(
        DistrictEvaluation.round == round_id)}
    assert stages == {"evaluasi_mandiri"}


async def test_it_rejects_unknown_or_malformed_kabkota_codes_and_adds_nothing(client, world: World):
    round_id = await _new_round()
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/rounds/{round_id}/districts", {"codes": "36.71 99.99"})
    assert response.status_code == 422 and "Tidak ada di daftar wilayah: 99.99." in response.text
    response = await client.post_form(f"/admin/rounds/{round_id}/districts", {"codes": "3671"})
    assert response.status_code == 422 and "Bukan kode kab/kota: 3671" in response.text
    response = await client.post_form(f"/admin/rounds/{round_id}/districts", {})
    assert response.status_code == 422 and "Pilih kab/kota, ketik kode, atau pilih provinsi." in response.text
    assert await DistrictEvaluation.count().where(DistrictEvaluation.round == round_id) == 0


async def test_an_admin_sets_the_stage_field_mode_and_dates_of_a_district_evaluation(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/admin/evaluations/{world.tangerang_evaluation}"
    response = await client.post_form(url, {"stage": "verifikasi_final", "field_mode": "hybrid",
                                            "field_starts_on": "2025-05-22", "field_ends_on": "2025-05-23"})
    assert response.status_code == 303
    row = await DistrictEvaluation.select().where(DistrictEvaluation.id == world.tangerang_evaluation).first()
    assert row["stage"] == "verifikasi_final" and row["field_mode"] == "hybrid"
    assert str(row["field_ends_on"]) == "2025-05-23"
    [event] = await audit_events("evaluation.update")
    assert event["before"]["stage"] == "verifikasi_lapangan" and event["after"]["stage"] == "verifikasi_final"
    assert event["district"] == world.regions["36.71"]


async def test_it_rejects_an_unknown_stage_and_field_dates_in_the_wrong_order(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/evaluations/{world.tangerang_evaluation}", {
        "stage": "done", "field_mode": "zoom", "field_starts_on": "2025-05-23", "field_ends_on": "2025-05-22"})
    assert response.status_code == 422
    for message in ("Pilih tahap.", "Pilih hybrid atau kunjungan.", "Tanggal berakhir sebelum tanggal mulai."):
        assert message in response.text
    assert not await audit_events("evaluation.update")


async def test_an_admin_adds_and_removes_team_members_and_both_are_audited(client, make_client, world: World):
    verifier_id = await make_user("vina@kemenpppa.test", "verifier", name="Vina")
    await client.sign_in_as(world.admin)
    url = f"/admin/evaluations/{world.serang_evaluation}"
    response = await client.post_form(f"{url}/team", {"user": str(verifier_id)})
    assert response.status_code == 303
    async with make_client() as vina:
        await vina.sign_in_as(verifier_id)
        assert (await vina.get(f"/evaluations/{world.serang_evaluation}")).status_code == 200
        response = await client.post_form(f"{url}/team/{verifier_id}/remove")
        assert response.status_code == 303
        assert (await vina.get(f"/evaluations/{world.serang_evaluation}")).status_code == 404
    assert [e["after"]["user"] for e in await audit_events("assignment.add")] == ["vina@kemenpppa.test"]
    assert [e["before"]["role"] for e in await audit_events("assignment.remove")] == ["verifier"]


async def test_only_active_verifiers_and_notetakers_join_a_team(client, world: World):
    disabled = await make_user("old@kemenpppa.test", "verifier", is_active=False)
    await client.sign_in_as(world.admin)
    url = f"/admin/evaluations/{world.serang_evaluation}/team"
    for user_id, message in ((world.tangerang.id, "Hanya verifikator dan notulis yang dapat masuk tim."),
                             (disabled, "Akun ini dinonaktifkan."), (None, "Pilih verifikator atau notulis.")):
        response = await client.post_form(url, {"user": str(user_id) if user_id else ""})
        assert response.status_code == 422 and message in response.text
    assert await Assignment.count().where(Assignment.district_evaluation == world.serang_evaluation) == 0
    page = await client.get(f"/admin/evaluations/{world.serang_evaluation}")
    assert "Vera" in page.text and "old@kemenpppa.test" not in page.text and world.tangerang.email not in page.text


async def test_tolerances_default_to_090_110_and_an_admin_sets_one_per_indicator(client, world: World):
    await client.sign_in_as(world.admin)
    page = await client.get(f"/admin/rounds/{world.round_id}/tolerances")
    assert page.status_code == 200 and 'placeholder="0,90"' in page.text and 'name="low-I04"' in page.text
    response = await client.post_form(f"/admin/rounds/{world.round_id}/tolerances", {
        "low-I04": "0,95", "high-I04": "1,05", "low-I13": "0.90", "high-I13": "1.10"})
    assert response.status_code == 303 and "saved=1" in response.headers["location"]
    rows = await Tolerance.select().where(Tolerance.round == world.round_id)
    assert [(r["indicator_code"], Decimal(str(r["low"])), Decimal(str(r["high"]))) for r in rows] == [
        ("I04", Decimal("0.95"), Decimal("1.05"))]  # I13 typed the default: no row
    [event] = await audit_events("tolerance.update")
    assert event["before"] == {"I04": None} and event["after"] == {"I04": ["0.95", "1.05"]}
    page = await client.get(f"/admin/rounds/{world.round_id}/tolerances")
    assert 'name="low-I04" type="text"' in page.text and 'value="0.95"' in page.text
    # Emptying both bounds goes back to the default.
    response = await client.post_form(f"/admin/rounds/{world.round_id}/tolerances", {})
    assert await Tolerance.count() == 0 and len(await audit_events("tolerance.update")) == 2


async def test_it_rejects_tolerances_that_are_not_a_band_above_zero(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/rounds/{world.round_id}/tolerances", {
        "low-I04": "1.1", "high-I04": "0.9", "low-I05": "0", "high-I05": "1", "low-I06": "0.9",
        "low-I07": "abc", "high-I07": "1"})
    assert response.status_code == 422
    for message in ("I04: Batas bawah harus lebih kecil dari batas atas.", "I05: Kedua batas harus lebih besar dari 0.",
                    "I06: Isi kedua batas", "I07: masukkan angka"):
        assert message in response.text, message
    assert await Tolerance.count() == 0


async def test_the_rounds_list_counts_district_evaluations(client, world: World):
    await client.sign_in_as(world.admin)
    page = await client.get("/admin/rounds")
    assert "KLA 2025" in page.text and "2 evaluasi kab/kota" in page.text


async def _new_round() -> int:
    rows = await Round.insert(Round(name="KLA 2026", year=2026, catalogue_version=await version_id())).returning(
        Round.id)
    return int(rows[0]["id"])
