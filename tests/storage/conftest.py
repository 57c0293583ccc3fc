from __future__ import annotations

import pytest

from tests.support_s3 import MotoS3, running_moto


@pytest.fixture(scope="session")
def moto_s3() -> MotoS3:
    with running_moto() as server:
        yield server
