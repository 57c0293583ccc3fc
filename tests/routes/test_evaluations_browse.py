"""Every role browses the district evaluations it may see: the list, a district evaluation's
claims per cluster and indicator, and its self-assessed total with its predicate."""

from __future__ import annotations

from fieldvisit.claims.tables import IndicatorClaim
from tests.support import World, make_indicator_claim

# Kota Tangerang's self-assessment (KLA.md): 771, Nindya. I08 = 34 is already in the world.
SCORES = {"I01": "34", "I02": "42", "I03": "22", "I04": "38", "I05": "28", "I06": "27", "I07": "33", "I09": "24",
          "I10": "29", "I11": "32", "I12": "31", "I13": "32", "I14": "26", "I15": "33", "I16": "27", "I17": "28",
          "I18": "36", "I19": "41", "I20": "26", "I21": "45", "I22": "34", "I23": "32", "I24": "37"}


async def claim_771(world: World) -> None:
    for code, score in SCORES.items():
        if code == "I04":
            await make_indicator_claim(world.tangerang_evaluation, code, score, value="92.5", kind="percent", unit="%",
                                       documents=[{"title": "Data Disdukcapil 2024", "link": "https://example.go.id/akta.pdf"}])
        else:
            await make_indicator_claim(world.tangerang_evaluation, code, score)


async def test_the_self_assessed_total_771_is_nindya_on_the_evaluation_page(client, world: World):
    await claim_771(world)
    await client.sign_in_as(world.tangerang)
    response = await client.get(f"/evaluations/{world.tangerang_evaluation}")
    assert response.status_code == 200
    text = response.text
    assert "<strong>771</strong>" in text and '<span class="predicate">Nindya</span>' in text
    assert "Jumlah 24 nilai indikator yang diklaim" in text
    # I04: the claimed value with its unit, the score and the document link
    assert "92,5 %" in text and 'href="https://example.go.id/akta.pdf"' in text
    # per cluster: Kelembagaan sums I01-I03
    assert '<span class="subtotal">98</span>' in text


async def test_the_total_and_predicate_are_shown_in_english_too(client, world: World):
    await claim_771(world)
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/evaluations/{world.tangerang_evaluation}", headers={"accept-language": "en"})
    assert "<strong>771</strong>" in response.text and "Advanced (Nindya)" in response.text
    assert "92.5 %" in response.text and "Claims by cluster and indicator" in response.text


async def test_the_evaluation_list_shows_district_round_stage_score_and_predicate(client, world: World):
    await claim_771(world)
    await client.sign_in_as(world.admin)
    text = (await client.get("/evaluations")).text
    assert "Kota Tangerang" in text and "Kota Serang" in text and "KLA 2025" in text
    assert "Verifikasi lapangan" in text and "<strong>771</strong>" in text and "Nindya" in text
    assert "Belum ada klaim" in text  # Serang has none


async def test_each_persona_lists_only_the_evaluations_it_may_see(client, make_client, world: World):
    expected = {"admin": {"Kota Tangerang", "Kota Serang"}, "verifier": {"Kota Tangerang"},
                "notetaker": {"Kota Tangerang"}, "tangerang": {"Kota Tangerang"}, "serang": {"Kota Serang"}}
    for key, persona in world.personas.items():
        async with make_client() as c:
            await c.sign_in_as(persona)
            text = (await c.get("/evaluations")).text
            seen = {name for name in ("Kota Tangerang", "Kota Serang") if f"<strong>{name}</strong>" in text}
            assert seen == expected[key], key


async def test_serang_cannot_see_tangerangs_evaluation(client, world: World):
    await client.sign_in_as(world.serang)
    response = await client.get(f"/evaluations/{world.tangerang_evaluation}")
    assert response.status_code == 404 and "Kota Tangerang" not in response.text


async def test_a_withdrawn_claim_does_not_count(client, world: World):
    from datetime import UTC, datetime

    await make_indicator_claim(world.tangerang_evaluation, "I04", "38", deleted_at=datetime.now(UTC))
    await client.sign_in_as(world.admin)
    text = (await client.get(f"/evaluations/{world.tangerang_evaluation}")).text
    assert "<strong>34</strong>" in text and "Belum berpredikat" in text
    assert await IndicatorClaim.count() == 2


async def test_admins_see_the_links_to_correct_claims_and_others_do_not(client, make_client, world: World):
    url = f"/evaluations/{world.tangerang_evaluation}"
    await client.sign_in_as(world.admin)
    assert "indicator-claim?indicator=I08" in (await client.get(url)).text
    async with make_client() as vera:
        await vera.sign_in_as(world.verifier)
        assert "indicator-claim" not in (await vera.get(url)).text


async def test_home_pages_list_the_assigned_evaluations(client, make_client, world: World):
    for persona, heading in ((world.verifier, "Evaluasi kab/kota saya"), (world.notetaker, "Evaluasi kab/kota saya"),
                             (world.tangerang, "Evaluasi Anda")):
        async with make_client() as c:
            await c.sign_in_as(persona)
            text = (await c.get("/")).text
            assert heading in text and f'href="/evaluations/{world.tangerang_evaluation}"' in text, persona.key
            assert f'href="/evaluations/{world.serang_evaluation}"' not in text


async def test_a_verifier_without_assignments_keeps_the_empty_home_page(client, world: World):
    from tests.support import make_user

    await client.sign_in_as(await make_user("new@kemenpppa.test", "verifier"))
    text = (await client.get("/")).text
    assert "Belum ada kunjungan" in text and "Evaluasi kab/kota saya" not in text


async def test_the_evaluation_page_links_to_what_each_role_may_open(client, make_client, world: World):
    url = f"/evaluations/{world.tangerang_evaluation}"
    links = {"gaps": f'href="{url}/gaps"', "dashboard": f'href="{url}/dashboard"', "visits": f'href="{url}/visits"'}
    expected = [(world.verifier, {"gaps", "dashboard", "visits"}), (world.admin, {"gaps", "dashboard", "visits"}),
                (world.tangerang, {"gaps"}), (world.notetaker, set())]
    for persona, shown in expected:
        async with make_client() as someone:
            await someone.sign_in_as(persona)
            page = (await someone.get(url)).text
            assert {name for name, link in links.items() if link in page} == shown, persona.key
            for name in shown:  # every link shown opens
                assert (await someone.get(f"{url}/{name}")).status_code == 200, (persona.key, name)
