"""What the app does with its store at start-up."""

from __future__ import annotations

import logging

from fieldvisit.app import prepare_store
from fieldvisit.storage.base import new_key
from tests.support_s3 import MotoS3


async def test_start_up_creates_the_missing_bucket(moto_s3: MotoS3):
    store = moto_s3.store()
    assert not await store.is_reachable()  # no bucket yet
    await prepare_store(store)
    assert await store.is_reachable()
    await store.put(new_key("photo"), b"x", "image/jpeg")


async def test_a_store_that_is_down_at_start_up_is_logged_and_does_not_stop_the_app(moto_s3: MotoS3, caplog):
    store = moto_s3.store()
    moto_s3.stop()
    try:
        with caplog.at_level(logging.WARNING, logger="fieldvisit.storage"):
            await prepare_store(store)
    finally:
        moto_s3.start()
    assert "blob store not ready at start-up" in caplog.text
    await prepare_store(store)  # back: the bucket is made then
    assert await store.is_reachable()
