"""Photo originals (issue 8): only the evaluation's verifiers and admins open them; for photos of
sensitive sites (UPTD PPA, LKSA, or marked by an admin) a reason is required and every view or
download is in the audit log with it; note-takers and district staff always get 404; district
staff of another kab/kota get 404 for everything. Also blurring by hand and the admin's page."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.audit.tables import AuditEvent
from fieldvisit.privacy import queries
from fieldvisit.visits.tables import Photo
from tests.support import World, make_site
from tests.support_photos import make_photo

REASON = "Cek nomor register di papan yang kabur"


def store_of(app):
    return app.state["blob_store"]


async def lksa_photo(app, world: World) -> dict:
    site = await make_site(world.regions["36.71"], "LKSA-01", "LKSA Harapan Bunda", "LKSA")
    return await make_photo(store_of(app), evaluation_id=world.tangerang_evaluation, site_id=site,
                            uploaded_by=world.verifier.id)


async def puspaga_photo(app, world: World) -> dict:
    return await make_photo(store_of(app), evaluation_id=world.tangerang_evaluation, site_id=world.tangerang_site,
                            uploaded_by=world.verifier.id)


async def events(action: str) -> list[dict]:
    rows = await AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id)
    for row in rows:
        if isinstance(row["after"], str):
            row["after"] = json.loads(row["after"])
    return rows


async def test_a_district_user_of_the_same_district_gets_404_for_an_original_of_a_sensitive_site(
        app, client, world: World):
    photo = await lksa_photo(app, world)
    await client.sign_in_as(world.tangerang)
    for url in (f"/photos/{photo['id']}/original?reason={REASON}", f"/photos/{photo['id']}/original/reason",
                f"/photos/{photo['id']}/blur"):
        assert (await client.get(url)).status_code == 404, url
    assert await events("photo.original_viewed") == []


@pytest.mark.parametrize("sensitive", [True, False])
async def test_a_notetaker_gets_404_for_any_original(app, client, world: World, sensitive):
    photo = await (lksa_photo if sensitive else puspaga_photo)(app, world)
    await client.sign_in_as(world.notetaker)
    assert (await client.get(f"/photos/{photo['id']}/original?reason={REASON}")).status_code == 404
    assert (await client.get(f"/photos/{photo['id']}/original/reason")).status_code == 404


async def test_district_staff_of_another_district_get_404_for_everything(app, client, world: World):
    photo = await puspaga_photo(app, world)
    await client.sign_in_as(world.serang)
    for url in ("original", "original/reason", "blur"):
        assert (await client.get(f"/photos/{photo['id']}/{url}")).status_code == 404


async def test_a_verifier_of_another_evaluation_gets_404(app, client, world: World):
    photo = await make_photo(store_of(app), evaluation_id=world.serang_evaluation, site_id=world.serang_site,
                             uploaded_by=world.admin.id)
    await client.sign_in_as(world.verifier)  # on Tangerang's team only
    assert (await client.get(f"/photos/{photo['id']}/original")).status_code == 404


@pytest.mark.parametrize("reason", ["", "   ", "cek"])
async def test_an_original_of_a_sensitive_site_without_a_reason_is_refused_with_a_message(
        app, client, world: World, reason):
    photo = await lksa_photo(app, world)
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/photos/{photo['id']}/original", params={"reason": reason, "download": "on"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Sebutkan mengapa Anda memerlukan foto asli" in response.text
    assert photo["data"] not in response.content
    assert await events("photo.original_viewed") == [] and await events("photo.original_downloaded") == []


async def test_a_verifier_who_gives_a_reason_sees_the_original_and_it_is_audited(app, client, world: World):
    photo = await lksa_photo(app, world)
    await client.sign_in_as(world.verifier)
    form = await client.get(f"/photos/{photo['id']}/original/reason")
    assert form.status_code == 200 and "Situs sensitif" in form.text
    response = await client.get(f"/photos/{photo['id']}/original", params={"reason": REASON})
    assert response.status_code == 200 and response.content == photo["data"]
    assert response.headers["cache-control"] == "private, no-store"
    assert "attachment" not in response.headers.get("content-disposition", "")
    [event] = await events("photo.original_viewed")
    assert event["reason"] == REASON and event["actor"] == world.verifier.id
    assert event["object_id"] == str(photo["id"]) and event["after"]["sensitive"] is True
    assert event["district"] == world.regions["36.71"]


async def test_a_download_is_audited_as_a_download(app, client, world: World):
    photo = await lksa_photo(app, world)
    await client.sign_in_as(world.admin)
    response = await client.get(f"/photos/{photo['id']}/original", params={"reason": REASON, "download": "on"})
    assert response.status_code == 200 and response.content == photo["data"]
    assert response.headers["content-disposition"].startswith("attachment")
    assert f"photo-{photo['id']}-original.jpg" in response.headers["content-disposition"]
    [event] = await events("photo.original_downloaded")
    assert event["reason"] == REASON and event["actor"] == world.admin.id


async def test_an_original_of_another_site_needs_no_reason_but_is_still_audited(app, client, world: World):
    photo = await puspaga_photo(app, world)
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/photos/{photo['id']}/original")
    assert response.status_code == 200 and response.content == photo["data"]
    [event] = await events("photo.original_viewed")
    assert event["reason"] == "" and event["after"]["sensitive"] is False


async def test_a_purged_original_is_gone_on_purpose(app, client, world: World):
    photo = await lksa_photo(app, world)
    await Photo.update({Photo.original_purged_at: datetime.now(UTC)}).where(Photo.id == photo["id"])
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/photos/{photo['id']}/original", params={"reason": REASON})
    assert response.status_code == 410
    assert "dihapus sesuai kebijakan retensi" in response.text
    assert await events("photo.original_viewed") == []


# --- sensitive sites ------------------------------------------------------------------------------


async def test_an_admin_marks_one_site_sensitive_and_a_reason_is_then_required(app, client, world: World):
    photo = await puspaga_photo(app, world)
    await client.sign_in_as(world.admin)
    page = await client.get("/admin/sensitive", params={"q": "Puspaga Kota Tangerang"})
    assert page.status_code == 200 and "Puspaga Kota Tangerang" in page.text
    response = await client.post_form(f"/admin/sensitive/sites/{world.tangerang_site}", {"setting": "yes"})
    assert response.status_code == 303
    assert (await client.get(f"/photos/{photo['id']}/original")).status_code == 422
    [event] = await events("site.sensitive")
    assert event["after"] == {"sensitive": True} and event["actor"] == world.admin.id

    await client.post_form(f"/admin/sensitive/sites/{world.tangerang_site}", {"setting": "type"})
    assert (await client.get(f"/photos/{photo['id']}/original")).status_code == 200


async def test_a_single_site_marked_not_sensitive_overrides_its_type(app, client, world: World):
    photo = await lksa_photo(app, world)
    site_id = (await Photo.select(Photo.site).where(Photo.id == photo["id"]).first())["site"]
    await client.sign_in_as(world.admin)
    await client.post_form(f"/admin/sensitive/sites/{site_id}", {"setting": "no"})
    assert (await client.get(f"/photos/{photo['id']}/original")).status_code == 200


async def test_an_admin_marks_a_site_type_sensitive(app, client, world: World):
    from fieldvisit.catalogue.tables import SiteType

    photo = await puspaga_photo(app, world)
    puspaga = await SiteType.select(SiteType.id).where(SiteType.code == "PUSPAGA").first()
    await client.sign_in_as(world.admin)
    assert (await client.post_form(f"/admin/sensitive/site-types/{puspaga['id']}", {"sensitive": "1"})).status_code == 303
    try:
        assert (await client.get(f"/photos/{photo['id']}/original")).status_code == 422
        [event] = await events("site_type.sensitive")
        assert event["after"] == {"code": "PUSPAGA", "sensitive": True}
    finally:  # the catalogue outlives each test's clean-up
        await SiteType.update({SiteType.sensitive: False}).where(SiteType.id == puspaga["id"])


async def test_a_bad_site_setting_is_refused(client, world: World):
    await client.sign_in_as(world.admin)
    response = await client.post_form(f"/admin/sensitive/sites/{world.tangerang_site}", {"setting": "maybe"})
    assert response.status_code == 422


# --- blurring by hand -------------------------------------------------------------------------------


async def test_shows_a_person_makes_the_copies_again_blurred_all_over(app, client, world: World):
    photo = await puspaga_photo(app, world)
    store = store_of(app)
    before = await store.get(photo["display"])
    await client.sign_in_as(world.verifier)
    assert (await client.get(f"/photos/{photo['id']}/blur")).status_code == 200
    response = await client.post_form(f"/photos/{photo['id']}/blur", {"shows_person": "on", "box0_left": "10",
                                                                      "box0_top": "10", "box0_right": "30",
                                                                      "box0_bottom": "40"})
    assert response.status_code == 303
    row = await Photo.select().where(Photo.id == photo["id"]).output(load_json=True).first()
    assert row["shows_person"] is True and row["blur_boxes"] == [[0.1, 0.1, 0.3, 0.4]]
    assert row["display_key"] != photo["display"] and row["thumb_key"] != photo["thumb"]
    assert not await store.exists(photo["display"]) and not await store.exists(photo["thumb"])
    assert await store.get(row["display_key"]) != before
    assert await store.get(row["original_key"]) == photo["data"]  # the evidence is untouched
    [event] = await events("photo.blur_changed")
    assert event["after"]["shows_person"] is True and event["actor"] == world.verifier.id
    page = await client.get(f"/photos/{photo['id']}/blur")
    assert 'value="10"' in page.text and 'value="40"' in page.text


@pytest.mark.parametrize("box", [("10", "10", "5", "40"), ("x", "1", "2", "3"), ("10", "10", "130", "40"),
                                 ("10", "", "30", "40")])
async def test_a_bad_box_is_refused_with_a_message(app, client, world: World, box):
    photo = await puspaga_photo(app, world)
    await client.sign_in_as(world.verifier)
    fields = dict(zip(("box0_left", "box0_top", "box0_right", "box0_bottom"), box, strict=True))
    response = await client.post_form(f"/photos/{photo['id']}/blur", fields)
    assert response.status_code == 422 and "Kotak 1" in response.text
    assert await events("photo.blur_changed") == []


async def test_a_photo_whose_original_is_purged_cannot_be_blurred_again(app, client, world: World):
    photo = await puspaga_photo(app, world)
    await Photo.update({Photo.original_purged_at: datetime.now(UTC)}).where(Photo.id == photo["id"])
    await client.sign_in_as(world.verifier)
    response = await client.post_form(f"/photos/{photo['id']}/blur", {"shows_person": "on"})
    assert response.status_code == 422
    assert await events("photo.blur_changed") == []


# --- exports ---------------------------------------------------------------------------------------------


def current(persona) -> CurrentUser:
    return CurrentUser(id=persona.id, email=persona.email, name=persona.key, role=Role(persona.role),
                       district_id=persona.district_id, district_code=None, district_name=None, language=None,
                       must_change_password=False, session_id=0)


@pytest.mark.parametrize(("persona", "originals", "gps", "granted"), [
    ("admin", True, True, (True, True)),
    ("admin", False, True, (False, True)),
    ("admin", False, False, (False, False)),
    ("verifier", True, True, (False, False)),
    ("tangerang", True, True, (False, False)),
])
async def test_only_an_admin_who_asks_gets_originals_or_gps_in_an_export_and_it_is_audited(
        world: World, persona, originals, gps, granted):
    scope = await queries.export_scope(current(world.personas[persona]), "gaps.xlsx", want_originals=originals,
                                       want_gps=gps)
    assert (scope.originals, scope.gps) == granted
    audited = await events("export.sensitive")
    if any(granted):
        [event] = audited
        assert event["object_id"] == "gaps.xlsx" and event["after"] == {"originals": granted[0], "gps": granted[1]}
    else:
        assert audited == []


# --- faces are looked for harder at sensitive sites --------------------------------------------------


async def test_photos_waiting_for_derivatives_carry_their_sites_sensitivity(app, world: World):
    """The worker searches sensitive sites' photos at the whole display size: the pending rows
    say which they are, by the site's own setting, else its type's."""
    from fieldvisit.photos import queries as photos
    from fieldvisit.sites.tables import Site

    lksa, puspaga = await lksa_photo(app, world), await puspaga_photo(app, world)
    await Photo.update({Photo.derivatives_ready: False}).where(Photo.id.is_in([lksa["id"], puspaga["id"]]))

    async def pending() -> dict[int, bool]:
        return {r["id"]: r["sensitive"] for r in await photos.pending_derivatives(10)}

    assert await pending() == {lksa["id"]: True, puspaga["id"]: False}
    await Site.update({Site.sensitive: True}).where(Site.id == world.tangerang_site)
    lksa_site = (await Photo.select(Photo.site).where(Photo.id == lksa["id"]).first())["site"]
    await Site.update({Site.sensitive: False}).where(Site.id == lksa_site)
    assert await pending() == {lksa["id"]: False, puspaga["id"]: True}
