"""Kemendagri codes and the region CSV."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldvisit.regions.domain import level_of, parse_regions_csv

# ../shared beside the checkout (a git worktree may sit one level deeper, e.g. /work/wt/<name>)
SHARED_CSV = next((p / "shared" / "domain" / "regions-kemendagri-2025.csv" for p in Path(__file__).resolve().parents
                   if (p / "shared" / "domain" / "regions-kemendagri-2025.csv").exists()),
                  Path(__file__).resolve().parents[2].parent / "shared" / "domain" / "regions-kemendagri-2025.csv")


@pytest.mark.parametrize(
    ("code", "level"),
    [("36", "province"), ("36.71", "kota"), ("36.03", "kabupaten"), ("36.69", "kabupaten"), ("36.70", None),
     ("36.00", None), ("3671", None), ("36.7", None), ("", None), ("ab", None)],
)
def test_a_code_says_its_level(code, level):
    assert level_of(code) == level


def test_the_ministry_list_of_38_provinces_and_514_kabkota_is_read():
    rows, problems = parse_regions_csv(SHARED_CSV.read_bytes())
    assert problems == []
    levels = [r.level for r in rows]
    assert levels.count("province") == 38
    assert levels.count("kabupaten") == 416 and levels.count("kota") == 98
    tangerang = next(r for r in rows if r.code == "36.71")
    assert (tangerang.name, tangerang.time_zone, tangerang.utc_offset) == ("Kota Tangerang", "WIB", "+07:00")
    assert {r.time_zone for r in rows} == {"WIB", "WITA", "WIT"}


@pytest.mark.parametrize(
    ("csv", "fragment"),
    [
        ("", "empty"),
        ("code,name\n36,Banten\n", "Missing"),
        ("code,name,level,province_code,time_zone\n36,Banten,province,36,CET\n", "WIB"),
        ("code,name,level,province_code,time_zone\n36.71,Kota Tangerang,kota,36,WIB\n", "province"),
        ("code,name,level,province_code,time_zone\n36,Banten,province,36,WIB\n36.71,Kota,kabupaten,36,WIB\n",
         "kota, not kabupaten"),
        ("code,name,level,province_code,time_zone\n3671,X,kota,36,WIB\n", "not a Kemendagri code"),
    ],
)
def test_a_bad_region_file_says_what_is_wrong(csv, fragment):
    _rows, problems = parse_regions_csv(csv.encode())
    assert any(fragment in p for p in problems), problems
