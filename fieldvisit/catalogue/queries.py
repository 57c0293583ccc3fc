"""Catalogue queries: load a version, read indicators, site types and items."""

from __future__ import annotations

from typing import Any

from fieldvisit import db
from fieldvisit.catalogue.domain import CatalogueData, short_name
from fieldvisit.catalogue.tables import CatalogueVersion, ChecklistItem, Cluster, Indicator, Predicate, SiteType
from fieldvisit.errors import NotFound


async def load_version(data: CatalogueData) -> bool:
    """Store a catalogue version beside the others; loading the same file again does nothing.
    Returns True when rows were written."""
    existing = await CatalogueVersion.select(CatalogueVersion.id, CatalogueVersion.sha256).where(
        CatalogueVersion.code == data.code).first()
    if existing is not None:
        if existing["sha256"] != data.sha256:
            raise ValueError(f"catalogue {data.code} is already loaded from another file; give the new one a "
                             "new catalogue_version code so rounds that use the old one keep it")
        return False
    async with db.transaction():
        [version] = await CatalogueVersion.insert(CatalogueVersion(
            code=data.code, name=data.name, schema_version=data.schema_version, sha256=data.sha256,
            sources=data.sources)).returning(CatalogueVersion.id)
        vid = version["id"]
        for position, cluster in enumerate(data.clusters):
            [c] = await Cluster.insert(Cluster(version=vid, code=cluster.code, number=cluster.number,
                                               name_id=cluster.name_id, name_en=cluster.name_en,
                                               position=position)).returning(Cluster.id)
            await Indicator.insert(*[
                Indicator(version=vid, cluster=c["id"], code=i.code, number=i.number, short_id=i.short_id,
                          name_id=i.name_id, name_en=i.name_en, sources=list(i.sources), position=i.number)
                for i in cluster.indicators])
        await Predicate.insert(*[Predicate(version=vid, code=p.code, name_id=p.name_id, name_en=p.name_en,
                                           min_score=p.min_score, max_score=p.max_score) for p in data.predicates])
        for position, site_type in enumerate(data.site_types):
            [t] = await SiteType.insert(SiteType(
                version=vid, code=site_type.code, name_id=site_type.name_id, name_en=site_type.name_en,
                related_indicators=list(site_type.related_indicators), components=list(site_type.components),
                sensitive=site_type.sensitive, position=position)).returning(SiteType.id)
            await ChecklistItem.insert(*[
                ChecklistItem(version=vid, site_type=t["id"], code=i.code, component=i.component, text_id=i.text_id,
                              text_en=i.text_en, evidence=list(i.evidence), wants_photo=i.wants_photo,
                              indicator_code=i.indicator_code, sourced=i.sourced, sources=list(i.sources),
                              position=n)
                for n, i in enumerate(site_type.items)])
    return True


async def version_id(code: str) -> int:
    row = await CatalogueVersion.select(CatalogueVersion.id).where(CatalogueVersion.code == code).first()
    if row is None:
        raise NotFound()
    return int(row["id"])


async def versions() -> list[dict[str, Any]]:
    return await CatalogueVersion.select(CatalogueVersion.id, CatalogueVersion.code, CatalogueVersion.name,
                                         CatalogueVersion.loaded_at).order_by(CatalogueVersion.id)


# --- reading (reference data: every role that works on evaluations may read it) -------


async def get_version(version_id: int) -> dict[str, Any]:
    row = await CatalogueVersion.select(
        CatalogueVersion.id, CatalogueVersion.code, CatalogueVersion.name, CatalogueVersion.loaded_at,
        CatalogueVersion.sources).output(load_json=True).where(CatalogueVersion.id == version_id).first()
    if row is None:
        raise NotFound()
    return row


async def version_counts() -> dict[int, dict[str, int]]:
    """Per version id: how many indicators, site types and checklist items it has."""
    counts: dict[int, dict[str, int]] = {}
    for table, key in ((Indicator, "indicators"), (SiteType, "site_types"), (ChecklistItem, "items")):
        for row in await table.select(table.version):  # type: ignore[attr-defined]
            counts.setdefault(row["version"], {"indicators": 0, "site_types": 0, "items": 0})[key] += 1
    return counts


