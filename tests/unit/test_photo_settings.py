"""The photo settings added with the storage package."""

from __future__ import annotations

import pytest

from fieldvisit.settings import Settings, SettingsError


def test_the_browser_downscales_photos_to_2048_px_by_default():
    assert Settings.from_env({}).photo_client_long_edge == 2048
    assert Settings.from_env({"PHOTO_CLIENT_LONG_EDGE": "1600"}).photo_client_long_edge == 1600


@pytest.mark.parametrize("value", ["320", "20000", "big"])
def test_a_downscale_target_that_makes_no_sense_stops_start_up(value):
    with pytest.raises(SettingsError, match="PHOTO_CLIENT_LONG_EDGE"):
        Settings.from_env({"PHOTO_CLIENT_LONG_EDGE": value})
