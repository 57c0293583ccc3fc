"""The admin manages users: create, edit, disable, reset, import; all audited."""

from __future__ import annotations

import json
import re

from fieldvisit.accounts.tables import User, UserSession
from fieldvisit.audit.tables import AuditEvent
from tests.support import World


async def test_an_admin_creates_a_district_user_who_must_change_the_temporary_password(client, make_client,
                                                                                        world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/users/new", {
        "email": "Budi@TangerangKota.test", "name": "Budi", "role": "district", "district": "36.71"})
    assert response.status_code == 200
    password = re.search(r'id="temporary-password">([^<]+)<', response.text).group(1)
    row = await User.select().where(User.email == "budi@tangerangkota.test").first()
    assert row["must_change_password"] and row["role"] == "district"
    async with make_client() as budi:
        login = await budi.login("budi@tangerangkota.test", password)
        assert login.headers["location"] == "/account/password"
    actions = [r["action"] for r in await AuditEvent.select(AuditEvent.action)]
    assert "user.create" in actions


async def test_creating_a_user_with_bad_input_shows_every_problem(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/users/new", {"email": "not-an-email", "name": "", "role": "district"})
    assert response.status_code == 422
    text = response.text
    assert "Masukkan alamat email seperti" in text
    assert "Masukkan nama orang tersebut." in text
    assert "Petugas daerah terikat pada satu kab/kota" in text
    assert await User.count() == 5


async def test_an_email_can_only_be_used_once(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/users/new", {"email": world.verifier.email, "name": "X",
                                                           "role": "verifier"})
    assert response.status_code == 422
    assert "sudah ada" in response.text


async def test_disabling_a_user_ends_their_sessions_and_is_audited(client, make_client, world: World):
    async with make_client() as vera:
        await vera.sign_in_as(world.verifier)
        assert (await vera.get("/")).status_code == 200
        await client.sign_in_as(world.admin)
        response = await client.post_form(f"/admin/users/{world.verifier.id}", {"name": "Vera", "role": "verifier"})
        assert response.status_code == 303
        assert (await vera.get("/")).status_code == 303
    event = await AuditEvent.select().where(AuditEvent.action == "user.update").first()
    before, after = (json.loads(event[k]) if isinstance(event[k], str) else event[k] for k in ("before", "after"))
    assert before["is_active"] is True and after["is_active"] is False


async def test_an_admin_cannot_disable_themselves(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/users/{world.admin.id}", {"name": "Admin", "role": "admin"})
    assert response.status_code == 422
    assert (await User.select(User.is_active).where(User.id == world.admin.id).first())["is_active"]


async def test_a_password_reset_issues_a_new_temporary_password(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/users/{world.verifier.id}/reset-password")
    assert response.status_code == 200
    assert (await User.select(User.must_change_password).where(User.id == world.verifier.id).first())[
        "must_change_password"]
    assert await UserSession.count().where(UserSession.user == world.verifier.id) == 0


async def test_users_are_imported_from_a_csv_all_or_nothing(client, world: World):
    await client.sign_in_as(world.admin)
    good = "email;nama;peran;kode_kabkota\nani@kemenpppa.test;Ani;verifikator;\nrudi@serangkota.test;Rudi;district;36.73\n"
    response = await client.post_form("/admin/users/import", files={"file": ("users.csv", good.encode(), "text/csv")})
    assert response.status_code == 200
    assert "2 pengguna dibuat." in response.text
    assert await User.count() == 7
    bad = "email,name,role,district\nx@a.test,X,verifier,\nbad,Y,wizard,\nz@a.test,Z,district,99.99\n"
    response = await client.post_form("/admin/users/import", files={"file": ("users.csv", bad.encode(), "text/csv")})
    assert response.status_code == 422
    assert "Baris 3" in response.text and "Baris 4" in response.text
    assert await User.count() == 7


async def test_an_admin_imports_regions_and_a_second_import_changes_nothing(client, world: World):
    await client.sign_in_as(world.admin)
    csv = ("code,name,level,province_code,time_zone,utc_offset\n"
           "52,Nusa Tenggara Barat,province,52,WITA,+08:00\n52.71,Kota Mataram,kota,52,WITA,+08:00\n")
    first = await client.post_form("/admin/regions", files={"file": ("r.csv", csv.encode(), "text/csv")})
    assert "2 baru" in first.text
    second = await client.post_form("/admin/regions", files={"file": ("r.csv", csv.encode(), "text/csv")})
    assert "0 baru, 0 berubah, 2 tidak berubah" in second.text


async def test_the_audit_log_is_searchable_by_action(client, world: World):
    await client.login(world.admin.email, "wrong password here")
    await client.sign_in_as(world.admin)
    response = await client.get("/admin/audit", params={"action": "login.failed"})
    assert response.status_code == 200
    assert world.admin.email in response.text


async def test_the_audit_log_refuses_updates_and_deletes(world: World):
    import pytest

    from fieldvisit.audit import queries as audit

    await audit.record(None, "test.event", actor_email="x@y.test")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.action: "changed"}).where(AuditEvent.action == "test.event")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.delete().where(AuditEvent.action == "test.event")
