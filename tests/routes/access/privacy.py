"""The privacy notice is public. A photo's original, its reason form and blurring by hand are
for the evaluation's verifiers and admins: note-takers and district staff of the same kab/kota
get 404 (not 403: nothing confirms an original exists), district staff of another kab/kota 404
for everything. Sensitive sites are set by admins only."""

from tests.routes.access import admin_only, everyone, only

ORIGINALS = only("admin", "verifier")

ROWS = {
    ("GET", "/privacy"): everyone(),
    ("GET", "/photos/{photo_id}/original"): ORIGINALS,
    ("GET", "/photos/{photo_id}/original/reason"): ORIGINALS,
    ("GET", "/photos/{photo_id}/blur"): ORIGINALS,
    ("POST", "/photos/{photo_id}/blur"): ORIGINALS,
    ("GET", "/admin/sensitive"): admin_only(),
    ("POST", "/admin/sensitive/site-types/{site_type_id}"): admin_only(),
    ("POST", "/admin/sensitive/sites/{site_id}"): admin_only(),
}


async def params(world):
    from fieldvisit.catalogue.tables import SiteType
    from fieldvisit.settings import Settings
    from fieldvisit.storage.base import make_store
    from tests.support_photos import make_photo

    store = make_store(Settings.from_env())
    await store.prepare()
    photo = await make_photo(store, evaluation_id=world.tangerang_evaluation, site_id=world.tangerang_site,
                             uploaded_by=world.verifier.id)
    site_type = await SiteType.select(SiteType.id).where(SiteType.code == "PUSPAGA").first()
    return {"photo_id": photo["id"], "site_type_id": site_type["id"], "site_id": world.tangerang_site}
