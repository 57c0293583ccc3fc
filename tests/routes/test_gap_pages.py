"""The gap list (filters, who sees which gaps) and the minimal gap page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fieldvisit.gaps.tables import Gap
from fieldvisit.reconcile import queries
from tests.routes.test_dashboard import text_of
from tests.support import World
from tests.support_reconcile import another_site, make_photo, make_visit, tangerang_771


def gap_links(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'href="/gaps/(\d+)"', html)}


async def reconciled_example(world: World) -> dict[str, int]:
    """The worked example plus a photo used at two sites: contradicted, partial, value mismatch
    (district-visible) and provenance (verifiers only)."""
    example = await tangerang_771(world)
    sha = "ef" * 32
    await make_photo(example.visit_id, uploaded_by=world.verifier.id, sha256=sha)
    other = await make_visit(example.evaluation_id, await another_site(world))
    await make_photo(other, uploaded_by=world.verifier.id, sha256=sha)
    await queries.reconcile_evaluation(example.evaluation_id, now=datetime.now(UTC))
    return {r["rule"] + ("" if r["rule"] != "provenance" else str(n)): r["id"]
            for n, r in enumerate(await Gap.select(Gap.id, Gap.rule).order_by(Gap.id))}


async def test_verifiers_see_every_gap_and_district_staff_only_theirs_without_provenance(make_client, world: World):
    gaps = await reconciled_example(world)
    provenance = {v for k, v in gaps.items() if k.startswith("provenance")}
    assert len(provenance) == 2
    url = f"/evaluations/{world.tangerang_evaluation}/gaps"
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        assert gap_links((await verifier.get(url)).text) == set(gaps.values())
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        page = await district.get(url)
        assert gap_links(page.text) == set(gaps.values()) - provenance
        assert "Asal-usul foto" not in page.text, "the rule is not even offered as a filter"
        for gap_id in provenance:
            assert (await district.get(f"/gaps/{gap_id}")).status_code == 404
        assert (await district.get(f"/gaps/{gaps['contradicted']}")).status_code == 200
    async with make_client() as serang:
        await serang.sign_in_as(world.serang)
        assert (await serang.get(url)).status_code == 404
        assert (await serang.get(f"/gaps/{gaps['contradicted']}")).status_code == 404


async def test_the_list_filters_by_status_rule_cluster_indicator_and_overdue(client, world: World):
    gaps = await reconciled_example(world)
    url = f"/evaluations/{world.tangerang_evaluation}/gaps"
    await client.sign_in_as(world.admin)

    async def shown(query: str) -> set[int]:
        response = await client.get(f"{url}?{query}")
        assert response.status_code == 200
        return gap_links(response.text)

    assert await shown("rule=contradicted") == {gaps["contradicted"]}
    assert await shown("cluster=K1") == {gaps["value_mismatch"]}  # I04 is in klaster I
    assert await shown("cluster=K2&rule=partial") == {gaps["partial"]}  # I08 in klaster II
    assert await shown("indicator=I08") == {gaps["contradicted"], gaps["partial"]} | {
        v for k, v in gaps.items() if k.startswith("provenance")}  # a Puspaga's photo counts for I08
    assert await shown("status=resolved") == set()
    assert await shown("status=active") == set(gaps.values())
    assert await shown("overdue=1") == set()
    await Gap.update({Gap.due_on: datetime.now(UTC).date() - timedelta(days=1)}).where(
        Gap.id == gaps["partial"])
    assert await shown("overdue=1") == {gaps["partial"]}
    assert await shown("status=nonsense&rule=drop") == set(gaps.values())


async def test_the_list_answers_htmx_with_the_results_block_only(client, world: World):
    await reconciled_example(world)
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/evaluations/{world.tangerang_evaluation}/gaps?rule=partial",
                                headers={"HX-Request": "true"})
    assert response.status_code == 200 and "<html" not in response.text and "/gaps/" in response.text
    assert "HX-Request" in response.headers["vary"]


async def test_the_gap_page_shows_the_claim_what_was_found_and_the_timeline(client, world: World):
    gaps = await reconciled_example(world)
    await client.sign_in_as(world.tangerang)
    response = await client.get(f"/gaps/{gaps['contradicted']}")
    page = text_of(response.text)
    assert "Bertentangan" in page and "Terbuka" in page
    assert "Puspaga Kota Tangerang (PSPG-01)" in page
    assert "PUSPAGA-08: Mekanisme rujukan" in page
    assert "Ditemukan tidak terpenuhi" in page
    assert "Dibuka oleh rekonsiliasi" in page and "rekonsiliasi" in page
    assert "Jawaban paling lambat" in page


async def test_a_provenance_gap_page_names_the_other_site_for_the_verifier(client, world: World):
    gaps = await reconciled_example(world)
    await client.sign_in_as(world.verifier)
    first_photo_gap = min(v for k, v in gaps.items() if k.startswith("provenance"))
    page = text_of((await client.get(f"/gaps/{first_photo_gap}")).text)
    assert "Hanya untuk verifikator" in page
    assert "Foto yang sama dipakai di lokasi lain" in page
    assert "Juga dipakai di lokasi Puspaga PSPG-02" in page


async def test_a_value_gap_links_to_the_verified_value(client, world: World):
    gaps = await reconciled_example(world)
    await client.sign_in_as(world.tangerang)
    response = await client.get(f"/gaps/{gaps['value_mismatch']}")
    assert f'href="/evaluations/{world.tangerang_evaluation}/indicators/I04/verify"' in response.text
    page = text_of(response.text)
    assert "Capaian terverifikasi 83" in page and "Faktor verifikasi 0,8973" in page
