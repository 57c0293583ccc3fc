"""Foundation routes: login, account, admin users/regions/audit, home, health."""

from tests.routes.access import admin_only, everyone, signed_in
from tests.support import make_user

ROWS = {
    ("GET", "/login"): everyone(),
    ("POST", "/login"): everyone(),
    ("POST", "/logout"): signed_in(),
    ("POST", "/language"): everyone(),
    ("GET", "/account/password"): signed_in(),
    ("POST", "/account/password"): signed_in(),
    ("GET", "/"): signed_in(),
    ("GET", "/healthz"): everyone(),
    ("GET", "/hello"): everyone(),
    ("GET", "/admin/users"): admin_only(),
    ("GET", "/admin/users/new"): admin_only(),
    ("POST", "/admin/users/new"): admin_only(),
    ("GET", "/admin/users/import"): admin_only(),
    ("POST", "/admin/users/import"): admin_only(),
    ("GET", "/admin/users/{user_id}"): admin_only(),
    ("POST", "/admin/users/{user_id}"): admin_only(),
    ("POST", "/admin/users/{user_id}/reset-password"): admin_only(),
    ("GET", "/admin/regions"): admin_only(),
    ("POST", "/admin/regions"): admin_only(),
    ("GET", "/admin/audit"): admin_only(),
    # the API's OpenAPI schema is public (it describes, it does not show data)
    ("GET", "/api/schema"): everyone(),
    ("GET", "/api/schema/openapi.json"): everyone(),
    ("GET", "/api/schema/{path}"): everyone("404"),
}


async def params(world):
    return {"user_id": await make_user("target@kemenpppa.test", "verifier"), "path": "nothing-here"}
