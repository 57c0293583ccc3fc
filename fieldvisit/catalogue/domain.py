"""Pure reading of a catalogue data file (the KLA reference YAML) into typed values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from fieldvisit.web.i18n import N_, _

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_VERSION = "perpres-25-2021"
SENSITIVE_BY_DEFAULT = frozenset({"UPTD_PPA", "LKSA"})
EVIDENCE_KINDS = ("photo", "document", "interview", "observation", "data")
EVIDENCE_LABELS = {
    "photo": N_("photo"),
    "document": N_("document"),
    "interview": N_("interview"),
    "observation": N_("observation"),
    "data": N_("data records"),
}


def evidence_label(kind: str) -> str:
    return _(EVIDENCE_LABELS[kind]) if kind in EVIDENCE_LABELS else kind


def short_name(name: str) -> str:
    """A site type's name without its explanations, for lists on a phone:
    "Satuan Pendidikan Ramah Anak (Sekolah/Madrasah Ramah Anak)" -> "Satuan Pendidikan Ramah Anak"."""
    cut = name.find(" (")
    return name[:cut].strip() if cut > 0 else name


def site_types_by_indicator(site_types: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Indicator code -> the site types that relate to it (a type's ``related_indicators``),
    in catalogue order: where a verifier goes to check an indicator."""
    found: dict[str, list[dict[str, Any]]] = {}
    for site_type in site_types:
        for code in site_type.get("related_indicators") or []:
            found.setdefault(code, []).append(site_type)
    return found


def group_by_component(items: list[dict[str, Any]], components: list[dict[str, Any]]) -> list[tuple[dict[str, Any] | None, list[dict[str, Any]]]]:
    """A checklist split by the type's weighted components (SRA's six), in the components' order;
    one group without a component when the type has none."""
    if not components:
        return [(None, items)]
    groups: list[tuple[dict[str, Any] | None, list[dict[str, Any]]]] = [
        (c, [i for i in items if i.get("component") == c["code"]]) for c in components]
    known = {c["code"] for c in components}
    rest = [i for i in items if i.get("component") not in known]
    if rest:
        groups.append((None, rest))
    return [(c, members) for c, members in groups if members]


class CatalogueError(ValueError):
    """The data file is not a usable catalogue; the message says where."""


@dataclass(frozen=True)
class IndicatorData:
    code: str
    number: int
    short_id: str
    name_id: str
    name_en: str
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClusterData:
    code: str
    number: int | None
    name_id: str
    name_en: str
    indicators: tuple[IndicatorData, ...]


@dataclass(frozen=True)
class PredicateData:
    code: str
    name_id: str
    name_en: str
    min_score: Decimal
    max_score: Decimal


@dataclass(frozen=True)
class ItemData:
    code: str
    component: str
    text_id: str
    text_en: str
    evidence: tuple[str, ...]
    indicator_code: str
    sourced: bool
    sources: tuple[str, ...] = ()

    @property
    def wants_photo(self) -> bool:
        return "photo" in self.evidence


@dataclass(frozen=True)
class SiteTypeData:
    code: str
    name_id: str
    name_en: str
    related_indicators: tuple[str, ...]
    components: tuple[dict[str, Any], ...]
    sensitive: bool
    items: tuple[ItemData, ...]


@dataclass(frozen=True)
class CatalogueData:
    code: str
    name: str
    schema_version: int
    sha256: str
    sources: dict[str, str]
    clusters: tuple[ClusterData, ...]
    predicates: tuple[PredicateData, ...]
    site_types: tuple[SiteTypeData, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def indicator_codes(self) -> set[str]:
        return {i.code for c in self.clusters for i in c.indicators}


def _list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def parse_catalogue(raw: bytes) -> CatalogueData:
    try:
        doc = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise CatalogueError(f"not valid YAML: {exc}") from None
    if not isinstance(doc, dict) or "catalogue_version" not in doc:
        raise CatalogueError("missing catalogue_version")
    clusters = []
    for c in doc.get("clusters", []):
        indicators = tuple(
            IndicatorData(i["code"], int(i["number"]), i.get("name_id_short", i["name_id"]), i["name_id"],
                          i["name_en"], _list(i.get("source")))
            for i in c.get("indicators", [])
        )
        clusters.append(ClusterData(c["code"], c.get("number"), c["name_id"], c["name_en"], indicators))
    indicator_codes = {i.code for c in clusters for i in c.indicators}
    predicates = tuple(
        PredicateData(p["code"], p["name_id"], p["name_en"], Decimal(str(p["min_score"])), Decimal(str(p["max_score"])))
        for p in doc.get("predicates", [])
    )
    site_types = []
    for t in doc.get("site_types", []):
        related = _list(t.get("related_indicators"))
        unknown = [code for code in related if code not in indicator_codes]
        if not related or unknown:
            raise CatalogueError(f"site type {t.get('code')}: related_indicators must name known indicators")
        items = []
        for item in t.get("checklist", []):
            evidence = _list(item.get("evidence"))
            if any(e not in EVIDENCE_KINDS for e in evidence):
                raise CatalogueError(f"item {item.get('code')}: unknown evidence kind in {evidence}")
            # KLA.md: an item counts for its own indicator if it names one, else its type's first.
            indicator = item.get("indicator") or related[0]
            if indicator not in indicator_codes:
                raise CatalogueError(f"item {item['code']}: unknown indicator {indicator}")
            items.append(ItemData(item["code"], str(item.get("component", "")), item["text_id"], item["text_en"],
                                  evidence, indicator, bool(item.get("sourced", False)), _list(item.get("source"))))
        components = tuple({"code": c["code"], "name_id": c.get("name_id", ""), "weight_pct": c.get("weight_pct")}
                           for c in t.get("components", []))
        site_types.append(SiteTypeData(t["code"], t["name_id"], t["name_en"], related, components,
                                       t["code"] in SENSITIVE_BY_DEFAULT, tuple(items)))
    codes = [i.code for t in site_types for i in t.items]
    if len(codes) != len(set(codes)):
        raise CatalogueError("checklist item codes must be unique")
    return CatalogueData(
        code=str(doc["catalogue_version"]), name=_name(str(doc["catalogue_version"])),
        schema_version=int(doc.get("schema_version", 1)), sha256=hashlib.sha256(raw).hexdigest(),
        sources={str(k): str(v) for k, v in (doc.get("sources") or {}).items()}, clusters=tuple(clusters),
        predicates=predicates, site_types=tuple(site_types), notes=_list(doc.get("notes")),
    )


def _name(code: str) -> str:
    return {"perpres-25-2021": "Perpres 25/2021 (24 indikator)"}.get(code, code)


def shipped(code: str = DEFAULT_VERSION) -> bytes:
    return (DATA_DIR / f"{code}.yaml").read_bytes()
