"""The service worker (issue 7): served from the root so that its scope is the whole app,
never cached stale by the browser, under the same CSP as every page; and the outbox's parts
on the pages (the banner's strings, the user it belongs to, the ready-offline marks)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.support import World, make_visit


async def test_the_service_worker_is_served_at_the_root_with_a_root_scope(client):
    response = await client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "worker-src 'self'" in response.headers["content-security-policy"]
    assert 'addEventListener("fetch"' in response.text


async def test_a_page_names_its_user_and_carries_the_outbox_banner_in_the_users_language(world: World, client):
    await client.sign_in_as(world.verifier)
    page = (await client.get("/")).text
    assert f'data-user="{world.verifier.id}"' in page
    assert 'id="outbox"' in page and "/static/outbox.js" in page
    assert "{findings} dan {photos} belum terkirim" in page
    assert "Penggunaan tanpa koneksi tidak tersedia di peramban ini" in page


async def test_the_login_page_has_no_outbox(client):
    page = (await client.get("/login")).text
    assert 'id="outbox"' not in page and "data-user=" not in page


async def test_the_verifiers_home_marks_todays_visits_for_offline_use(world: World, client):
    visit = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id],
                             planned_on=datetime.now(timezone(timedelta(hours=7))).date())  # today in WIB
    await client.sign_in_as(world.verifier)
    page = (await client.get("/")).text
    assert f'data-offline-url="/visits/{visit}" data-offline-today' in page
