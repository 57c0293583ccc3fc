"""Issue 3 (load the evaluation): catalogue, rounds and district evaluations, sites, single claims.

Every id below belongs to Kota Tangerang's evaluation, so district staff of Serang get 404."""

from fieldvisit.catalogue.tables import CatalogueVersion
from tests.routes.access import admin_only, only, signed_in
from tests.support import assign, make_user

MINISTRY = only("admin", "verifier", "notetaker")  # the catalogue; district staff do not need it
TANGERANG = only("admin", "verifier", "notetaker", "tangerang")  # what Tangerang's evaluation shows

ROWS = {
    ("GET", "/catalogue"): MINISTRY,
    ("GET", "/catalogue/{version_id}"): MINISTRY,
    ("GET", "/catalogue/{version_id}/site-types/{site_type_code}"): MINISTRY,
    ("GET", "/admin/rounds"): admin_only(),
    ("GET", "/admin/rounds/new"): admin_only(),
    ("POST", "/admin/rounds/new"): admin_only(),
    ("GET", "/admin/rounds/{round_id}"): admin_only(),
    ("GET", "/admin/rounds/{round_id}/edit"): admin_only(),
    ("POST", "/admin/rounds/{round_id}/edit"): admin_only(),
    ("POST", "/admin/rounds/{round_id}/districts"): admin_only(),
    ("GET", "/admin/rounds/{round_id}/tolerances"): admin_only(),
    ("POST", "/admin/rounds/{round_id}/tolerances"): admin_only(),
    ("GET", "/admin/evaluations/{evaluation_id}"): admin_only(),
    ("POST", "/admin/evaluations/{evaluation_id}"): admin_only(),
    ("POST", "/admin/evaluations/{evaluation_id}/team"): admin_only(),
    ("POST", "/admin/evaluations/{evaluation_id}/team/{member_id}/remove"): admin_only(),
    ("GET", "/evaluations"): signed_in(),
    ("GET", "/evaluations/{evaluation_id}"): TANGERANG,
    ("GET", "/evaluations/{evaluation_id}/sites"): TANGERANG,
    ("GET", "/sites/{site_id}"): TANGERANG,
    ("GET", "/evaluations/{evaluation_id}/indicator-claim"): admin_only(),
    ("POST", "/evaluations/{evaluation_id}/indicator-claim"): admin_only(),
    ("GET", "/evaluations/{evaluation_id}/sites/{site_id}/item-claim"): admin_only(),
    ("POST", "/evaluations/{evaluation_id}/sites/{site_id}/item-claim"): admin_only(),
}


async def params(world):
    version = await CatalogueVersion.select(CatalogueVersion.id).first()
    # A member only the admin's removal touches (the world's verifier stays on the team).
    member_id = await make_user("extra-notulis@kemenpppa.test", "notetaker")
    await assign(world.tangerang_evaluation, member_id, "notetaker")
    return {"version_id": version["id"], "site_type_code": "PUSPAGA", "round_id": world.round_id,
            "evaluation_id": world.tangerang_evaluation, "site_id": world.tangerang_site, "member_id": member_id}
