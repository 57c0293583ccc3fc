"""The blob store contract: one suite, run against the local folder and against S3 (moto's
server over real HTTP). Whatever the app does with one store it can do with the other."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from fieldvisit.errors import NotFound
from fieldvisit.settings import Settings
from fieldvisit.storage.base import BlobNotFound, StoreUnavailable, make_store, new_key
from fieldvisit.storage.local import LocalStore
from fieldvisit.storage.s3 import S3Store
from tests.support_s3 import MotoS3

JPEG = b"\xff\xd8\xff\xe0 not really a jpeg, the store does not care \xff\xd9"


@pytest.fixture(params=["local", "s3"])
async def store(request, tmp_path: Path):
    if request.param == "local":
        blobs = LocalStore(tmp_path / "blobs")
    else:
        blobs = request.getfixturevalue("moto_s3").store()  # a fresh bucket for each test
    await blobs.prepare()
    return blobs


async def test_it_gives_back_what_was_put(store):
    key = new_key("photo")
    await store.put(key, JPEG, "image/jpeg")
    assert await store.get(key) == JPEG
    assert await store.exists(key)


async def test_a_second_put_under_the_same_key_replaces_the_blob(store):
    key = new_key("photo")
    await store.put(key, b"first", "image/jpeg")
    await store.put(key, b"second", "image/jpeg")
    assert await store.get(key) == b"second"
    assert await store.list_keys("photo/") == [key]


async def test_a_missing_key_is_not_found_and_does_not_exist(store):
    key = new_key("photo")
    with pytest.raises(BlobNotFound) as missing:
        await store.get(key)
    assert isinstance(missing.value, NotFound)  # a 404 if it reaches a handler
    assert not await store.exists(key)


async def test_delete_removes_the_blob_and_deleting_again_is_not_an_error(store):
    key = new_key("document")
    await store.put(key, b"%PDF-1.7 ...", "application/pdf")
    await store.delete(key)
    assert not await store.exists(key)
    await store.delete(key)
    await store.delete(new_key("document"))  # never existed


async def test_it_lists_the_keys_under_a_prefix_sorted(store):
    photos = sorted(new_key("photo") for _ in range(3))
    document = new_key("document")
    for key in [*photos, document]:
        await store.put(key, b"x", "application/octet-stream")
    assert await store.list_keys("photo/") == photos
    assert await store.list_keys("document/") == [document]
    assert await store.list_keys() == sorted([*photos, document])
    shard = photos[0][: len("photo/xx")]
    assert await store.list_keys(shard) == [k for k in photos if k.startswith(shard)]
    assert await store.list_keys("thumb/") == []


async def test_a_sweep_for_orphans_sees_only_blobs_older_than_asked(store):
    key = new_key("photo")
    await store.put(key, b"x", "image/jpeg")
    now = datetime.now(UTC)
    assert await store.list_keys("photo/", older_than=now + timedelta(minutes=1)) == [key]
    assert await store.list_keys("photo/", older_than=now - timedelta(minutes=1)) == []


@pytest.mark.parametrize("key", ["../outside", "/etc/passwd", "photo/../../outside", "photo/./x", "photo//x",
                                 "photo\\..\\x", "Photo/X", "photo/x\x00", "", ".hidden", "photo/"])
async def test_it_refuses_a_key_that_is_not_one_of_ours(store, key):
    for attempt in (lambda: store.put(key, b"x", "image/jpeg"), lambda: store.get(key),
                    lambda: store.exists(key), lambda: store.delete(key),
                    lambda: store.download_url(key, content_type="image/jpeg")):
        with pytest.raises(ValueError):
            await attempt()
    with pytest.raises(ValueError):
        await store.list_keys("../")


def test_new_keys_are_opaque_unique_and_carry_no_user_input():
    keys = {new_key("photo") for _ in range(1000)}
    assert len(keys) == 1000
    for key in keys:
        kind, shard, token = key.split("/")
        assert kind == "photo" and len(token) == 32 and token.startswith(shard)
    for kind in ["SD Negeri 1", "../photo", "photo/x", "", "x" * 40]:
        with pytest.raises(ValueError):
            new_key(kind)


async def test_it_is_reachable(store):
    assert await store.is_reachable()


async def test_a_download_link_is_a_fresh_presigned_url_for_s3_and_none_for_the_local_store(store):
    key = new_key("photo")
    await store.put(key, JPEG, "image/jpeg")
    url = await store.download_url(key, content_type="image/jpeg", filename="Puskesmas Karawaci.jpg",
                                   attachment=True)
    if isinstance(store, LocalStore):
        assert url is None  # the route streams the bytes itself
        return
    assert "X-Amz-Expires=300" in url
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 200
    assert answer.content == JPEG
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.headers["content-disposition"].startswith('attachment; filename="Puskesmas Karawaci.jpg"')
    assert answer.headers["cache-control"] == "private, max-age=300"


# --- S3 only ------------------------------------------------------------------------------


async def test_the_bucket_is_private(moto_s3: MotoS3):
    store = moto_s3.store()
    await store.prepare()
    await store.prepare()  # idempotent
    key = new_key("photo")
    await store.put(key, JPEG, "image/jpeg")
    async with httpx.AsyncClient() as anonymous:
        assert (await anonymous.get(f"{moto_s3.endpoint_url}/{store.bucket}/{key}")).status_code == 403


async def test_a_photo_sized_put_does_not_wait_for_100_continue_and_a_large_one_does(moto_s3: MotoS3):
    """A round trip to the store before each photo's bytes leave is saved below 2 MB."""
    from fieldvisit.storage.s3 import EXPECT_CONTINUE_FROM

    store = moto_s3.store()
    await store.prepare()
    expect: dict[int, bytes | None] = {}

    def seen(request, **_):  # type: ignore[no-untyped-def]  # registered after the store's own handler
        expect[len(request.body.getvalue())] = request.headers.get("Expect")

    store.client.meta.events.register("before-send.s3.PutObject", seen)
    small, large = b"x" * 300_000, b"x" * EXPECT_CONTINUE_FROM
    await store.put(new_key("photo"), small, "image/jpeg")
    await store.put(new_key("photo"), large, "image/jpeg")
    assert expect == {len(small): None, len(large): b"100-continue"}


