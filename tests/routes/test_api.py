"""The JSON API: per-client tokens (hashed, revocable, never a session cookie), the two imports
with the same rules as the files (422 with row errors, dry run, all or nothing, idempotent),
reading sites and claims, and the OpenAPI schema that documents /api/v1 and nothing else."""

from __future__ import annotations

import hashlib
import re

from fieldvisit.api.tables import ApiClient
from fieldvisit.audit.tables import AuditEvent
from fieldvisit.claims.tables import IndicatorClaim
from fieldvisit.imports.tables import ImportBatch
from fieldvisit.sites.tables import Site
from tests.support import World

SITES = [
    {"code": "SDN-1", "name": "SD Negeri 1 Tangerang", "site_type": "SRA", "district": "36.71",
     "latitude": -6.177, "longitude": "106,63"},
    {"code": "RBRA-1", "name": "Taman Gajah Tunggal", "site_type": "rbra", "district": "36.71", "phone": "021-555"},
]


async def new_token(client, world: World, name: str = "Aplikasi KLA") -> str:
    await client.sign_in_as(world.admin)
    response = await client.post_form("/admin/api-clients", {"name": name})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    return re.search(r"(fvk_[A-Za-z0-9_-]+)", response.text).group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_token_is_shown_once_stored_hashed_and_revocable(client, make_client, world: World):
    token = await new_token(client, world)
    stored = await ApiClient.select().first()
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest() and token not in str(stored)
    page = (await client.get("/admin/api-clients")).text
    assert "Aplikasi KLA" in page and token not in page
    async with make_client() as program:
        response = await program.get("/api/v1/evaluations", headers=bearer(token))
        assert response.status_code == 200
        assert {e["district_code"] for e in response.json()} == {"36.71", "36.73"}
        await client.post_form(f"/admin/api-clients/{stored['id']}/revoke")
        response = await program.get("/api/v1/evaluations", headers=bearer(token))
        assert response.status_code == 401
    assert await AuditEvent.exists().where(AuditEvent.action == "api_client.revoke")


