"""The `fieldvisit` command against the test database (a subprocess, as an operator runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from fieldvisit.accounts.tables import User
from fieldvisit.regions.tables import Region
from tests.support import World

ROOT = Path(__file__).resolve().parents[2]
REGIONS_CSV = ROOT.parent / "shared" / "domain" / "regions-kemendagri-2025.csv"


def fieldvisit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fieldvisit", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


async def test_import_regions_loads_the_ministry_list_once(world: World):
    first = fieldvisit("import-regions", str(REGIONS_CSV))
    assert first.returncode == 0, first.stderr
    assert await Region.count().where(Region.level == "province") == 38
    assert await Region.count().where(Region.level != "province") == 514
    second = fieldvisit("import-regions", str(REGIONS_CSV))
    assert "0 new, 0 changed" in second.stdout


async def test_create_user_makes_a_district_user_with_a_temporary_password(world: World):
    result = fieldvisit("create-user", "--email", "Rina@TangerangKota.test", "--name", "Rina", "--role", "district",
                        "--district", "36.71")
    assert result.returncode == 0, result.stderr
    assert "temporary password" in result.stdout
    row = await User.select().where(User.email == "rina@tangerangkota.test").first()
    assert row["must_change_password"] and row["district"] == world.regions["36.71"]


async def test_create_user_refuses_a_district_user_without_a_kab_kota(world: World):
    result = fieldvisit("create-user", "--email", "x@y.test", "--name", "X", "--role", "district")
    assert result.returncode == 2 and "--district" in result.stderr
    assert "Traceback" not in result.stderr
