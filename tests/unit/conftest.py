import pytest

from fieldvisit.web import i18n


@pytest.fixture(autouse=True)
def english():
    """Unit tests read messages in English (the route tests check the Indonesian pages)."""
    with i18n.language("en"):
        yield
