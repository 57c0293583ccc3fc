"""Photos: uploading is recording on the visit (admin and the evaluation's verifiers; others who
see the visit 403, those who do not 404); the display image and thumbnail are shown to everyone
who sees the visit (district staff of that kab/kota included), nobody else (404)."""

import uuid

from tests.routes.access import PERSONAS
from tests.support import make_visit


def sees() -> dict[str, str]:
    return {"anonymous": "login", "admin": "ok", "verifier": "ok", "notetaker": "ok", "tangerang": "ok",
            "serang": "404"}


def records() -> dict[str, str]:
    row = {"anonymous": "login", "admin": "ok", "verifier": "ok", "notetaker": "403", "tangerang": "403",
           "serang": "404"}
    assert set(row) == set(PERSONAS)
    return row


ROWS = {
    ("POST", "/visits/{visit_id}/photos"): records(),
    ("GET", "/photos/{photo_id}/display"): sees(),
    ("GET", "/photos/{photo_id}/thumb"): sees(),
}


async def params(world):
    from fieldvisit.visits.tables import Photo

    visit_id = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id],
                                checked_in=True, outcome="found")
    [photo] = await Photo.insert(Photo(
        visit=visit_id, site=world.tangerang_site, district_evaluation=world.tangerang_evaluation,
        client_uuid=uuid.uuid4(), original_key="photo/00/access", content_type="image/jpeg", size_bytes=1,
        sha256="0" * 64, uploaded_by=world.verifier.id)).returning(Photo.id)
    return {"visit_id": visit_id, "photo_id": photo["id"]}
