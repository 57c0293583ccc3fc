"""Error pages, security headers, CSRF, language and health."""

from __future__ import annotations

from tests.support import World


async def test_an_unknown_url_gets_the_404_page_in_indonesian(client):
    response = await client.get("/no/such/page")
    assert response.status_code == 404
    assert "Tidak ditemukan" in response.text
    assert "Traceback" not in response.text


async def test_an_unknown_url_gets_the_404_page_in_english_when_the_browser_asks(client):
    response = await client.get("/no/such/page", headers={"accept-language": "en-GB,en;q=0.9"})
    assert response.status_code == 404
    assert "Not found" in response.text
    assert '<html lang="en">' in response.text


async def test_every_response_carries_the_security_headers(client):
    for url in ("/login", "/no/such/page", "/static/app.css", "/healthz"):
        response = await client.get(url)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_a_post_without_csrf_token_gets_the_403_page(client, world: World):
    await client.get("/login")
    response = await client.post("/login", data={"email": world.admin.email, "password": "x"})
    assert response.status_code == 403
    assert "Tidak diizinkan" in response.text


async def test_a_forged_csrf_token_gets_403_also_for_htmx(client, world: World):
    await client.sign_in_as(world.admin)
    await client.get("/login")
    response = await client.post("/admin/users/new", data={"name": "x"},
                                 headers={"x-csrftoken": "forged" * 12, "hx-request": "true"})
    assert response.status_code == 403


async def test_the_csrf_token_in_a_form_field_is_accepted(client, world: World):
    token = await client.csrf_token()
    response = await client.post("/login", data={"email": world.admin.email, "password": "nope",
                                                 "_csrf_token": token})
    assert response.status_code == 422


async def test_choosing_english_is_remembered_for_the_user(client, world: World):
    await client.sign_in_as(world.verifier)
    assert "Kunjungan saya" in (await client.get("/")).text
    response = await client.post_form("/language", {"language": "en", "next": "/"})
    assert response.status_code == 303
    assert "My visits" in (await client.get("/")).text
    # a fresh browser of the same user (no language cookie) still gets English
    client.cookies.delete("fv_lang")
    assert "My visits" in (await client.get("/", headers={"accept-language": "id"})).text


async def test_an_anonymous_visitor_can_switch_the_login_page_to_english(client):
    await client.post_form("/language", {"language": "en", "next": "/login"})
    assert "Sign in" in (await client.get("/login")).text


async def test_a_htmx_request_for_a_signed_out_user_is_sent_to_login(client):
    response = await client.get("/admin/users", headers={"hx-request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"].startswith("/login")


async def test_health_reports_the_database(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_each_role_has_a_home_page_with_an_empty_state(client, world: World):
    expectations = [
        (world.admin, "Koordinasi evaluasi"),
        (world.verifier, "Belum ada kunjungan"),
        (world.notetaker, "Belum ada sesi hybrid"),
        (world.tangerang, "Kota Tangerang"),
    ]
    for persona, text in expectations:
        client.cookies.clear()
        await client.sign_in_as(persona)
        response = await client.get("/")
        assert response.status_code == 200
        assert text in response.text
