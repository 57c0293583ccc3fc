"""The sites of a district evaluation: live search, filters, pages; a site's page with its maps
link and claims. Sites are district-scoped: Serang sees nothing of Tangerang."""

from __future__ import annotations

from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.errors import NotFound
from fieldvisit.sites import queries
from fieldvisit.sites.queries import SiteFilter
from tests.support import Persona, World, make_site, make_site_item_claim


def as_user(p: Persona) -> CurrentUser:
    return CurrentUser(p.id, p.email, p.key, Role(p.role), p.district_id, None, None, None, False, 0)


async def more_sites(world: World) -> None:
    tangerang = world.regions["36.71"]
    await make_site(tangerang, "20606412", "SD Negeri Cipondoh 1", "SRA", kecamatan="Cipondoh", kelurahan="Cipondoh",
                    latitude=-6.18345, longitude=106.6819)
    await make_site(tangerang, "20606039", "SMP Negeri 1 Kota Tangerang", "SRA", kecamatan="Tangerang",
                    address="Jl. Daan Mogot No. 51")
    await make_site(tangerang, "RBRA-POTRET", "Taman Potret", "RBRA", kecamatan="Tangerang", kelurahan="Cikokol")


async def test_a_verifier_lists_the_sites_of_an_assigned_evaluation(client, world: World):
    await more_sites(world)
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/evaluations/{world.tangerang_evaluation}/sites")
    assert response.status_code == 200 and "HX-Request" in response.headers["vary"]
    text = response.text
    assert "4 lokasi" in text and "Puspaga Kota Tangerang" in text and "Taman Potret" in text
    assert "Puspaga Kota Serang" not in text
    assert "Satuan Pendidikan Ramah Anak" in text  # the type's short name in Indonesian
    assert "1 klaim butir" in text  # the Puspaga's item claim


async def test_the_live_search_answers_only_the_results_block_to_htmx(client, world: World):
    await more_sites(world)
    await client.sign_in_as(world.verifier)
    url = f"/evaluations/{world.tangerang_evaluation}/sites?q=cipondoh"
    block = await client.get(url, headers={"hx-request": "true"})
    assert block.status_code == 200 and "<html" not in block.text
    assert "SD Negeri Cipondoh 1" in block.text and "Taman Potret" not in block.text and "1 lokasi" in block.text
    full = await client.get(url)  # the same search without JavaScript: the whole page
    assert "<html" in full.text and 'value="cipondoh"' in full.text and "SD Negeri Cipondoh 1" in full.text
    restore = await client.get(url, headers={"hx-request": "true", "hx-history-restore-request": "true"})
    assert "<html" in restore.text  # the back button gets the whole page


async def test_search_matches_code_address_and_kelurahan(client, world: World):
    await more_sites(world)
    await client.sign_in_as(world.tangerang)
    base = f"/evaluations/{world.tangerang_evaluation}/sites?q="
    assert "SMP Negeri 1" in (await client.get(base + "20606039")).text
    assert "SMP Negeri 1" in (await client.get(base + "daan mogot")).text
    assert "Taman Potret" in (await client.get(base + "Cikokol")).text
    assert "Tidak ada lokasi yang cocok" in (await client.get(base + "zzz")).text


async def test_filters_by_type_kecamatan_and_claims(client, world: World):
    await more_sites(world)
    await client.sign_in_as(world.admin)
    base = f"/evaluations/{world.tangerang_evaluation}/sites"
    text = (await client.get(base + "?site_type=SRA")).text
    assert "2 lokasi" in text and "Taman Potret" not in text
    text = (await client.get(base + "?kecamatan=Cipondoh")).text
    assert "1 lokasi" in text and "SD Negeri Cipondoh 1" in text
    text = (await client.get(base + "?has_claims=yes")).text
    assert "1 lokasi" in text and "Puspaga Kota Tangerang" in text
    text = (await client.get(base + "?has_claims=no&site_type=SRA&kecamatan=Tangerang")).text
    assert "1 lokasi" in text and "SMP Negeri 1 Kota Tangerang" in text


