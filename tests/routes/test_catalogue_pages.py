"""The catalogue pages: versions, then clusters -> indicators -> site types -> checklist items,
in the reader's language. Read-only; for the ministry's people, not district staff."""

from __future__ import annotations

from fieldvisit.catalogue.tables import CatalogueVersion
from tests.support import World


async def version_id() -> int:
    return (await CatalogueVersion.select(CatalogueVersion.id).where(
        CatalogueVersion.code == "perpres-25-2021").first())["id"]


async def test_the_versions_page_lists_the_loaded_catalogue_with_its_size(client, world: World):
    await client.sign_in_as(world.verifier)
    text = (await client.get("/catalogue")).text
    assert "Perpres 25/2021 (24 indikator)" in text
    assert "24 indikator, 16 jenis lokasi" in text


async def test_a_version_shows_clusters_indicators_and_where_each_is_checked_in_indonesian(client, world: World):
    await client.sign_in_as(world.notetaker)
    text = (await client.get(f"/catalogue/{await version_id()}")).text
    assert "Klaster 2: Lingkungan Keluarga dan Pengasuhan Alternatif" in text
    assert "I08</span> Lembaga Konsultasi bagi Ortu/Keluarga" in text
    assert f'href="/catalogue/{await version_id()}/site-types/PUSPAGA">Pusat Pembelajaran Keluarga<' in text
    assert "Nindya" in text and "701–800" in text


async def test_a_version_speaks_english_when_asked(client, world: World):
    await client.sign_in_as(world.admin)
    text = (await client.get(f"/catalogue/{await version_id()}", headers={"accept-language": "en"})).text
    assert "Cluster 2: Family environment and alternative care" in text
    assert "Parenting consultation/counselling service for parents and families (Puspaga)" in text
    assert "Advanced (Nindya)" in text


async def test_a_site_type_shows_its_checklist_with_evidence_hints_and_components(client, world: World):
    await client.sign_in_as(world.verifier)
    text = (await client.get(f"/catalogue/{await version_id()}/site-types/SRA")).text
    assert "Satuan Pendidikan Ramah Anak" in text
    assert "C4 · " in text and "bobot" in text  # SRA's weighted components
    assert "SRA-12</strong> Ruang konseling" in text
    assert "perlu foto" in text and "wawancara" in text
    english = (await client.get(f"/catalogue/{await version_id()}/site-types/SRA",
                                headers={"accept-language": "en"})).text
    assert "Comfortable counselling room ensuring privacy" in english and "wants a photo" in english


async def test_a_sensitive_site_type_warns_about_photos(client, world: World):
    await client.sign_in_as(world.verifier)
    text = (await client.get(f"/catalogue/{await version_id()}/site-types/UPTD_PPA")).text
    assert "Sensitif: jangan memotret wajah atau berkas kasus" in text


async def test_an_unknown_version_or_site_type_is_404(client, world: World):
    await client.sign_in_as(world.admin)
    assert (await client.get("/catalogue/999")).status_code == 404
    assert (await client.get(f"/catalogue/{await version_id()}/site-types/NOPE")).status_code == 404


async def test_district_staff_do_not_get_the_catalogue(client, world: World):
    await client.sign_in_as(world.tangerang)
    assert (await client.get("/catalogue")).status_code == 404