async def test_without_a_valid_token_the_api_answers_401_in_json_even_to_a_signed_in_admin(client, world: World):
    await client.sign_in_as(world.admin)
    for headers in ({}, bearer("fvk_not-a-token"), {"Authorization": "Basic YWRtaW46YWRtaW4="}):
        response = await client.get("/api/v1/evaluations", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["status"] == 401
    response = await client.post("/api/v1/sites/import", json={"sites": SITES})
    assert response.status_code == 401
    assert await Site.count() == 2


async def test_sites_are_imported_all_or_nothing_with_a_dry_run_and_idempotent(client, make_client, world: World):
    token = await new_token(client, world)
    async with make_client() as program:
        response = await program.post("/api/v1/sites/import", json={"sites": SITES, "dry_run": True},
                                      headers=bearer(token))
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "preview" and body["counts"]["new"] == 2 and body["import_id"] is None
        assert await Site.count() == 2 and await ImportBatch.count() == 0

        response = await program.post("/api/v1/sites/import", json={"sites": SITES}, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "committed" and body["counts"]["new"] == 2 and body["import_id"]
        assert await Site.count() == 4
        park = await Site.select().where(Site.code == "RBRA-1").first()
        assert park["site_type"] == "RBRA" and park["phone"] == "021-555"

        response = await program.post("/api/v1/sites/import", json={"sites": SITES}, headers=bearer(token))
        assert response.json()["status"] == "unchanged" and response.json()["counts"]["unchanged"] == 2
        assert await ImportBatch.count() == 1

        # a field left out keeps its stored value
        response = await program.post("/api/v1/sites/import", json={"sites": [
            {"code": "RBRA-1", "name": "Taman Gajah Tunggal (renovasi)", "site_type": "RBRA", "district": "36.71"}]},
            headers=bearer(token))
        assert response.json()["rows"][0]["changes"] == [
            {"field": "name", "old": "Taman Gajah Tunggal", "new": "Taman Gajah Tunggal (renovasi)"}]
        assert (await Site.select(Site.phone).where(Site.code == "RBRA-1").first())["phone"] == "021-555"
    event = await AuditEvent.select().where(AuditEvent.action == "sites.import").first()
    assert event["actor_email"] == "api:Aplikasi KLA" and event["actor"] is None


async def test_rows_with_errors_answer_422_with_row_column_and_message_and_write_nothing(client, make_client,
                                                                                      world: World):
    token = await new_token(client, world)
    bad = [*SITES, {"code": "X-1", "name": "Puskesmas", "site_type": "PUSKESMAS", "district": "36.71",
                    "latitude": 200, "longitude": 106}]
    async with make_client() as program:
        response = await program.post("/api/v1/sites/import", json={"sites": bad},
                                      headers={**bearer(token), "Accept-Language": "en"})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "invalid" and body["counts"]["errors"] == 1
    row = next(r for r in body["rows"] if r["outcome"] == "error")
    assert row["row"] == 3
    assert {p["column"] for p in row["problems"]} == {"site_type", "latitude"}
    assert any("Did you mean PUSKESMAS_RA" in p["message"] for p in row["problems"])
    assert await Site.count() == 2 and await ImportBatch.count() == 0


async def test_a_request_without_the_kabkota_is_told_what_is_missing(client, make_client, world: World):
    token = await new_token(client, world)
    async with make_client() as program:
        sites = [{"code": "A", "name": "A", "site_type": "SRA"}]
        response = await program.post("/api/v1/sites/import", json={"sites": sites},
                                      headers={**bearer(token), "Accept-Language": "en"})
        assert response.status_code == 422 and "Missing column: kab/kota code" in response.json()["message"]
        response = await program.post("/api/v1/sites/import", json={"sites": sites, "district": "36.73"},
                                      headers=bearer(token))
        assert response.status_code == 200 and response.json()["status"] == "committed"
    assert await Site.exists().where((Site.code == "A") & (Site.district == world.regions["36.73"]))


async def test_claims_are_imported_and_read_back_with_the_self_assessment(client, make_client, world: World):
    token = await new_token(client, world)
    payload = {
        "indicator_claims": [
            {"indicator": "I04", "value": "92,5", "unit": "%", "claimed_score": 38,
             "documents": [{"title": "Data akta", "link": "https://tangerangkota.go.id/akta.pdf"}]},
            {"indicator": "6", "value": True, "claimed_score": "30,5"},
        ],
        "site_item_claims": [{"site_code": "PSPG-01", "item": "PUSPAGA-01", "status": "terpenuhi"}],
    }
    url = f"/api/v1/evaluations/{world.tangerang_evaluation}/claims"
    async with make_client() as program:
        response = await program.post(url + "/import", json=payload, headers=bearer(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["counts"]["new"] == 3 and body["self_assessment"] == {"total": "102.50", "predicate": "NONE"}
        claims = (await program.get(url, headers=bearer(token))).json()
        sites = (await program.get(f"/api/v1/evaluations/{world.tangerang_evaluation}/sites",
                                   headers=bearer(token))).json()
    by_code = {c["indicator_code"]: c for c in claims["indicator_claims"]}
    assert by_code["I04"]["value"] == "92.5" and by_code["I04"]["value_kind"] == "percent"
    assert by_code["I06"]["value_kind"] == "yesno" and by_code["I06"]["claimed_score"] == "30.50"
    assert by_code["I04"]["documents"] == [{"title": "Data akta", "link": "https://tangerangkota.go.id/akta.pdf"}]
    assert {(c["site_code"], c["item_code"]) for c in claims["site_item_claims"]} == {
        ("PSPG-01", "PUSPAGA-01"), ("PSPG-01", "PUSPAGA-02")}
    assert [s["code"] for s in sites] == ["PSPG-01"]
    assert await IndicatorClaim.count() == 3


async def test_an_unknown_evaluation_is_404_in_json(client, make_client, world: World):
    token = await new_token(client, world)
    async with make_client() as program:
        response = await program.get("/api/v1/evaluations/999999/claims", headers=bearer(token))
    assert response.status_code == 404 and response.json()["error"]["status"] == 404


async def test_a_body_over_the_import_limit_is_refused_with_the_limit_named(client, make_client, world: World,
                                                                           settings):
    token = await new_token(client, world)
    body = b'{"sites": [], "padding": "' + b"x" * (settings.max_import_mb * 1024 * 1024 + 10) + b'"}'
    async with make_client() as program:
        response = await program.post("/api/v1/sites/import", content=body,
                                      headers={**bearer(token), "Content-Type": "application/json",
                                               "Accept-Language": "en"})
    assert response.status_code == 413
    assert f"{settings.max_import_mb} MB" in response.json()["error"]["message"]


async def test_the_openapi_schema_documents_the_api_and_nothing_else(client):
    response = await client.get("/api/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert set(schema["paths"]) == {
        "/api/v1/evaluations", "/api/v1/evaluations/{evaluation_id}/sites",
        "/api/v1/evaluations/{evaluation_id}/claims", "/api/v1/sites/import",
        "/api/v1/evaluations/{evaluation_id}/claims/import"}
    assert schema["components"]["securitySchemes"]["apiToken"] == {
        "type": "http", "scheme": "bearer", "description": "An API client's token"}
    operation = schema["paths"]["/api/v1/sites/import"]["post"]
    assert operation["security"] == [{"apiToken": []}]
    assert {"200", "401", "409", "422"} <= set(operation["responses"])
    assert "SiteIn" in schema["components"]["schemas"] and "ImportOut" in schema["components"]["schemas"]