async def test_when_the_endpoint_stops_a_put_fails_within_seconds_and_the_retry_stores_one_object(
        moto_s3: MotoS3):
    store = moto_s3.store()
    await store.prepare()
    key = new_key("photo")
    moto_s3.stop()
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.put(key, JPEG, "image/jpeg")
        assert time.monotonic() - started < 5
        assert not await store.is_reachable()
    finally:
        moto_s3.start()  # same port
    await store.put(key, JPEG, "image/jpeg")  # the client retries the same photo
    assert await store.list_keys() == [key]
    assert await store.get(key) == JPEG


async def test_a_host_that_accepts_but_never_answers_is_unavailable_after_the_read_timeout():
    with socket.socket() as hole:
        hole.bind(("127.0.0.1", 0))
        hole.listen(8)  # the kernel accepts connections; nobody ever answers
        store = S3Store(endpoint_url=f"http://127.0.0.1:{hole.getsockname()[1]}", bucket="fv-black-hole",
                        access_key_id="test", secret_access_key="test", read_timeout=0.5, max_attempts=1)
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            await store.get(new_key("photo"))
        assert time.monotonic() - started < 5


# --- local only ---------------------------------------------------------------------------


async def test_the_local_store_refuses_a_key_that_leaves_the_folder_through_a_symlink(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalStore(tmp_path / "blobs")
    await store.prepare()
    (store.root / "photo").symlink_to(outside)
    with pytest.raises(ValueError):
        await store.put("photo/ab/abcdef", b"x", "image/jpeg")
    assert list(outside.iterdir()) == []


async def test_the_local_store_writes_whole_files_and_leaves_no_temporary_file(tmp_path: Path):
    store = LocalStore(tmp_path / "blobs")
    key = new_key("photo")
    await store.put(key, JPEG, "image/jpeg")
    assert [p.name for p in store.path(key).parent.iterdir()] == [key.rsplit("/", 1)[1]]
    (store.path(key).parent / ".tmp-crashed").write_bytes(b"half")  # left by a crash mid-write
    assert await store.list_keys() == [key]


async def test_a_local_store_on_an_unusable_folder_is_unavailable(tmp_path: Path):
    (tmp_path / "blobs").write_text("a file where the folder should be")
    store = LocalStore(tmp_path / "blobs")
    assert not await store.is_reachable()
    with pytest.raises(StoreUnavailable):
        await store.put(new_key("photo"), JPEG, "image/jpeg")


def test_make_store_uses_s3_when_an_endpoint_is_set_and_the_local_folder_otherwise(tmp_path: Path):
    local = make_store(Settings.from_env({"VAR_DIR": str(tmp_path)}))
    assert isinstance(local, LocalStore) and local.root == (tmp_path / "blobs").resolve()
    s3 = make_store(Settings.from_env({"VAR_DIR": str(tmp_path), "S3_ENDPOINT_URL": "http://127.0.0.1:9",
                                       "S3_BUCKET": "fieldvisit-photos"}))
    assert isinstance(s3, S3Store) and s3.bucket == "fieldvisit-photos"
