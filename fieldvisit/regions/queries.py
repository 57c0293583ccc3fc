"""Every query of regions."""

from __future__ import annotations

from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit import queries as audit
from fieldvisit.errors import NotFound
from fieldvisit.regions.domain import RegionRow
from fieldvisit.regions.tables import Region


async def districts() -> list[dict[str, Any]]:
    """Every kab/kota (reference data, visible to every signed-in user)."""
    return await Region.select(Region.id, Region.code, Region.name).where(
        Region.level != "province").order_by(Region.code)


async def counts() -> dict[str, int]:
    provinces = await Region.count().where(Region.level == "province")
    kabkota = await Region.count().where(Region.level != "province")
    return {"provinces": provinces, "kabkota": kabkota}


async def list_regions(province_code: str = "") -> list[dict[str, Any]]:
    query = Region.select()
    if province_code:
        query = query.where(Region.province_code == province_code)
    return await query.order_by(Region.code)


async def by_code(code: str) -> dict[str, Any]:
    row = await Region.select().where(Region.code == code).first()
    if row is None:
        raise NotFound()
    return row


async def import_regions(actor: CurrentUser | None, rows: list[RegionRow], *, ip: str = "") -> dict[str, int]:
    """Insert new codes, update changed names/zones; all in one transaction; idempotent."""
    if actor is not None and not actor.is_admin:
        raise NotFound()
    existing = {r["code"]: r for r in await Region.select()}
    created = changed = 0
    async with db.transaction():
        new_rows = []
        for row in sorted(rows, key=lambda r: (r.level != "province", r.code)):
            values = {"name": row.name, "level": row.level, "province_code": row.province_code,
                      "time_zone": row.time_zone, "utc_offset": row.utc_offset}
            old = existing.get(row.code)
            if old is None:
                new_rows.append(Region(code=row.code, **values))
                created += 1
            elif any(old[k] != v for k, v in values.items()):
                await Region.update({getattr(Region, k): v for k, v in values.items()}).where(Region.code == row.code)
                changed += 1
        for start in range(0, len(new_rows), 200):
            await Region.insert(*new_rows[start:start + 200])
        result = {"created": created, "changed": changed, "unchanged": len(rows) - created - changed}
        if created or changed:
            await audit.record(actor, "regions.import", object_type="region", after=result, ip=ip)
    return result
