"""The S3 blob store: any S3-compatible endpoint (AWS, MinIO, moto) in a private bucket."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import boto3
from anyio import to_thread
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.utils import determine_content_length

from fieldvisit.settings import Settings
from fieldvisit.storage.base import (
    PRESIGNED_SECONDS,
    BlobNotFound,
    StoreUnavailable,
    check_key,
    check_prefix,
    content_disposition,
)

log = logging.getLogger("fieldvisit.storage")
T = TypeVar("T")

# Timeouts and retries (STACK-NOTES §6, re-measured against moto with these values): a refused
# connection fails in 0.1-0.3 s; a host that accepts but never answers fails after about 9 s,
# for a GET and for a PUT (0.3 MB or 3 MB; re-measured 2026-12-06). One retry hides a brief
# hiccup; anything longer is a quick "not saved, try again", not a phone waiting minutes.
CONNECT_TIMEOUT = 2.0
READ_TIMEOUT = 3.0
MAX_ATTEMPTS = 2
#: Kept-alive connections to the store: as many as the worker threads that may call it at once
#: (anyio's default limit, 40). botocore's default of 10 made a burst of uploads open and drop a
#: new connection for each call beyond ten.
POOL_CONNECTIONS = 40
#: botocore asks the store for "100 Continue" before sending any PutObject body: a round trip to
#: the store before each photo's bytes leave (to a store in another region, tens of ms per photo).
#: Below this size the body is sent at once, as the JavaScript SDK (v3) does below 2 MB.
EXPECT_CONTINUE_FROM = 2 * 1024 * 1024
_UNAVAILABLE_CODES = {"InternalError", "ServiceUnavailable", "SlowDown", "RequestTimeout", "RequestTimeTooSkewed"}
_MISSING_CODES = {"404", "NoSuchKey", "NotFound"}


class S3Store:
    """One boto3 client, made once (it is thread-safe and costs ~8 ms to build), path-style
    addressing and signature v4 so MinIO and moto work as AWS does."""

    def __init__(self, *, endpoint_url: str, bucket: str, access_key_id: str = "", secret_access_key: str = "",
                 region: str = "us-east-1", public_url: str = "", connect_timeout: float = CONNECT_TIMEOUT,
                 read_timeout: float = READ_TIMEOUT, max_attempts: int = MAX_ATTEMPTS) -> None:
        self.bucket = bucket
        self.region = region
        config = Config(signature_version="s3v4", s3={"addressing_style": "path"},
                        connect_timeout=connect_timeout, read_timeout=read_timeout,
                        retries={"max_attempts": max_attempts, "mode": "standard"},
                        max_pool_connections=POOL_CONNECTIONS)
        credentials = {"aws_access_key_id": access_key_id or None, "aws_secret_access_key": secret_access_key or None}
        self.client = boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config, **credentials)
        self.client.meta.events.register("before-send.s3.PutObject", _no_expect_for_small_bodies)
        # Presigned links are signed for the host the browser will use (S3_PUBLIC_URL).
        self._signer = self.client
        if public_url and public_url.rstrip("/") != endpoint_url.rstrip("/"):
            self._signer = boto3.client("s3", endpoint_url=public_url, region_name=region, config=config,
                                        **credentials)

    @classmethod
    def from_settings(cls, settings: Settings) -> S3Store:
        return cls(endpoint_url=settings.s3_endpoint_url, bucket=settings.s3_bucket,
                   access_key_id=settings.s3_access_key_id, secret_access_key=settings.s3_secret_access_key,
                   region=settings.s3_region, public_url=settings.s3_public_url)

    def __repr__(self) -> str:
        return f"S3Store({self.client.meta.endpoint_url!r}, bucket={self.bucket!r})"

    async def _call(self, what: str, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run one boto3 call in a worker thread; a network failure becomes StoreUnavailable."""

        def call() -> T:
            try:
                return fn(**kwargs)
            except (BotoConnectionError, HTTPClientError) as exc:
                raise StoreUnavailable(f"S3 {what}: {exc}") from exc
            except ClientError as exc:
                if _code(exc) in _UNAVAILABLE_CODES or _status(exc) >= 500:
                    raise StoreUnavailable(f"S3 {what}: {exc}") from exc
                raise

        return await to_thread.run_sync(call)

    async def ensure_bucket(self) -> None:
        """Create the (private: no ACL, no policy) bucket unless it is there already."""
        try:
            await self._call("head_bucket", self.client.head_bucket, Bucket=self.bucket)
            return
        except ClientError as exc:
            if _code(exc) not in _MISSING_CODES | {"NoSuchBucket"}:
                raise
        extra: dict[str, Any] = {}
        if self.region != "us-east-1":
            extra["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
        try:
            await self._call("create_bucket", self.client.create_bucket, Bucket=self.bucket, **extra)
            log.info("created bucket %s", self.bucket)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    async def prepare(self) -> None:
        await self.ensure_bucket()

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await self._call("put", self.client.put_object, Bucket=self.bucket, Key=check_key(key), Body=data,
                         ContentType=content_type)

    async def get(self, key: str) -> bytes:
        try:
            answer = await self._call("get", self.client.get_object, Bucket=self.bucket, Key=check_key(key))
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                raise BlobNotFound() from None
            raise
        body = answer["Body"]
        try:
            return await to_thread.run_sync(body.read)
        except (BotoConnectionError, HTTPClientError, OSError) as exc:
            raise StoreUnavailable(f"S3 get {key}: {exc}") from exc
        finally:
            body.close()

    async def exists(self, key: str) -> bool:
        try:
            await self._call("head", self.client.head_object, Bucket=self.bucket, Key=check_key(key))
            return True
        except ClientError as exc:
            if _code(exc) in _MISSING_CODES:
                return False
            raise

    async def delete(self, key: str) -> None:
        await self._call("delete", self.client.delete_object, Bucket=self.bucket, Key=check_key(key))

    async def download_url(self, key: str, *, content_type: str, filename: str | None = None,
                           attachment: bool = False) -> str | None:
        params = {"Bucket": self.bucket, "Key": check_key(key), "ResponseContentType": content_type,
                  "ResponseContentDisposition": content_disposition(filename, attachment=attachment),
                  "ResponseCacheControl": f"private, max-age={PRESIGNED_SECONDS}"}
        # Signing is local computation, no request is sent.
        return await to_thread.run_sync(lambda: self._signer.generate_presigned_url(
            "get_object", Params=params, ExpiresIn=PRESIGNED_SECONDS))

    async def list_keys(self, prefix: str = "", *, older_than: datetime | None = None) -> list[str]:
        check_prefix(prefix)

        def scan() -> list[str]:
            keys = []
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    if older_than is None or item["LastModified"] < older_than:
                        keys.append(item["Key"])
            return sorted(keys)

        return await self._call("list", scan)

    async def is_reachable(self) -> bool:
        try:
            await self._call("head_bucket", self.client.head_bucket, Bucket=self.bucket)
        except Exception as exc:  # noqa: BLE001 - a health check reports, it does not raise
            log.warning("S3 store not reachable: %s", exc)
            return False
        return True


def _no_expect_for_small_bodies(request: Any, **_: Any) -> None:
    """Before a PutObject is sent: no "Expect: 100-continue" on a body under EXPECT_CONTINUE_FROM
    (the header is not signed)."""
    size = determine_content_length(request.body)
    if size is not None and size < EXPECT_CONTINUE_FROM:
        request.headers.pop("Expect", None)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
