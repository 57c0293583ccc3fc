"""The district evaluation dashboard: KLA.md's worked example through real rows, the button,
the gap counts and who may open it."""

from __future__ import annotations

import re
from datetime import timedelta

from fieldvisit.gaps.tables import Gap
from fieldvisit.reconcile import queries
from tests.support import World
from tests.support_reconcile import T0, tangerang_771


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&nbsp;", " ")


async def test_the_worked_example_reads_771_nindya_then_754_35_nindya_as_an_estimate(client, world: World):
    example = await tangerang_771(world)
    await client.sign_in_as(world.verifier)

    response = await client.get(f"/evaluations/{example.evaluation_id}/dashboard")

    assert response.status_code == 200
    page = text_of(response.text)
    assert "Dinilai sendiri 771 Nindya → Terverifikasi (perkiraan) 754,35 Nindya" in page
    # the formula, one click away, with this district's numbers
    assert 'id="formula"' in response.text
    assert "I08 : 34 × r (2,5 ÷ 4 = 0,625) = 21,25" in page
    assert "I04 : 38 × v (FV 0,897 → 0,897) = 34,1" in page
    assert "771 → 754,35" in page
    # claimed against verified, with the verification factor outside the tolerance
    assert "92,5 %" in page and "83 %" in page and "di luar 0,9–1,1" in page


async def test_it_speaks_english_with_a_decimal_point(client, world: World):
    example = await tangerang_771(world)
    await client.sign_in_as(world.admin)
    response = await client.get(f"/evaluations/{example.evaluation_id}/dashboard",
                                headers={"Accept-Language": "en"})
    assert "Self-assessed 771 Nindya (Advanced) → Verified (estimate) 754.35 Nindya (Advanced)" in text_of(response.text)


async def test_reconcile_now_opens_the_gaps_and_the_dashboard_counts_and_links_them(client, world: World):
    example = await tangerang_771(world)
    await client.sign_in_as(world.verifier)

    response = await client.post_form(f"/evaluations/{example.evaluation_id}/reconcile")

    assert response.status_code == 303
    assert response.headers["location"] == f"/evaluations/{example.evaluation_id}/dashboard?ran=1"
    assert await Gap.count().where(Gap.district_evaluation == example.evaluation_id) == 3
    page = await client.get(response.headers["location"])
    gaps = f"/evaluations/{example.evaluation_id}/gaps"
    assert f'href="{gaps}?rule=contradicted&amp;status=open"' in page.text
    assert f'href="{gaps}?indicator=I04&amp;rule=value_mismatch&amp;status=active"' in page.text
    assert "3 celah perlu jawaban atau keputusan" in text_of(page.text)
    assert "Bertentangan 1 Terbuka" in text_of(page.text)


async def test_an_estimate_with_nothing_found_yet_equals_the_claims(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.get(f"/evaluations/{world.serang_evaluation}/dashboard")
    assert response.status_code == 200
    assert "Dinilai sendiri 0 belum berpredikat" in text_of(response.text) or "Dinilai sendiri 0" in text_of(
        response.text)


async def test_district_staff_and_note_takers_do_not_get_the_dashboard(make_client, world: World):
    for persona in (world.tangerang, world.notetaker, world.serang):
        async with make_client() as client:
            await client.sign_in_as(persona)
            response = await client.get(f"/evaluations/{world.tangerang_evaluation}/dashboard")
            assert response.status_code == 404, persona.key
            response = await client.post_form(f"/evaluations/{world.tangerang_evaluation}/reconcile")
            assert response.status_code == 404, persona.key
    assert await Gap.count() == 0


async def test_the_dashboard_shows_the_last_run(client, world: World):
    example = await tangerang_771(world)
    await queries.reconcile_evaluation(example.evaluation_id, now=T0 + timedelta(hours=4))
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/evaluations/{example.evaluation_id}/dashboard")
    assert "Terakhir direkonsiliasi 14 Mei 2025, 13:00 WIB." in text_of(response.text)
