"""Demo regions (the four seed cities) and one demo user per role."""

from __future__ import annotations

from fieldvisit.accounts import queries as accounts
from fieldvisit.accounts.domain import Role
from fieldvisit.accounts.tables import User
from fieldvisit.regions import queries as regions
from fieldvisit.regions.domain import ZONES, RegionRow

DEMO_PASSWORD = "fieldvisit-demo"

REGIONS = [
    RegionRow("36", "Banten", "province", "36", "WIB", ZONES["WIB"]),
    RegionRow("36.71", "Kota Tangerang", "kota", "36", "WIB", ZONES["WIB"]),
    RegionRow("36.73", "Kota Serang", "kota", "36", "WIB", ZONES["WIB"]),
    RegionRow("35", "Jawa Timur", "province", "35", "WIB", ZONES["WIB"]),
    RegionRow("35.75", "Kota Pasuruan", "kota", "35", "WIB", ZONES["WIB"]),
    RegionRow("16", "Sumatera Selatan", "province", "16", "WIB", ZONES["WIB"]),
    RegionRow("16.71", "Kota Palembang", "kota", "16", "WIB", ZONES["WIB"]),
]

# email, name, role, district code
USERS = [
    ("admin@demo.fieldvisit.id", "Ayu Admin", Role.ADMIN, None),
    ("verifier@demo.fieldvisit.id", "Vera Verifikator", Role.VERIFIER, None),
    ("notetaker@demo.fieldvisit.id", "Nina Notulis", Role.NOTETAKER, None),
    ("tangerang@demo.fieldvisit.id", "Dinas PPPA Kota Tangerang", Role.DISTRICT, "36.71"),
    ("serang@demo.fieldvisit.id", "Dinas PPPA Kota Serang", Role.DISTRICT, "36.73"),
]


async def load() -> list[str]:
    await regions.import_regions(None, REGIONS)
    missing = []
    for email, name, role, code in USERS:
        if await User.exists().where(User.email == email):
            continue
        district_id = await accounts.district_id_for_code(code) if code else None
        missing.append(accounts.NewUser(email, name, role, district_id))
    if missing:
        await accounts.create_users(None, missing, passwords=[DEMO_PASSWORD] * len(missing), must_change=False)
    lines = ["Demo logins (password: %s):" % DEMO_PASSWORD]
    lines += [f"  {role.value:<10} {email}" + (f"  ({code})" if code else "") for email, _n, role, code in USERS]
    return lines
