"""Pure rules of photo evidence: the idempotent upload, the distance kept, the badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from fieldvisit.photos.domain import (
    BadgeKind,
    Provenance,
    StoredPhoto,
    UploadDecision,
    badges,
    decide_upload,
    photo_distance,
)

SHA = "a" * 64
T0 = datetime(2025, 7, 14, 2, 0, tzinfo=UTC)  # check-in, 09:00 WIB
SLACK = timedelta(hours=2)


@pytest.mark.parametrize(("stored", "visit", "item", "sha", "expected"), [
    (None, 1, "X-01", SHA, UploadDecision.NEW),
    (StoredPhoto(1, "X-01", SHA), 1, "X-01", SHA, UploadDecision.REPLAY),
    (StoredPhoto(1, "X-01", SHA), 1, "X-01", "b" * 64, UploadDecision.CONFLICT),
    (StoredPhoto(1, "X-01", SHA), 2, "X-01", SHA, UploadDecision.CONFLICT),
    (StoredPhoto(1, "X-01", SHA), 1, "X-02", SHA, UploadDecision.CONFLICT),
])
def test_a_uuid_names_one_photo_of_one_visit_item(stored, visit, item, sha, expected):
    assert decide_upload(stored, visit_id=visit, item_code=item, sha256=sha) is expected


@pytest.mark.parametrize(("site", "exif", "check_in", "expected"), [
    ((-6.1783, 106.6319), (-6.1783, 106.6319), 40.0, 0.0),  # EXIF GPS wins over the check-in
    ((-6.1783, 106.6319), (None, None), 40.0, 40.0),  # no GPS: the check-in distance
    ((None, None), (-6.1783, 106.6319), None, None),  # a site without coordinates
])
def test_the_distance_is_from_exif_gps_else_the_check_in(site, exif, check_in, expected):
    assert photo_distance(site, exif, check_in) == expected


def provenance(**values) -> Provenance:
    return Provenance(**{"taken_at": T0 + timedelta(minutes=20), "window_start": T0,
                         "window_end": T0 + timedelta(hours=1), "distance_m": 12.0, "source": "camera",
                         "video": False, **values})


@pytest.mark.parametrize(("case", "values", "kinds"), [
    ("clean", {}, []),
    ("within the slack before check-in", {"taken_at": T0 - timedelta(minutes=90)}, []),
    ("a day before", {"taken_at": T0 - timedelta(days=1)}, [BadgeKind.OUTSIDE_WINDOW]),
    ("no capture time", {"taken_at": None}, []),
    ("far", {"distance_m": 3000.0}, [BadgeKind.FAR]),
    ("far on a video visit", {"distance_m": 3000.0, "video": True}, []),
    ("gallery", {"source": "gallery"}, [BadgeKind.GALLERY]),
    ("a screenshot of a session note", {"source": "video", "video": True, "distance_m": None, "taken_at": None},
     [BadgeKind.VIDEO]),
    ("reused", {"reused_at": ("SD Negeri 1",)}, [BadgeKind.REUSED]),
    ("open visit, taken now", {"window_end": None, "taken_at": T0 + timedelta(hours=5)}, []),
])
def test_badges(case, values, kinds):
    found = badges(provenance(**values), now=T0 + timedelta(hours=5), radius_m=200, slack=SLACK)
    assert [b.kind for b in found] == kinds, case