async def test_the_list_is_paginated_and_the_pager_keeps_the_filters(client, world: World):
    for n in range(45):
        await make_site(world.regions["36.71"], f"2060{n:04d}", f"SD Negeri Uji {n:02d}", "SRA")
    await client.sign_in_as(world.verifier)
    base = f"/evaluations/{world.tangerang_evaluation}/sites"
    first = (await client.get(base + "?site_type=SRA")).text
    assert "45 lokasi · halaman 1 dari 3" in first and "SD Negeri Uji 19" in first and "SD Negeri Uji 20" not in first
    assert (f'href="{base}?q=&amp;site_type=SRA&amp;kecamatan=&amp;has_claims=&amp;visited=&amp;page_number=2" rel="next"'
            in first)
    third = (await client.get(base + "?site_type=SRA&page_number=3")).text
    assert "SD Negeri Uji 44" in third and 'rel="next"' not in third and 'rel="prev"' in third
    beyond = (await client.get(base + "?site_type=SRA&page_number=99")).text
    assert "halaman 3 dari 3" in beyond


async def test_the_site_page_shows_details_maps_links_and_claims(client, world: World):
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/sites/{world.tangerang_site}")
    assert response.status_code == 200
    text = response.text
    assert "Puspaga Kota Tangerang" in text and "Jl. Satria Sudirman No. 1" in text
    assert 'href="geo:-6.178300,106.631900?q=-6.178300,106.631900(Puspaga%20Kota%20Tangerang)"' in text
    assert 'href="https://www.google.com/maps/search/?api=1&amp;query=-6.178300%2C106.631900"' in text
    assert "PUSPAGA-02" in text and "diklaim terpenuhi" in text and "Klaim di KLA 2025" in text
    assert "Tersedia psikolog" in text  # the item's Indonesian text from the catalogue


async def test_a_site_without_coordinates_has_no_maps_link(client, world: World):
    site = await make_site(world.regions["36.71"], "X-1", "Tanpa Koordinat", "RBRA")
    await client.sign_in_as(world.verifier)
    text = (await client.get(f"/sites/{site}")).text
    assert "geo:" not in text and "Belum diketahui" in text


async def test_serang_gets_404_on_tangerangs_sites(client, world: World):
    await client.sign_in_as(world.serang)
    assert (await client.get(f"/sites/{world.tangerang_site}")).status_code == 404
    assert (await client.get(f"/evaluations/{world.tangerang_evaluation}/sites")).status_code == 404
    assert (await client.get(f"/sites/{world.serang_site}")).status_code == 200


async def test_a_verifier_sees_only_sites_of_assigned_districts(client, world: World):
    await client.sign_in_as(world.verifier)
    assert (await client.get(f"/sites/{world.serang_site}")).status_code == 404
    assert (await client.get(f"/evaluations/{world.serang_evaluation}/sites")).status_code == 404


async def test_get_site_for_user_follows_the_evaluation_access_rule(world: World):
    visible = {"admin": {world.tangerang_site, world.serang_site}, "verifier": {world.tangerang_site},
               "notetaker": {world.tangerang_site}, "tangerang": {world.tangerang_site},
               "serang": {world.serang_site}}
    for key, persona in world.personas.items():
        for site_id in (world.tangerang_site, world.serang_site):
            try:
                await queries.get_site_for_user(as_user(persona), site_id)
                seen = True
            except NotFound:
                seen = False
            assert seen == (site_id in visible[key]), (key, site_id)


async def test_list_sites_refuses_an_evaluation_the_user_may_not_see(world: World):
    try:
        await queries.list_sites(as_user(world.serang), world.tangerang_evaluation, SiteFilter())
    except NotFound:
        return
    raise AssertionError("Serang listed Tangerang's sites")


async def test_a_site_of_a_kabkota_in_no_visible_evaluation_is_hidden(world: World):
    denpasar = await make_site(world.regions["51.71"], "PSPG-01", "Puspaga Denpasar", "PUSPAGA")
    await make_site_item_claim(world.tangerang_evaluation, world.tangerang_site, "PUSPAGA-04")
    for persona in world.personas.values():
        if persona.key == "admin":
            continue
        try:
            await queries.get_site_for_user(as_user(persona), denpasar)
        except NotFound:
            continue
        raise AssertionError(persona.key)
