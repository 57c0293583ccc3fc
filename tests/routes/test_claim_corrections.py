"""An admin adds or corrects a single claim in the UI without a re-import; audited with before/after."""

from __future__ import annotations

import json
from decimal import Decimal

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from tests.support import World, make_site


async def events(action: str) -> list[dict]:
    rows = await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)
    for row in rows:
        for key in ("before", "after"):
            if isinstance(row[key], str):
                row[key] = json.loads(row[key])
    return rows


async def test_an_admin_adds_an_indicator_claim_written_the_indonesian_way(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/evaluations/{world.tangerang_evaluation}/indicator-claim"
    assert (await client.get(url + "?indicator=I04")).status_code == 200
    response = await client.post_form(url, {
        "indicator": "I04", "value_kind": "percent", "value": "92,5", "claimed_score": "38", "max_score": "40",
        "documents": "Data Disdukcapil 2024 | https://example.go.id/akta.pdf\nSK Wali Kota"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/evaluations/{world.tangerang_evaluation}?saved=I04"
    row = await IndicatorClaim.select().output(load_json=True).where(IndicatorClaim.indicator_code == "I04").first()
    assert Decimal(str(row["value"])) == Decimal("92.5") and row["unit"] == "%"
    assert Decimal(str(row["claimed_score"])) == 38 and row["updated_by"] == world.admin.id
    assert row["documents"] == [{"title": "Data Disdukcapil 2024", "link": "https://example.go.id/akta.pdf"},
                                {"title": "SK Wali Kota", "link": ""}]
    [event] = await events("claim.indicator.save")
    assert event["before"] is None and event["after"]["claimed_score"] == "38" and event["after"]["value"] == "92.5"
    assert event["district"] == world.regions["36.71"]
    page = await client.get(response.headers["location"])
    assert "Klaim I04 tersimpan." in page.text and "<strong>72</strong>" in page.text


async def test_correcting_a_claim_records_before_and_after(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/evaluations/{world.tangerang_evaluation}/indicator-claim"
    form = (await client.get(url + "?indicator=I08")).text
    assert 'value="34"' in form
    response = await client.post_form(url, {"indicator": "I08", "value_kind": "yesno", "value": "ya",
                                            "claimed_score": "30"})
    assert response.status_code == 303
    [event] = await events("claim.indicator.save")
    assert event["before"]["claimed_score"] == "34" and event["after"]["claimed_score"] == "30"
    assert event["after"]["value"] == "1" and event["after"]["value_kind"] == "yesno"
    assert await IndicatorClaim.count() == 1
    # Saving the same again changes nothing and records nothing.
    again = await client.post_form(url, {"indicator": "I08", "value_kind": "yesno", "value": "yes",
                                         "claimed_score": "30,0"})
    assert again.headers["location"].endswith("saved=unchanged") and len(await events("claim.indicator.save")) == 1


async def test_it_rejects_a_bad_indicator_claim_with_messages_beside_the_fields(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/evaluations/{world.tangerang_evaluation}/indicator-claim"
    response = await client.post_form(url, {"indicator": "I99", "value_kind": "percent", "value": "120",
                                            "claimed_score": "45", "max_score": "40"})
    assert response.status_code == 422
    for message in ("Pilih indikator dari katalog putaran ini.", "Persentase paling tinggi 100.",
                    "Nilai melebihi maksimum 40."):
        assert message in response.text, message
    response = await client.post_form(url, {"indicator": "I04", "value_kind": "number", "value": "banyak",
                                            "claimed_score": ""})
    assert response.status_code == 422
    assert "Masukkan angka, misalnya 92,5 atau 92.5." in response.text
    assert "Masukkan nilai yang diklaim" in response.text
    response = await client.post_form(url, {"indicator": "I04", "value_kind": "yesno", "value": "mungkin",
                                            "claimed_score": "-1"})
    assert "Masukkan ya atau tidak." in response.text and "Nilai tidak boleh negatif." in response.text
    assert await IndicatorClaim.count() == 1 and not await events("claim.indicator.save")


async def test_an_admin_adds_and_corrects_a_site_item_claim(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/evaluations/{world.tangerang_evaluation}/sites/{world.tangerang_site}/item-claim"
    form = await client.get(url)
    assert form.status_code == 200 and "PUSPAGA-14" in form.text and "SRA-01" not in form.text
    response = await client.post_form(url, {"item": "PUSPAGA-14", "claimed_status": "met",
                                            "documents": "Foto ruang bermain | ruang-bermain.jpg"})
    assert response.status_code == 303 and response.headers["location"] == f"/sites/{world.tangerang_site}?saved=PUSPAGA-14"
    response = await client.post_form(url, {"item": "PUSPAGA-02", "claimed_status": "not_met"})
    assert response.status_code == 303
    rows = {r["item_code"]: r for r in await SiteItemClaim.select().output(load_json=True)}
    assert rows["PUSPAGA-14"]["documents"] == [{"title": "Foto ruang bermain", "link": "ruang-bermain.jpg"}]
    assert rows["PUSPAGA-02"]["claimed_status"] == "not_met"
    saved = await events("claim.site_item.save")
    assert [e["before"] for e in saved][0] is None
    assert saved[1]["before"]["claimed_status"] == "met" and saved[1]["after"]["claimed_status"] == "not_met"
    page = await client.get(f"/sites/{world.tangerang_site}")
    assert "diklaim tidak terpenuhi" in page.text and "Ruang tunggu/ruang bermain ramah anak di Puspaga" in page.text


async def test_it_rejects_an_item_of_another_site_type_and_an_unknown_status(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/evaluations/{world.tangerang_evaluation}/sites/{world.tangerang_site}/item-claim"
    response = await client.post_form(url, {"item": "SRA-01", "claimed_status": "maybe"})
    assert response.status_code == 422
    assert "Pilih butir daftar periksa dari jenis lokasi ini." in response.text
    assert "Pilih terpenuhi atau tidak terpenuhi." in response.text
    assert await SiteItemClaim.count() == 1


async def test_a_site_of_another_kabkota_cannot_get_a_claim_in_this_evaluation(client, world: World):
    await client.sign_in_as(world.admin)
    url = f"/evaluations/{world.tangerang_evaluation}/sites/{world.serang_site}/item-claim"
    assert (await client.get(url)).status_code == 404
    response = await client.post_form(url, {"item": "PUSPAGA-01", "claimed_status": "met"})
    assert response.status_code == 404 and await SiteItemClaim.count() == 1


async def test_only_admins_correct_claims(client, make_client, world: World):
    site = await make_site(world.regions["36.71"], "X", "X", "PUSPAGA")
    for persona in (world.verifier, world.notetaker, world.tangerang):
        async with make_client() as c:
            await c.sign_in_as(persona)
            response = await c.post_form(f"/evaluations/{world.tangerang_evaluation}/indicator-claim",
                                         {"indicator": "I04", "value_kind": "number", "claimed_score": "1"})
            assert response.status_code == 404
            response = await c.post_form(f"/evaluations/{world.tangerang_evaluation}/sites/{site}/item-claim",
                                         {"item": "PUSPAGA-01", "claimed_status": "met"})
            assert response.status_code == 404
    assert await IndicatorClaim.count() == 1 and await SiteItemClaim.count() == 1
