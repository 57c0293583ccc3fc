"""Visits: everyone who sees the evaluation sees its visits (district staff of that kab/kota
read-only); only admins and the evaluation's verifiers plan and record (others who see the
visit get 403, those who do not 404)."""

from tests.routes.access import PERSONAS, admin_only
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
    ("GET", "/evaluations/{evaluation_id}/visits"): sees(),
    ("POST", "/evaluations/{evaluation_id}/visits"): records(),
    ("GET", "/visits/{visit_id}"): sees(),
    ("POST", "/visits/{visit_id}/check-in"): records(),
    ("POST", "/visits/{visit_id}/outcome"): records(),
    ("POST", "/visits/{visit_id}/items/{item_code}"): records(),
    ("POST", "/visits/{visit_id}/submit"): records(),
    # the findings export follows the visit pages: those who see the visits download them
    ("GET", "/evaluations/{evaluation_id}/findings.csv"): sees(),
    ("GET", "/evaluations/{evaluation_id}/findings.xlsx"): sees(),
    # a whole round's findings: admins only
    ("GET", "/admin/rounds/{round_id}/findings.csv"): admin_only(),
    ("GET", "/admin/rounds/{round_id}/findings.xlsx"): admin_only(),
}


async def params(world):
    visit_id = await make_visit(world.tangerang_evaluation, world.tangerang_site, team=[world.verifier.id])
    return {"evaluation_id": world.tangerang_evaluation, "visit_id": visit_id, "item_code": "PUSPAGA-02"}
