"""Blob storage (local folder or S3) and the pure image pipeline (``images``)."""

from fieldvisit.storage.base import BlobNotFound, BlobStore, StoreUnavailable, make_store, new_key

__all__ = ["BlobNotFound", "BlobStore", "StoreUnavailable", "make_store", "new_key"]
