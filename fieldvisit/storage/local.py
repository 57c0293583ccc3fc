"""The local-folder blob store (the embedded default): one file per key under a root folder."""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from anyio import to_thread

from fieldvisit.storage.base import BlobNotFound, StoreUnavailable, check_key, check_prefix

_TEMP_PREFIX = ".tmp-"


class LocalStore:
    """Writes are atomic (a temporary file in the same folder, flushed to disk, then renamed),
    so a reader never sees half a blob and a crash leaves at most a ``.tmp-*`` file behind.
    The content type is not kept: the caller knows it (it is on the database row)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        """The file for ``key``; refuses keys (or symlinks) that lead outside the root."""
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise ValueError(f"blob key leaves the store: {key!r}")
        return path

    async def prepare(self) -> None:
        await to_thread.run_sync(self._prepare)

    def _prepare(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"local store {self.root}: {exc}") from exc

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self.path(key)
        await to_thread.run_sync(self._put, path, data)

    def _put(self, path: Path, data: bytes) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreUnavailable(f"local store put {path}: {exc}") from exc

    async def get(self, key: str) -> bytes:
        path = self.path(key)
        return await to_thread.run_sync(self._get, path, key)

    def _get(self, path: Path, key: str) -> bytes:
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise BlobNotFound() from None
        except OSError as exc:
            raise StoreUnavailable(f"local store get {path}: {exc}") from exc

    async def exists(self, key: str) -> bool:
        path = self.path(key)
        return await to_thread.run_sync(path.is_file)

    async def delete(self, key: str) -> None:
        path = self.path(key)
        await to_thread.run_sync(self._delete, path)

    def _delete(self, path: Path) -> None:
        try:
            path.unlink(missing_ok=True)
        except IsADirectoryError:
            pass
        except OSError as exc:
            raise StoreUnavailable(f"local store delete {path}: {exc}") from exc

    async def download_url(self, key: str, *, content_type: str, filename: str | None = None,
                           attachment: bool = False) -> str | None:
        check_key(key)
        return None  # the route sends the bytes itself

    async def list_keys(self, prefix: str = "", *, older_than: datetime | None = None) -> list[str]:
        check_prefix(prefix)
        return await to_thread.run_sync(self._list_keys, prefix, older_than)

    def _list_keys(self, prefix: str, older_than: datetime | None) -> list[str]:
        start = self.root / prefix.rpartition("/")[0]
        cutoff = older_than.timestamp() if older_than is not None else None
        keys = []
        for folder, _dirs, files in os.walk(start):
            for name in files:
                if name.startswith(_TEMP_PREFIX):
                    continue
                path = Path(folder, name)
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                if cutoff is not None:
                    try:
                        if path.stat().st_mtime >= cutoff:
                            continue
                    except FileNotFoundError:  # deleted meanwhile
                        continue
                keys.append(key)
        return sorted(keys)

    async def is_reachable(self) -> bool:
        return await to_thread.run_sync(lambda: self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK))
