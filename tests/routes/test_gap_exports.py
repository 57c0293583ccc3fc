"""The gap list as CSV and XLSX (in the reader's language, formulas neutralised, no provenance
for the district) and the printable berita acara."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from fieldvisit.accounts.tables import User
from fieldvisit.gaps.tables import GapEvent
from fieldvisit.web import spreadsheet
from tests.routes.test_dashboard import text_of
from tests.routes.test_gap_pages import reconciled_example
from tests.support import World


@pytest.mark.parametrize(("value", "expected"), [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+62 812", "'+62 812"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("Puspaga", "Puspaga"), ("", ""), (-1, -1), (None, None),
])
def test_formula_cells_are_neutralised(value, expected):
    assert spreadsheet.neutralise(value) == expected


async def answer(gap_id: int, world: World, text: str) -> None:
    await GapEvent.insert(GapEvent(gap=gap_id, kind="responded", actor=world.tangerang.id, text=text,
                                   status_before="open", status_after="responded"))


async def test_the_district_downloads_its_gaps_as_csv_in_indonesian(make_client, world: World):
    gaps = await reconciled_example(world)
    await answer(gaps["contradicted"], world, "=cmd|' /C calc'!A0")
    async with make_client() as district:
        await district.sign_in_as(world.tangerang)
        response = await district.get(f"/evaluations/{world.tangerang_evaluation}/gaps.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["Celah", "Jenis", "Status"]
    ids = {int(r[0]) for r in table[1:]}
    assert ids == {gaps["contradicted"], gaps["partial"], gaps["value_mismatch"]}, "no provenance gap"
    row = next(r for r in table[1:] if int(r[0]) == gaps["contradicted"])
    assert row[1] == "Bertentangan" and row[-1] == "'=cmd|' /C calc'!A0"
    body = response.content.decode("utf-8-sig")
    assert "gapfile/" not in body and "latitude" not in body.lower()


async def test_the_verifier_downloads_an_xlsx_that_opens_in_english(make_client, world: World):
    gaps = await reconciled_example(world)
    await User.update({User.language: "en"}).where(User.id == world.verifier.id)
    async with make_client() as verifier:
        await verifier.sign_in_as(world.verifier)
        response = await verifier.get(f"/evaluations/{world.tangerang_evaluation}/gaps.xlsx?rule=value_mismatch")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Gap", "Kind", "Status")
    assert rows[1][1] == "Value mismatch"
    assert [r[0] for r in rows[1:]] == [gaps["value_mismatch"]]
    vf = rows[1][11]
    assert isinstance(vf, float | int) and 0.89 < vf < 0.90


async def test_the_berita_acara_shows_scores_clusters_and_signatures(client, world: World):
    await reconciled_example(world)
    await client.sign_in_as(world.verifier)
    response = await client.get(f"/evaluations/{world.tangerang_evaluation}/report")
    assert response.status_code == 200 and "/report.css" in response.text
    page = text_of(response.text)
    assert "Kota Tangerang" in page and "Tanda tangan" in page