async def clusters(version_id: int) -> list[dict[str, Any]]:
    """Clusters in order, each with its indicators in order."""
    rows = await Cluster.select(Cluster.id, Cluster.code, Cluster.number, Cluster.name_id, Cluster.name_en).where(
        Cluster.version == version_id).order_by(Cluster.position)
    by_id = {r["id"]: {**r, "indicators": []} for r in rows}
    for indicator in await indicators(version_id):
        by_id[indicator["cluster"]]["indicators"].append(indicator)
    return list(by_id.values())


async def indicators(version_id: int) -> list[dict[str, Any]]:
    return await Indicator.select(
        Indicator.id, Indicator.cluster, Indicator.code, Indicator.number, Indicator.short_id, Indicator.name_id,
        Indicator.name_en, Indicator.max_score).where(Indicator.version == version_id).order_by(Indicator.position)


async def site_types(version_id: int) -> list[dict[str, Any]]:
    rows = await SiteType.select(
        SiteType.id, SiteType.code, SiteType.name_id, SiteType.name_en, SiteType.related_indicators,
        SiteType.components, SiteType.sensitive).output(load_json=True).where(
        SiteType.version == version_id).order_by(SiteType.position)
    counts: dict[int, int] = {}
    for item in await ChecklistItem.select(ChecklistItem.site_type).where(ChecklistItem.version == version_id):
        counts[item["site_type"]] = counts.get(item["site_type"], 0) + 1
    for row in rows:
        row["item_count"] = counts.get(row["id"], 0)
        row["short_id"], row["short_en"] = short_name(row["name_id"]), short_name(row["name_en"])
    return rows


async def get_site_type(version_id: int, code: str) -> dict[str, Any]:
    row = await SiteType.select(
        SiteType.id, SiteType.code, SiteType.name_id, SiteType.name_en, SiteType.related_indicators,
        SiteType.components, SiteType.sensitive).output(load_json=True).where(
        (SiteType.version == version_id) & (SiteType.code == code)).first()
    if row is None:
        raise NotFound()
    return row


ITEM_COLUMNS = (
    ChecklistItem.id, ChecklistItem.code, ChecklistItem.component, ChecklistItem.text_id, ChecklistItem.text_en,
    ChecklistItem.evidence, ChecklistItem.wants_photo, ChecklistItem.indicator_code,
    ChecklistItem.site_type.code.as_alias("site_type_code"),
)


async def items(site_type_id: int) -> list[dict[str, Any]]:
    return await ChecklistItem.select(*ITEM_COLUMNS).output(load_json=True).where(
        ChecklistItem.site_type == site_type_id).order_by(ChecklistItem.position)


async def items_of_type(version_id: int, site_type_code: str) -> list[dict[str, Any]]:
    """The checklist of a site type by its code (empty when the version has no such type)."""
    return await ChecklistItem.select(*ITEM_COLUMNS).output(load_json=True).where(
        (ChecklistItem.version == version_id) & (ChecklistItem.site_type.code == site_type_code)).order_by(
        ChecklistItem.position)


async def items_by_code(version_id: int, codes: list[str]) -> dict[str, dict[str, Any]]:
    if not codes:
        return {}
    rows = await ChecklistItem.select(*ITEM_COLUMNS).output(load_json=True).where(
        (ChecklistItem.version == version_id) & ChecklistItem.code.is_in(codes))
    return {r["code"]: r for r in rows}


async def predicates(version_id: int) -> list[dict[str, Any]]:
    return await Predicate.select(Predicate.code, Predicate.name_id, Predicate.name_en, Predicate.min_score,
                                  Predicate.max_score).where(Predicate.version == version_id).order_by(
        Predicate.min_score)


async def site_type_names(version_id: int) -> dict[str, dict[str, Any]]:
    """code -> {code, name_id, name_en, short_id, short_en, sensitive} of the version's site types."""
    rows = await SiteType.select(SiteType.code, SiteType.name_id, SiteType.name_en, SiteType.sensitive).where(
        SiteType.version == version_id).order_by(SiteType.position)
    for row in rows:
        row["short_id"], row["short_en"] = short_name(row["name_id"]), short_name(row["name_en"])
    return {r["code"]: r for r in rows}
