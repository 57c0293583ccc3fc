"""Signing in and out: the login page as a specification."""

from __future__ import annotations

from datetime import UTC

from tests.support import PASSWORD, World, make_user


async def test_it_signs_in_with_email_and_password_and_lands_home(client, world: World):
    response = await client.login("Vera@KemenPPPA.test")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    home = await client.get("/")
    assert home.status_code == 200
    assert "Vera" in home.text


async def test_the_session_cookie_is_httponly_and_samesite_lax(client, world: World):
    response = await client.login(world.verifier.email)
    cookie = response.headers["set-cookie"]
    assert "fv_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie


async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(client, world: World):
    wrong = await client.login(world.verifier.email, "not the password")
    unknown = await client.login("nobody@kemenpppa.test", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    assert "Email atau kata sandi salah." in wrong.text
    assert "Email atau kata sandi salah." in unknown.text
    assert "fv_session" not in wrong.headers.get("set-cookie", "")


async def test_a_disabled_user_cannot_sign_in(client, world: World):
    await make_user("old@kemenpppa.test", "verifier", is_active=False)
    response = await client.login("old@kemenpppa.test")
    assert response.status_code == 422
    assert "dinonaktifkan" in response.text


async def test_the_sixth_rapid_failure_is_refused_with_429_and_a_time(client, world: World):
    for _ in range(5):
        assert (await client.login(world.verifier.email, "wrong")).status_code == 422
    sixth = await client.login(world.verifier.email, PASSWORD)  # even the right password waits
    assert sixth.status_code == 429
    assert "Retry-After" in sixth.headers
    assert "Coba lagi setelah" in sixth.text


async def test_throttling_is_per_account_not_per_address(client, world: World):
    for _ in range(5):
        await client.login(world.verifier.email, "wrong")
    other = await client.login(world.admin.email)  # same address, other account
    assert other.status_code == 303


async def test_the_session_id_changes_at_login(client, world: World):
    await client.sign_in_as(world.verifier)
    before = client.cookies.get("fv_session")
    response = await client.login(world.verifier.email)
    assert response.status_code == 303
    after = client.cookies.get("fv_session")
    assert after and after != before
    client.cookies.set("fv_session", before, domain="testserver.local")
    assert (await client.get("/")).status_code == 303  # the old id no longer works


async def test_logout_ends_the_session(client, world: World):
    await client.login(world.verifier.email)
    token = client.cookies.get("fv_session")
    response = await client.post_form("/logout")
    assert response.status_code == 303
    client.cookies.set("fv_session", token, domain="testserver.local")
    assert (await client.get("/")).headers["location"].startswith("/login")


async def test_an_anonymous_visit_goes_to_login_then_back_to_the_page(client, world: World):
    response = await client.get("/admin/users?q=vera")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/users%3Fq%3Dvera"
    login = await client.login(world.admin.email, next="/admin/users?q=vera")
    assert login.headers["location"] == "/admin/users?q=vera"


async def test_an_expired_session_goes_back_to_login_with_the_page_asked_for(client, world: World):
    from datetime import datetime, timedelta

    from fieldvisit.accounts.tables import UserSession

    await client.sign_in_as(world.admin)
    old = datetime.now(UTC) - timedelta(days=2)
    await UserSession.update({UserSession.last_seen_at: old}).where(UserSession.user == world.admin.id)
    response = await client.get("/admin/audit")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/audit"
    assert await UserSession.count().where(UserSession.user == world.admin.id) == 0


async def test_login_never_redirects_to_another_site(client, world: World):
    response = await client.login(world.admin.email, next="//evil.example/x")
    assert response.headers["location"] == "/"


async def test_a_temporary_password_must_be_changed_first(client, world: World):
    await make_user("new@kemenpppa.test", "verifier", must_change_password=True)
    response = await client.login("new@kemenpppa.test")
    assert response.headers["location"] == "/account/password"
    assert (await client.get("/")).headers["location"] == "/account/password"
    weak = await client.post_form("/account/password", {"current": PASSWORD, "new": "short", "repeat": "short"})
    assert weak.status_code == 422
    done = await client.post_form("/account/password", {"current": PASSWORD, "new": "a much longer secret",
                                                         "repeat": "a much longer secret"})
    assert done.status_code == 303
    assert (await client.get("/")).status_code == 200


async def test_failed_and_successful_logins_are_audited(client, world: World):
    from fieldvisit.audit.tables import AuditEvent

    await client.login(world.verifier.email, "wrong")
    await client.login(world.verifier.email)
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action).order_by(AuditEvent.id)]
    assert actions == ["login.failed", "login"]
