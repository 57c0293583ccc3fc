"""The API client admin page (admins only) and the JSON API: a session cookie never
authenticates an API call, so every persona, admin included, gets 401 without a token."""

from tests.routes.access import PERSONAS, admin_only

NO_TOKEN = dict.fromkeys(PERSONAS, "401")

ROWS = {
    ("GET", "/admin/api-clients"): admin_only(),
    ("POST", "/admin/api-clients"): admin_only(),
    ("POST", "/admin/api-clients/{client_id}/revoke"): admin_only(),
    ("GET", "/api/v1/evaluations"): NO_TOKEN,
    ("GET", "/api/v1/evaluations/{evaluation_id}/sites"): NO_TOKEN,
    ("GET", "/api/v1/evaluations/{evaluation_id}/claims"): NO_TOKEN,
    ("POST", "/api/v1/sites/import"): NO_TOKEN,
    ("POST", "/api/v1/evaluations/{evaluation_id}/claims/import"): NO_TOKEN,
}


async def params(world):
    from fieldvisit.api.tables import ApiClient

    [row] = await ApiClient.insert(ApiClient(name="access test", token_hash="0" * 64, token_hint="fvk_0000")).returning(
        ApiClient.id)
    return {"client_id": row["id"], "evaluation_id": world.tangerang_evaluation}
