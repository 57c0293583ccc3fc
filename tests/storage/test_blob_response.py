"""A route that serves a blob, with either store: the bytes (local) or a redirect to a fresh
presigned URL (S3), through the app's ``store`` dependency."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from litestar import Litestar, Response, get
from litestar.di import Provide
from litestar.params import FromPath

from fieldvisit.storage.base import BlobStore, new_key
from fieldvisit.storage.local import LocalStore
from fieldvisit.web.auth import StoreDep
from fieldvisit.web.blobs import blob_response

THUMB = b"\xff\xd8\xff\xe0 a thumbnail \xff\xd9"


@get("/files/{key:path}")
async def serve(store: StoreDep, key: FromPath[str]) -> Response:
    return await blob_response(store, key.lstrip("/"), content_type="image/jpeg", filename="foto.jpg")


@pytest.fixture(params=["local", "s3"])
async def store(request, tmp_path: Path):
    blobs = LocalStore(tmp_path) if request.param == "local" else request.getfixturevalue("moto_s3").store()
    await blobs.prepare()
    return blobs


async def test_a_blob_is_streamed_by_the_app_or_redirected_to_a_fresh_presigned_url(store):
    key = new_key("thumb")
    await store.put(key, THUMB, "image/jpeg")
    app = Litestar([serve], dependencies={"store": Provide(lambda: store, sync_to_thread=False)})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        response = await client.get(f"/files/{key}")
    if isinstance(store, LocalStore):
        assert response.status_code == 200 and response.content == THUMB
        assert response.headers["content-type"] == "image/jpeg"
        assert response.headers["content-disposition"] == 'inline; filename="foto.jpg"; filename*=UTF-8\'\'foto.jpg'
        assert response.headers["cache-control"] == "private, max-age=300"
        return
    assert response.status_code == 302
    assert response.headers["cache-control"] == "private, max-age=60"
    async with httpx.AsyncClient() as browser:
        image = await browser.get(response.headers["location"])
    assert image.status_code == 200 and image.content == THUMB
    assert image.headers["content-type"] == "image/jpeg"


def test_the_app_gives_handlers_its_store(app):
    assert "store" in app.dependencies
    assert isinstance(app.state["blob_store"], BlobStore)
