"""Indicator verification: a verifier records the verified value (Indonesian or English
decimals) with a note and documents; versions append; the district reads it."""

from __future__ import annotations

import json
from decimal import Decimal

from fieldvisit.audit.tables import AuditEvent
from fieldvisit.claims.tables import IndicatorClaim, IndicatorVerification
from tests.routes.test_dashboard import text_of
from tests.support import World, make_indicator_claim

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def birth_certificates(world: World) -> str:
    await make_indicator_claim(world.tangerang_evaluation, "I04", "38", value="92.5", kind="percent", unit="%")
    return f"/evaluations/{world.tangerang_evaluation}/indicators/I04/verify"


async def test_a_verifier_records_83_comma_0_and_a_second_save_appends_a_version(client, world: World):
    url = await birth_certificates(world)
    await client.sign_in_as(world.verifier)

    first = await client.post_form(url, {"value": "83,0", "note": "Data Disdukcapil per 30 April 2025",
                                         "links": "Data Dukcapil | https://dukcapil.tangerangkota.go.id/akta"})
    assert first.status_code == 303 and first.headers["location"] == url + "?saved=1"
    second = await client.post_form(url, {"value": "84.5", "note": "Data diperbarui 2 Mei"})
    assert second.status_code == 303

    rows = await IndicatorVerification.select().order_by(IndicatorVerification.version)
    assert [(r["version"], r["verified_value"]) for r in rows] == [(1, Decimal("83")), (2, Decimal("84.5"))]
    docs = rows[0]["documents"]
    docs = json.loads(docs) if isinstance(docs, str) else docs
    assert docs == [{"title": "Data Dukcapil", "link": "https://dukcapil.tangerangkota.go.id/akta"}]
    assert rows[0]["verified_by"] == world.verifier.id
    page = text_of((await client.get(url + "?saved=1")).text)
    assert "Capaian terverifikasi tersimpan." in page
    assert "Versi 2: 84,5 %" in page and "Versi 1: 83 %" in page
    assert "Faktor verifikasi 0,914 di dalam 0,9–1,1" in page
    events = await AuditEvent.select().where(AuditEvent.action == "indicator_verification.create").order_by(
        AuditEvent.id)
    assert len(events) == 2
    after = events[1]["after"]
    after = json.loads(after) if isinstance(after, str) else after
    assert after["version"] == 2 and after["verified_value"] == "84.5000"


async def test_documents_go_to_the_blob_store_and_the_district_may_open_them(client, make_client, world: World):
    url = await birth_certificates(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(url, {"value": "83", "note": "Rekap akta dari Disdukcapil"},
                                      files=[("documents", ("rekap akta.pdf", PDF, "application/pdf"))])
    assert response.status_code == 303
    [row] = await IndicatorVerification.select()
    [doc] = json.loads(row["documents"]) if isinstance(row["documents"], str) else row["documents"]
    assert doc["title"] == "rekap akta.pdf" and doc["content_type"] == "application/pdf"
    assert doc["blob_key"].startswith("document/") and doc["size_bytes"] == len(PDF)

    doc_url = f"/evaluations/{world.tangerang_evaluation}/verifications/{row['id']}/documents/0"
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        served = await district.get(doc_url)
        assert served.status_code == 200 and served.content == PDF
        assert served.headers["content-type"].startswith("application/pdf")
        assert 'href="' + doc_url + '"' in (await district.get(url)).text
    async with make_client() as other:
        await other.sign_in_as(world.serang)
        assert (await other.get(doc_url)).status_code == 404
        assert (await other.get(url)).status_code == 404


async def test_it_refuses_an_exe_renamed_pdf_a_bad_value_and_a_missing_note(client, world: World):
    url = await birth_certificates(world)
    await client.sign_in_as(world.admin)
    response = await client.post_form(url, {"value": "83,0,1", "note": "", "links": "javascript:alert(1)"},
                                      files=[("documents", ("akta.pdf", b"MZ\x90\x00 not a pdf", "application/pdf"))])
    assert response.status_code == 422
    page = text_of(response.text)
    assert "Ada masalah" in page or "error-summary" in response.text
    assert "Masukkan angka, misalnya 83,0 atau 83.0." in page
    assert "Sebutkan asal capaian terverifikasi" in page
    assert "akta.pdf bukan berkas PDF, JPEG, atau PNG." in page
    assert "Setiap baris harus berupa alamat web" in page
    assert await IndicatorVerification.count() == 0


async def test_a_percentage_above_100_is_refused(client, world: World):
    url = await birth_certificates(world)
    await client.sign_in_as(world.verifier)
    response = await client.post_form(url, {"value": "101", "note": "hitung ulang"})
    assert response.status_code == 422 and "Persentase paling tinggi 100." in response.text


async def test_district_staff_and_note_takers_read_the_verified_value_but_cannot_record_one(make_client,
                                                                                          world: World):
    url = await birth_certificates(world)
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        await verifier.post_form(url, {"value": "83,0", "note": "Data Disdukcapil"})
    for persona in (world.tangerang, world.notetaker):
        async with make_client() as client:
            await client.sign_in_as(persona)
            page = await client.get(url)
            assert page.status_code == 200
            assert "83 %" in text_of(page.text) and "Data Disdukcapil" in page.text
            assert 'name="value"' not in page.text, "no form for read-only viewers"
            response = await client.post_form(url, {"value": "99", "note": "kami koreksi"})
            assert response.status_code == 403, persona.key
    assert await IndicatorVerification.count() == 1


async def test_a_withdrawn_or_unknown_claim_has_no_verification_page(client, world: World):
    url = await birth_certificates(world)
    await client.sign_in_as(world.verifier)
    await IndicatorClaim.update({IndicatorClaim.deleted_at: IndicatorClaim.updated_at}).where(
        IndicatorClaim.indicator_code == "I04")
    assert (await client.get(url)).status_code == 404
    assert (await client.get(url.replace("I04", "I99"))).status_code == 404


async def test_a_yes_no_claim_is_verified_with_yes_or_no(client, world: World):
    await make_indicator_claim(world.tangerang_evaluation, "I01", "32", value="1", kind="yesno")
    url = f"/evaluations/{world.tangerang_evaluation}/indicators/I01/verify"
    await client.sign_in_as(world.verifier)
    page = await client.get(url)
    assert 'type="radio"' in page.text
    assert (await client.post_form(url, {"value": "0", "note": "Perda belum disahkan"})).status_code == 303
    [row] = await IndicatorVerification.select(IndicatorVerification.verified_value)
    assert row["verified_value"] == 0
