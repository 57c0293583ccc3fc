"""The sites list filters on whether a site has been visited in this evaluation."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fieldvisit.visits.tables import Visit
from tests.support import World, make_site


async def test_sites_can_be_filtered_on_visited_or_not(client, world: World):
    other = await make_site(world.regions["36.71"], "SD-01", "SD Negeri 1 Tangerang", "SRA")
    await Visit.insert(Visit(district_evaluation=world.tangerang_evaluation, site=world.tangerang_site,
                             planned_on=date(2025, 5, 22), checked_in_at=datetime.now(UTC), status="in_progress"))
    await client.sign_in_as(world.verifier)
    url = f"/evaluations/{world.tangerang_evaluation}/sites"
    visited = (await client.get(url, params={"visited": "yes"})).text
    assert "Puspaga Kota Tangerang" in visited and "SD Negeri 1 Tangerang" not in visited
    not_visited = (await client.get(url, params={"visited": "no"})).text
    assert "SD Negeri 1 Tangerang" in not_visited and "Puspaga Kota Tangerang" not in not_visited
    assert other
