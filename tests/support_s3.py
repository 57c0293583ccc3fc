"""moto's S3 server on 127.0.0.1 over real HTTP, for any test folder that needs S3.

Use it from a conftest as a session fixture::

    @pytest.fixture(scope="session")
    def moto_s3():
        with running_moto() as server:
            yield server

The server can be stopped and started again on the same port (to test an outage); moto keeps
its buckets in the process, so what was stored before the outage is still there after it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

ACCESS_KEY = "test"
SECRET_KEY = "test"
REGION = "us-east-1"


class MotoS3:
    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # verbose=False does not silence it
        self.port = 0
        self._server: ThreadedMotoServer | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Start on a free port the first time, then on the same port again."""
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        server.start()
        self.port = server.get_host_and_port()[1]
        self._server = server

    def stop(self) -> None:
        """Stop and close the listening socket, so clients get "connection refused"
        (moto's own stop() leaves it open, and clients would hang instead)."""
        if self._server is None:
            return
        self._server.stop()
        if self._server._server is not None:
            self._server._server.server_close()
        self._server = None

    def settings_env(self, bucket: str | None = None) -> dict[str, str]:
        """The environment that points FieldVisit at this server (a fresh bucket by default)."""
        return {"S3_ENDPOINT_URL": self.endpoint_url, "S3_BUCKET": bucket or new_bucket_name(),
                "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY, "S3_REGION": REGION}

    def store(self, bucket: str | None = None):  # -> S3Store (imported late: tests set the env first)
        from fieldvisit.storage.s3 import S3Store

        return S3Store(endpoint_url=self.endpoint_url, bucket=bucket or new_bucket_name(),
                       access_key_id=ACCESS_KEY, secret_access_key=SECRET_KEY, region=REGION)


def new_bucket_name() -> str:
    return f"fv-test-{uuid.uuid4().hex[:12]}"


@contextmanager
def running_moto() -> Iterator[MotoS3]:
    server = MotoS3()
    server.start()
    try:
        yield server
    finally:
        server.stop()
