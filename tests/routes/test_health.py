"""/healthz: what a load balancer or `docker compose` asks before sending traffic."""

from __future__ import annotations

from fieldvisit.storage.local import LocalStore


async def test_healthz_reports_the_database_and_the_local_store_ok(client, app, settings):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "storage": "ok"}
    assert response.headers["cache-control"] == "no-store"
    store = app.state["blob_store"]
    assert isinstance(store, LocalStore) and store.root == settings.blob_dir.resolve()


async def test_healthz_answers_503_when_the_store_is_unreachable(client, app, tmp_path):
    (tmp_path / "blobs").write_text("a file where the folder should be")
    working = app.state["blob_store"]
    app.state["blob_store"] = LocalStore(tmp_path / "blobs")
    try:
        response = await client.get("/healthz")
    finally:
        app.state["blob_store"] = working
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "storage": "unreachable"}
