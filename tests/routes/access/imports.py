"""Import pages: admins only; everyone else gets 404 (anonymous: the login page)."""

from tests.routes.access import admin_only

ROWS = {
    ("GET", "/admin/imports"): admin_only(),
    ("GET", "/admin/imports/sites/new"): admin_only(),
    ("POST", "/admin/imports/sites"): admin_only(),
    ("GET", "/admin/imports/claims/new"): admin_only(),
    ("POST", "/admin/imports/claims"): admin_only(),
    ("GET", "/admin/imports/templates/{file_name}"): admin_only(),
    ("GET", "/admin/imports/{batch_id}"): admin_only(),
    ("POST", "/admin/imports/{batch_id}/confirm"): admin_only(),
    ("POST", "/admin/imports/{batch_id}/preview-again"): admin_only(),
    ("POST", "/admin/imports/{batch_id}/discard"): admin_only(),
    ("POST", "/admin/imports/{batch_id}/undo"): admin_only(),
    ("POST", "/admin/imports/{batch_id}/deactivate"): admin_only(),
}


async def params(world):
    from fieldvisit.imports import queries
    from fieldvisit.imports.reader import MB

    raw = b"kode_lokasi,nama,jenis\nSRA-1,SD Negeri 1 Tangerang,SRA\n"
    batch_id = await queries.preview_sites(queries.cli_actor(), raw, "sites.csv",
                                           queries.SiteOptions("36.71"), max_bytes=MB)
    return {"batch_id": batch_id, "file_name": "sites.csv"}
