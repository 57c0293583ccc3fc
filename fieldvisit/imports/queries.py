"""Every query of the imports: preview (store the file and each row's outcome under an import
id), confirm (re-plan against the current rows under a per-district lock, then write all or
nothing), undo, history. Only admins (web), the CLI and API clients (system actors) import.

Concurrency: a confirm or undo locks the ``import_lock`` rows of its kab/kota (FOR UPDATE on
PostgreSQL; SQLite's write transactions are serial already) and re-reads what is stored: a site
list checks that the stored sites of its kab/kota are as the preview saw them (a digest), claims
are planned again from the file and compared with the preview's plan. If anything differs
(someone imported into the same kab/kota meanwhile), nothing is written and the caller is told
(Conflict); the batch becomes "stale" and can be previewed again.
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser
from fieldvisit.audit import queries as audit
from fieldvisit.catalogue.tables import CatalogueVersion, ChecklistItem, Indicator, Predicate, SiteType
from fieldvisit.claims.tables import IndicatorClaim, SiteItemClaim
from fieldvisit.errors import Conflict, NotFound, RuleViolation
from fieldvisit.imports import domain, reader
from fieldvisit.imports.domain import CHANGED, ERROR, NEW, UNCHANGED, RowPlan
from fieldvisit.imports.reader import ReadError, Table
from fieldvisit.imports.tables import ImportBatch, ImportBatchDistrict, ImportChange, ImportLock, ImportRow
from fieldvisit.reconcile.domain import Predicate as ScorePredicate
from fieldvisit.reconcile.domain import predicate_for
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.tables import DistrictEvaluation, Round
from fieldvisit.sites.tables import Site
from fieldvisit.web.i18n import N_, _, current_language

CHUNK = 5000  # rows per bulk write
PAGE_SIZE = 50
Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass(frozen=True)
class Actor:
    """Who imports: an admin (web), the command line, or an API client (a system actor)."""

    user: CurrentUser | None
    label: str
    source: str = "web"  # web | cli | api
    ip: str = ""

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None


def web_actor(user: CurrentUser, ip: str = "") -> Actor:
    if not user.is_admin:
        raise NotFound()
    return Actor(user, user.email, "web", ip)


def cli_actor() -> Actor:
    return Actor(None, "cli", "cli")


def api_actor(client_name: str, ip: str = "") -> Actor:
    return Actor(None, f"api:{client_name}"[:254], "api", ip)


async def _audit(actor: Actor, action: str, **details: Any) -> None:
    await audit.record(actor.user, action, actor_email="" if actor.user else actor.label, ip=actor.ip, **details)


def _now() -> datetime:
    return datetime.now(UTC)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(domain.jsonable(value), ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value)}")


def _loads(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# === what is stored: context for the plans ==================================================

async def _catalogue_version(round_id: int | None) -> int:
    if round_id is not None:
        row = await Round.select(Round.catalogue_version).where(Round.id == round_id).first()
        if row is None:
            raise NotFound()
        return int(row["catalogue_version"])
    row = await CatalogueVersion.select(CatalogueVersion.id).order_by(CatalogueVersion.id, ascending=False).first()
    if row is None:
        raise RuleViolation(_("The KLA catalogue is not loaded yet (fieldvisit load-catalogue)."))
    return int(row["id"])


async def _districts() -> dict[str, domain.District]:
    rows = await Region.select(Region.id, Region.code, Region.name).where(Region.level != "province")
    return {r["code"]: domain.District(r["id"], r["code"], r["name"]) for r in rows}


SITE_COLUMNS = ("name", "site_type", "address", "kecamatan", "kelurahan", "latitude", "longitude", "contact_person",
                "phone", "is_active")


async def _existing_sites(district_ids: Sequence[int], codes_by_id: dict[int, str]) -> dict[tuple[str, str],
                                                                                             domain.ExistingSite]:
    existing: dict[tuple[str, str], domain.ExistingSite] = {}
    ids = sorted(set(district_ids))
    for start in range(0, len(ids), 500):
        rows = await Site.select(Site.id, Site.district, Site.code, *[getattr(Site, c) for c in SITE_COLUMNS]).where(
            Site.district.is_in(ids[start:start + 500]))
        for r in rows:
            existing[(codes_by_id[r["district"]], r["code"])] = domain.ExistingSite(
                r["id"], {c: r[c] for c in SITE_COLUMNS})
    return existing


@dataclass(frozen=True)
class SiteOptions:
    district: str | None = None  # kab/kota code: the file is for this kab/kota only
    round_id: int | None = None  # the file is for this round: its kab/kota only

    def to_json(self) -> dict[str, Any]:
        return {"district": self.district, "round": self.round_id}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SiteOptions:
        return cls(data.get("district") or None, data.get("round") or None)


async def check_site_options(options: SiteOptions) -> SiteOptions:
    """Normalised options; RuleViolation for an unknown kab/kota or round."""
    district = domain.normalise_district_code(options.district) if options.district else None
    if district and not await Region.exists().where((Region.code == district) & (Region.level != "province")):
        raise RuleViolation(_("Kab/kota %(code)s is not in the region list.") % {"code": district})
    if options.round_id is not None and not await Round.exists().where(Round.id == options.round_id):
        raise RuleViolation(_("There is no round %(id)s.") % {"id": options.round_id})
    return SiteOptions(district, options.round_id)


async def _site_context(table: Table | None, options: SiteOptions) -> domain.SiteContext:
    """What the site rules need; without a table, no stored sites (confirm loads its own)."""
    version = await _catalogue_version(options.round_id)
    types = [domain.SiteType(r["code"], r["name_id"], r["name_en"]) for r in await SiteType.select(
        SiteType.code, SiteType.name_id, SiteType.name_en).where(SiteType.version == version).order_by(
        SiteType.position)]
    districts = await _districts()
    round_districts, round_name = None, ""
    if options.round_id is not None:
        round_row = await Round.select(Round.name).where(Round.id == options.round_id).first()
        round_name = round_row["name"] if round_row else ""
        rows = await DistrictEvaluation.select(DistrictEvaluation.district.code.as_alias("code")).where(
            DistrictEvaluation.round == options.round_id)
        round_districts = frozenset(r["code"] for r in rows)
    existing: dict[tuple[str, str], domain.ExistingSite] = {}
    if table is not None:
        wanted = [districts[c].id for c in domain.district_codes(table, options.district) if c in districts]
        existing = await _existing_sites(wanted, {d.id: d.code for d in districts.values()})
    return domain.SiteContext(types, districts, existing, options.district, round_districts, round_name)


async def _evaluation(evaluation_id: int) -> dict[str, Any]:
    row = await DistrictEvaluation.select(
        DistrictEvaluation.id, DistrictEvaluation.district.id.as_alias("district_id"),
        DistrictEvaluation.district.code.as_alias("district_code"),
        DistrictEvaluation.district.name.as_alias("district_name"),
        DistrictEvaluation.round.id.as_alias("round_id"), DistrictEvaluation.round.name.as_alias("round_name"),
        DistrictEvaluation.round.catalogue_version.as_alias("catalogue_version"),
    ).where(DistrictEvaluation.id == evaluation_id).first()
    if row is None:
        raise NotFound()
    return row


INDICATOR_CLAIM_COLUMNS = ("value_kind", "value", "unit", "claimed_score", "max_score", "documents", "deleted_at")
ITEM_CLAIM_COLUMNS = ("claimed_status", "documents", "deleted_at")


CENTS, TEN_THOUSANDTHS = Decimal("0.01"), Decimal("0.0001")


def _decimal(value: Any, places: Decimal) -> Decimal | None:
    """A stored number as the column's scale says (SQLite hands back 34 for 34.00)."""
    return None if value is None else Decimal(str(value)).quantize(places)


def _claim_values(row: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    values = {c: row[c] for c in columns if c != "deleted_at"}
    for key, places in (("claimed_score", CENTS), ("max_score", CENTS), ("value", TEN_THOUSANDTHS)):
        if key in values:
            values[key] = _decimal(values[key], places)
    values["documents"] = _loads(values.get("documents")) or []
    values["withdrawn"] = row["deleted_at"] is not None
    return values


async def _claim_context(evaluation: dict[str, Any]) -> domain.ClaimContext:
    version = evaluation["catalogue_version"]
    indicators = {r["code"]: r["short_id"] for r in await Indicator.select(Indicator.code, Indicator.short_id).where(
        Indicator.version == version).order_by(Indicator.position)}
    text = ChecklistItem.text_en if current_language() == "en" else ChecklistItem.text_id
    items = {r["code"]: domain.ChecklistItem(r["code"], r["type_code"], r["text"]) for r in await ChecklistItem.select(
        ChecklistItem.code, ChecklistItem.site_type.code.as_alias("type_code"), text.as_alias("text")).where(
        ChecklistItem.version == version)}
    sites = {r["code"]: domain.SiteRef(r["id"], r["code"], r["name"], r["site_type"]) for r in await Site.select(
        Site.id, Site.code, Site.name, Site.site_type).where(Site.district == evaluation["district_id"])}
    indicator_claims = {r["indicator_code"]: domain.ExistingClaim(r["id"], _claim_values(r, INDICATOR_CLAIM_COLUMNS))
                        for r in await IndicatorClaim.select(
                            IndicatorClaim.id, IndicatorClaim.indicator_code,
                            *[getattr(IndicatorClaim, c) for c in INDICATOR_CLAIM_COLUMNS]).where(
                            IndicatorClaim.district_evaluation == evaluation["id"])}
    item_claims = {(r["site"], r["item_code"]): domain.ExistingClaim(r["id"], _claim_values(r, ITEM_CLAIM_COLUMNS))
                   for r in await SiteItemClaim.select(
                       SiteItemClaim.id, SiteItemClaim.site, SiteItemClaim.item_code,
                       *[getattr(SiteItemClaim, c) for c in ITEM_CLAIM_COLUMNS]).where(
                       SiteItemClaim.district_evaluation == evaluation["id"])}
    return domain.ClaimContext(evaluation["district_code"], evaluation["district_name"], indicators, items, sites,
                               indicator_claims, item_claims)


def _claim_plan(tables: Sequence[tuple[str, Table]], ctx: domain.ClaimContext) -> Iterable[RowPlan]:
    for kind, table in tables:
        if kind == "indicator_claims":
            yield from domain.plan_indicator_claims(table, ctx)
        else:
            yield from domain.plan_item_claims(table, ctx)


# === plans without storing (the API's dry run and its first check) ================================

async def plan_sites(table: Table, options: SiteOptions) -> list[RowPlan]:
    options = await check_site_options(options)
    return list(domain.plan_sites(table, await _site_context(table, options)))


async def plan_claims(evaluation_id: int, tables: Sequence[tuple[str, Table]]) -> list[RowPlan]:
    return list(_claim_plan(tables, await _claim_context(await _evaluation(evaluation_id))))


# === preview ===================================================================================

SITE_VALUE_COLUMNS = ("site_type", "address", "kecamatan", "kelurahan", "latitude", "longitude", "contact_person",
                      "phone")
ROW_COLUMNS = ("batch", "line", "sheet", "outcome", "district_code", "key", "label", "changes", "problems",
               "district_id", *SITE_VALUE_COLUMNS)
NO_SITE_VALUES = (None,) * (1 + len(SITE_VALUE_COLUMNS))


def _row_record(batch_id: int, row: RowPlan, site: tuple[Any, ...] | None) -> tuple[Any, ...]:
    return (batch_id, row.line, row.sheet, row.outcome, row.district_code[:5], row.key[:120], row.label[:300],
            _json(row.changes) if row.changes else None,
            _json([p.to_json() for p in row.problems]) if row.problems else None, *(site or NO_SITE_VALUES))


async def _store_preview(actor: Actor, kind: str, raw: bytes, file_name: str, plan: Iterable[RowPlan], *,
                         total: int, district_ids: dict[str, int], options: dict[str, Any],
                         round_id: int | None = None, evaluation_id: int | None = None,
                         progress: Progress | None = None,
                         data_of: Callable[[RowPlan], tuple[Any, ...] | None] | None = None,
                         state: Callable[[], str] | None = None) -> int:
    """Store the file and each row's outcome under a new import id, in one transaction.
    ``data_of`` gives what confirm will write for a row (site lists keep it with the preview);
    ``state`` digests what the plan was compared with, once every row is planned."""
    counts: Counter[str] = Counter()
    per_district: defaultdict[str, Counter[str]] = defaultdict(Counter)
    digest = hashlib.sha256() if data_of is None else None  # claims: confirm re-plans and compares
    file_sha256 = hashlib.sha256(raw).hexdigest()
    async with db.transaction():
        [batch] = await ImportBatch.insert(ImportBatch(
            kind=kind, source=actor.source, file_name=file_name[:255], sha256=file_sha256,
            size_bytes=len(raw), content=zlib.compress(raw, 1), options=options, round=round_id,
            district_evaluation=evaluation_id,
            created_by=actor.user_id, created_by_label=actor.label,
        )).returning(ImportBatch.id)
        batch_id = int(batch["id"])
        buffer: list[tuple[Any, ...]] = []
        done = 0
        for row in plan:
            if digest is not None:
                digest.update(row.fingerprint())
            counts[row.outcome] += 1
            counts["warning"] += row.has_warning
            if row.district_code in district_ids:
                per_district[row.district_code][row.outcome] += 1
            buffer.append(_row_record(batch_id, row, data_of(row) if data_of else None))
            done += 1
            if len(buffer) >= CHUNK:
                await db.copy_rows("import_row", ROW_COLUMNS, buffer)
                buffer.clear()
                if progress:
                    progress("check", done, total)
        await db.copy_rows("import_row", ROW_COLUMNS, buffer)
        if progress:
            progress("check", done, total)
        await ImportBatch.update({
            ImportBatch.plan_sha256: digest.hexdigest() if digest is not None else "",
            ImportBatch.state_sha256: state() if state else "", ImportBatch.rows_total: done,
            ImportBatch.rows_new: counts[NEW], ImportBatch.rows_changed: counts[CHANGED],
            ImportBatch.rows_unchanged: counts[UNCHANGED], ImportBatch.rows_error: counts[ERROR],
            ImportBatch.rows_warning: counts["warning"],
        }).where(ImportBatch.id == batch_id)
        await db.copy_rows("import_batch_district", ("batch", "district", "rows_new", "rows_changed",
                                                     "rows_unchanged", "rows_error"),
                           [(batch_id, district_ids[code], c[NEW], c[CHANGED], c[UNCHANGED], c[ERROR])
                            for code, c in sorted(per_district.items())])
        await _audit(actor, f"{kind}.preview", object_type="import_batch", object_id=batch_id,
                     district_id=district_ids[next(iter(per_district))] if len(per_district) == 1 else None,
                     after={"file_name": file_name, "sha256": file_sha256, "rows": done,
                            "new": counts[NEW], "changed": counts[CHANGED], "errors": counts[ERROR],
                            "kab/kota": len(per_district)})
    return batch_id


def read_site_table(raw: bytes, file_name: str, district: str | None, *, max_bytes: int,
                    api: bool = False) -> Table:
    """The site list in a file (or the API's JSON); ReadError says what is wrong with it as a whole."""
    if api:
        return domain.site_table_from_api(json.loads(raw), district)
    return domain.find_site_table(reader.read_sheets(raw, file_name, max_bytes=max_bytes), district)


def read_claim_tables(raw: bytes, file_name: str, *, max_bytes: int, api: bool = False) -> list[tuple[str, Table]]:
    if api:
        return domain.claim_tables_from_api(json.loads(raw))
    return domain.find_claim_tables(reader.read_sheets(raw, file_name, max_bytes=max_bytes))


async def preview_sites(actor: Actor, raw: bytes, file_name: str, options: SiteOptions, *, max_bytes: int,
                        progress: Progress | None = None) -> int:
    """Read and check a site list, store it and its preview; returns the import id.
    Raises ReadError when the file as a whole is unusable (nothing is stored then)."""
    options = await check_site_options(options)
    table = read_site_table(raw, file_name, options.district, max_bytes=max_bytes, api=actor.source == "api")
    ctx = await _site_context(table, options)
    def data_of(row: RowPlan) -> tuple[Any, ...] | None:
        values = row.values
        if values is None or row.outcome == ERROR:
            return None
        get = values.get
        return (ctx.districts[row.district_code].id, get("site_type"), get("address"), get("kecamatan"),
                get("kelurahan"), get("latitude"), get("longitude"), get("contact_person"), get("phone"))

    columns = domain.site_fields_written(table)
    return await _store_preview(
        actor, "sites", raw, file_name, domain.plan_sites(table, ctx), total=len(table.rows),
        district_ids={c: d.id for c, d in ctx.districts.items()}, options={**options.to_json(), "columns": columns},
        round_id=options.round_id, progress=progress, data_of=data_of,
        state=lambda: domain.site_state_digest(ctx, ctx.existing.items()))


async def preview_claims(actor: Actor, raw: bytes, file_name: str, evaluation_id: int, *, max_bytes: int,
                         progress: Progress | None = None) -> int:
    evaluation = await _evaluation(evaluation_id)
    tables = read_claim_tables(raw, file_name, max_bytes=max_bytes, api=actor.source == "api")
    ctx = await _claim_context(evaluation)
    return await _store_preview(
        actor, "claims", raw, file_name, _claim_plan(tables, ctx), total=sum(len(t.rows) for _k, t in tables),
        district_ids={evaluation["district_code"]: evaluation["district_id"]}, options={},
        round_id=evaluation["round_id"], evaluation_id=evaluation_id, progress=progress)


# === confirm =====================================================================================

class PlanChanged(Exception):
    """The stored rows changed since the preview: nothing is written."""


async def _lock(district_ids: Iterable[int]) -> None:
    """Take the import locks of these kab/kota (sorted, so two imports cannot deadlock)."""
    ids = sorted(set(district_ids))
    if not ids:
        return
    now = _now()
    await db.execute_many("INSERT INTO import_lock (district, version, updated_at) VALUES ($1, 0, $2) "
                          "ON CONFLICT (district) DO NOTHING", [(i, now) for i in ids])
    if not db.is_sqlite():
        await ImportLock.select(ImportLock.id).where(ImportLock.district.is_in(ids)).order_by(
            ImportLock.district).lock_rows("UPDATE")
    await ImportLock.update({ImportLock.version: ImportLock.version + 1, ImportLock.updated_at: now}).where(
        ImportLock.district.is_in(ids))


async def _batch(batch_id: int, *, content: bool = False) -> dict[str, Any]:
    """An import; with ``content`` the uploaded file too (stored zlib-compressed: a 20 MB CSV is
    written in a few MB)."""
    columns = [c for c in ImportBatch._meta.columns if content or c._meta.name != "content"]
    row = await ImportBatch.select(*columns).where(ImportBatch.id == batch_id).output(load_json=True).first()
    if row is None:
        raise NotFound()
    if content:
        row["content"] = zlib.decompress(row["content"]) if row["content"] else b""
    return row


async def _batch_district_ids(batch_id: int) -> list[int]:
    return [r["district"] for r in await ImportBatchDistrict.select(ImportBatchDistrict.district).where(
        ImportBatchDistrict.batch == batch_id)]


def stale_message() -> str:
    return _("Nothing was imported: the stored rows changed after this preview (another import into the same "
             "kab/kota was confirmed at the same moment). Look at the new preview and confirm again.")


async def confirm(actor: Actor, batch_id: int, *, max_bytes: int, progress: Progress | None = None) -> dict[str, Any]:
    """Write a previewed import, all or nothing. Confirming a batch that is already committed
    changes nothing (a double click). Conflict when the rows changed since the preview.

    A site list writes what its preview stored, after checking under the lock that the stored
    sites of its kab/kota are as the preview saw them (so 100 000 rows are not read and checked
    twice); claims (a few hundred rows) are planned again from the file and compared."""
    batch = await _batch(batch_id)
    if batch["kind"] == "claims":
        batch = await _batch(batch_id, content=True)
    if batch["status"] == "committed":
        return await result(batch_id)
    if batch["status"] != "previewed":
        raise RuleViolation(_("This import can no longer be confirmed (it is %(status)s).")
                            % {"status": status_label(batch["status"])})
    if batch["rows_error"]:
        raise RuleViolation(_("Rows with errors: fix them in the file and upload it again. Nothing was imported."))
    raw = batch.get("content", b"")
    try:
        async with db.transaction():
            await _lock(await _batch_district_ids(batch_id))
            current = await ImportBatch.select(ImportBatch.status).where(ImportBatch.id == batch_id).first()
            if current is None or current["status"] == "committed":
                return await result(batch_id)  # confirmed by someone else a moment ago
            if current["status"] != "previewed":
                raise PlanChanged()
            if batch["kind"] == "sites":
                written = await _write_sites(batch_id, SiteOptions.from_json(batch["options"] or {}),
                                             (batch["options"] or {}).get("columns", domain.SITE_FIELDS),
                                             batch["state_sha256"], new_count=batch["rows_new"],
                                             total=batch["rows_total"], progress=progress)
            else:
                evaluation = await _evaluation(batch["district_evaluation"])
                tables = read_claim_tables(raw, batch["file_name"], max_bytes=max_bytes, api=batch["source"] == "api")
                claim_ctx = await _claim_context(evaluation)
                written = await _write_claims(actor, batch_id, _claim_plan(tables, claim_ctx), evaluation,
                                              batch["plan_sha256"])
            await ImportBatch.update({
                ImportBatch.status: "committed", ImportBatch.committed_at: _now(),
                ImportBatch.committed_by_label: actor.label,
            }).where(ImportBatch.id == batch_id)
            await _audit_batch(actor, f"{batch['kind']}.import", batch_id, batch, written)
    except (PlanChanged, ReadError):
        await ImportBatch.update({ImportBatch.status: "stale"}).where(
            (ImportBatch.id == batch_id) & (ImportBatch.status == "previewed"))
        raise Conflict(stale_message(), title=_("Someone imported at the same time")) from None
    return await result(batch_id)


async def _audit_batch(actor: Actor, action: str, batch_id: int, batch: dict[str, Any],
                       written: dict[str, Any]) -> None:
    rows = await ImportBatchDistrict.select(
        ImportBatchDistrict.district, ImportBatchDistrict.district.code.as_alias("code"),
        ImportBatchDistrict.rows_new, ImportBatchDistrict.rows_changed, ImportBatchDistrict.rows_unchanged,
    ).where(ImportBatchDistrict.batch == batch_id)
    await audit.record_many(actor.user, action, [
        {"object_type": "import_batch", "object_id": batch_id, "district_id": r["district"],
         "after": {"file_name": batch["file_name"], "sha256": batch["sha256"], "new": r["rows_new"],
                   "changed": r["rows_changed"], "unchanged": r["rows_unchanged"], **written}}
        for r in rows], ip=actor.ip, actor_email="" if actor.user else actor.label)


SITE_INSERT_COLUMNS = ("district", "code", *SITE_COLUMNS, "created_at", "updated_at")
CHANGE_COLUMNS = ("batch", "object_type", "object_id", "action", "before", "after")


async def _write_sites(batch_id: int, options: SiteOptions, columns: Sequence[str], expected_state: str, *,
                       new_count: int, total: int, progress: Progress | None) -> dict[str, Any]:
    """Inside the confirm's transaction, with the kab/kota locked: check their stored sites are as
    the preview saw them, then write the preview's new and changed rows."""
    ctx = await _site_context(None, options)  # the rules' context as it is now
    districts = await _batch_district_ids(batch_id)
    existing = await _existing_sites(districts, {d.id: d.code for d in ctx.districts.values()})
    if domain.site_state_digest(ctx, existing.items()) != expected_state:
        raise PlanChanged()
    now = _now()
    if new_count:  # the database reads the preview's stored values itself
        await _insert_new_sites(batch_id, now)
        if progress:
            progress("import", new_count, total)
    updates: dict[tuple[str, ...], list[tuple[Any, ...]]] = defaultdict(list)
    changes: list[tuple[Any, ...]] = []
    written = [c for c in columns if c != "is_active"]
    for r in await ImportRow.select(ImportRow.district_code, ImportRow.key, ImportRow.label,
                                    *[getattr(ImportRow, c) for c in SITE_VALUE_COLUMNS]).where(
            (ImportRow.batch == batch_id) & (ImportRow.outcome == CHANGED)):
        before = existing[(r["district_code"], r["key"])]
        values = {c: (r["label"] if c == "name" else r[c]) for c in written} | {"is_active": True}
        names = tuple(sorted(values))
        updates[names].append((*[values[c] for c in names], now, before.id))
        changes.append((batch_id, "site", before.id, "changed", _json({c: before.values.get(c) for c in names}),
                        _json(values)))
    for columns, rows in updates.items():
        for start in range(0, len(rows), CHUNK):
            await db.update_rows("site", (*columns, "updated_at"), rows[start:start + CHUNK])
    for start in range(0, len(changes), CHUNK):
        await db.copy_rows("import_change", CHANGE_COLUMNS, changes[start:start + CHUNK])
    if progress:
        progress("import", total, total)
    return {}


async def _insert_new_sites(batch_id: int, now: datetime) -> None:
    """INSERT … SELECT of a preview's new sites from their stored rows. Undo finds them again by
    their kab/kota and code."""
    columns = ", ".join(SITE_INSERT_COLUMNS)
    await Site.raw(
        f"INSERT INTO site ({columns}) SELECT r.district_id, r.key, r.label, r.site_type, "  # noqa: S608
        "COALESCE(r.address, ''), COALESCE(r.kecamatan, ''), COALESCE(r.kelurahan, ''), r.latitude, r.longitude, "
        "COALESCE(r.contact_person, ''), COALESCE(r.phone, ''), TRUE, {}, {} FROM import_row r "
        "WHERE r.batch = {} AND r.outcome = 'new'", now, now, batch_id)


async def _created_sites(batch_id: int) -> list[int]:
    """The sites a committed site import created (its preview's new rows)."""
    rows = await Site.raw(
        "SELECT s.id FROM import_row r JOIN region g ON g.code = r.district_code"
        " JOIN site s ON s.district = g.id AND s.code = r.key WHERE r.batch = {} AND r.outcome = 'new'", batch_id)
    return [r["id"] for r in rows]


async def _write_claims(actor: Actor, batch_id: int, plan: Iterable[RowPlan], evaluation: dict[str, Any],
                        expected: str) -> dict[str, Any]:
    now = _now()
    digest = hashlib.sha256()
    rows = []
    for row in plan:
        digest.update(row.fingerprint())
        if row.outcome == ERROR:
            raise PlanChanged()
        rows.append(row)
    if digest.hexdigest() != expected:
        raise PlanChanged()
    changes: list[tuple[Any, ...]] = []
    for row in rows:
        if row.outcome not in (NEW, CHANGED) or row.values is None:
            continue
        values = dict(row.values)
        table: Any
        columns: dict[str, Any]
        if row.sheet == "indicator_claims":
            table, object_type = IndicatorClaim, "indicator_claim"
            columns = {c: values[c] for c in ("value_kind", "value", "unit", "claimed_score", "max_score",
                                              "documents") if c in values}
        else:
            table, object_type = SiteItemClaim, "site_item_claim"
            columns = {c: values[c] for c in ("claimed_status", "documents") if c in values}
        columns |= {"deleted_at": None, "updated_by": actor.user_id, "updated_at": now}
        if row.outcome == NEW:
            keys: dict[str, Any] = ({"indicator_code": row.key} if object_type == "indicator_claim" else
                                    {"site": values["site_id"], "item_code": values["item_code"]})
            [created] = await table.insert(table(district_evaluation=evaluation["id"], **keys, **columns)).returning(
                table.id)
            changes.append((batch_id, object_type, created["id"], "created", None, None))
        else:
            before_row = await table.select(*[getattr(table, c) for c in columns]).where(
                table.id == row.existing_id).output(load_json=True).first()
            await table.update({getattr(table, c): v for c, v in columns.items()}).where(table.id == row.existing_id)
            changes.append((batch_id, object_type, row.existing_id, "changed", _json(before_row), _json(columns)))
    await db.copy_rows("import_change", CHANGE_COLUMNS, changes)
    total = await self_assessment(evaluation["id"])
    return {"self_assessment": str(total["total"])}


# === results, history ================================================================================

async def self_assessment(evaluation_id: int) -> dict[str, Any]:
    """The sum of the claimed scores of a district evaluation, with its predicate."""
    evaluation = await _evaluation(evaluation_id)
    scores = [r["claimed_score"] for r in await IndicatorClaim.select(IndicatorClaim.claimed_score).where(
        (IndicatorClaim.district_evaluation == evaluation_id) & IndicatorClaim.deleted_at.is_null())]
    total = domain.claims_total([_decimal(s, CENTS) for s in scores]).quantize(CENTS)
    predicates = await Predicate.select(Predicate.code, Predicate.name_id, Predicate.name_en, Predicate.min_score,
                                        Predicate.max_score).where(
        Predicate.version == evaluation["catalogue_version"])
    found = predicate_for(total, [ScorePredicate(p["code"], Decimal(str(p["min_score"])),
                                                 Decimal(str(p["max_score"]))) for p in predicates])
    names = {p["code"]: (p["name_id"], p["name_en"]) for p in predicates}
    return {"total": total, "claims": len(scores), "predicate": found.code if found else "",
            "predicate_names": names.get(found.code, ("", "")) if found else ("", "")}


async def result(batch_id: int) -> dict[str, Any]:
    batch = await _batch(batch_id)
    out = {"import_id": batch_id, "kind": batch["kind"], "status": batch["status"],
           "counts": {"rows": batch["rows_total"], "new": batch["rows_new"], "changed": batch["rows_changed"],
                      "unchanged": batch["rows_unchanged"], "errors": batch["rows_error"],
                      "warnings": batch["rows_warning"]}}
    if batch["kind"] == "claims" and batch["district_evaluation"]:
        total = await self_assessment(batch["district_evaluation"])
        out["self_assessment"] = {"total": str(total["total"]), "predicate": total["predicate"]}
    return out


STATUS_LABELS = {"previewed": N_("previewed, not imported yet"), "committed": N_("imported"), "undone": N_("undone"),
                 "discarded": N_("discarded"), "stale": N_("out of date")}


def status_label(status: str) -> str:
    return _(STATUS_LABELS[status]) if status in STATUS_LABELS else status


async def get_batch(viewer: Actor, batch_id: int) -> dict[str, Any]:
    """An import with its districts and (for claims) its evaluation; admins and system actors only."""
    batch = await _batch(batch_id)
    batch["districts"] = await ImportBatchDistrict.select(
        ImportBatchDistrict.district.id.as_alias("id"), ImportBatchDistrict.district.code.as_alias("code"),
        ImportBatchDistrict.district.name.as_alias("name"), ImportBatchDistrict.rows_new,
        ImportBatchDistrict.rows_changed, ImportBatchDistrict.rows_unchanged, ImportBatchDistrict.rows_error,
    ).where(ImportBatchDistrict.batch == batch_id).order_by(ImportBatchDistrict.district.code)
    batch["evaluation"] = await _evaluation(batch["district_evaluation"]) if batch["district_evaluation"] else None
    if batch["kind"] == "claims" and batch["status"] == "committed" and batch["evaluation"]:
        batch["self_assessment"] = await self_assessment(batch["district_evaluation"])
    return batch


async def batch_rows(batch_id: int, *, outcome: str = "", warnings: bool = False, page: int = 1,
                     page_size: int = PAGE_SIZE) -> tuple[list[dict[str, Any]], bool]:
    """One page of a preview's rows, errors first when no filter is given."""
    query = ImportRow.select(ImportRow.line, ImportRow.sheet, ImportRow.outcome, ImportRow.district_code,
                             ImportRow.key, ImportRow.label, ImportRow.changes, ImportRow.problems,
                             ImportRow.site_type, ImportRow.kecamatan, ImportRow.kelurahan, ImportRow.latitude,
                             ImportRow.longitude).where(ImportRow.batch == batch_id)
    if outcome in domain.OUTCOMES:
        query = query.where(ImportRow.outcome == outcome)
    if warnings:
        query = query.where(ImportRow.problems.is_not_null() & (ImportRow.outcome != ERROR))
    rows = await query.order_by(ImportRow.id).limit(page_size + 1).offset((page - 1) * page_size).output(
        load_json=True)
    return rows[:page_size], len(rows) > page_size


async def history(*, district_code: str = "", kind: str = "", page: int = 1) -> tuple[list[dict[str, Any]], bool]:
    """Imports, newest first; for one kab/kota with its counts there."""
    columns = (ImportBatch.id, ImportBatch.kind, ImportBatch.status, ImportBatch.source, ImportBatch.file_name,
               ImportBatch.sha256, ImportBatch.created_by_label, ImportBatch.created_at, ImportBatch.committed_at,
               ImportBatch.committed_by_label, ImportBatch.undone_at, ImportBatch.rows_total, ImportBatch.rows_new,
               ImportBatch.rows_changed, ImportBatch.rows_unchanged, ImportBatch.rows_error)
    query = ImportBatch.select(*columns)
    if district_code:
        ids = ImportBatchDistrict.select(ImportBatchDistrict.batch).where(
            ImportBatchDistrict.district.code == district_code)
        query = query.where(ImportBatch.id.is_in(ids))
    if kind in ("sites", "claims"):
        query = query.where(ImportBatch.kind == kind)
    rows = await query.order_by(ImportBatch.id, ascending=False).limit(PAGE_SIZE + 1).offset(
        (page - 1) * PAGE_SIZE)
    if rows:
        places = await ImportBatchDistrict.select(
            ImportBatchDistrict.batch, ImportBatchDistrict.district.code.as_alias("code"),
            ImportBatchDistrict.district.name.as_alias("name")).where(
            ImportBatchDistrict.batch.is_in([r["id"] for r in rows]))
        by_batch: defaultdict[int, list[dict[str, Any]]] = defaultdict(list)
        for p in places:
            by_batch[p["batch"]].append(p)
        for r in rows:
            r["districts"] = sorted(by_batch[r["id"]], key=lambda p: p["code"])
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


async def districts_with_imports() -> list[dict[str, Any]]:
    ids = ImportBatchDistrict.select(ImportBatchDistrict.district)
    return await Region.select(Region.code, Region.name).where(Region.id.is_in(ids)).order_by(Region.code)


async def discard(actor: Actor, batch_id: int) -> None:
    """Drop a preview that will not be confirmed (its file and rows are deleted)."""
    batch = await _batch(batch_id)
    if batch["status"] not in ("previewed", "stale"):
        raise RuleViolation(_("Only a preview that was not imported can be discarded."))
    async with db.transaction():
        await ImportRow.delete().where(ImportRow.batch == batch_id)
        await ImportBatch.update({ImportBatch.status: "discarded", ImportBatch.content: b""}).where(
            ImportBatch.id == batch_id)
        await _audit(actor, f"{batch['kind']}.discard", object_type="import_batch", object_id=batch_id,
                     after={"file_name": batch["file_name"]})


async def preview_again(actor: Actor, batch_id: int, *, max_bytes: int) -> int:
    """A new preview of the same file (after the rows changed under an old one)."""
    batch = await _batch(batch_id, content=True)
    if batch["status"] not in ("previewed", "stale") or not batch["content"]:
        raise RuleViolation(_("This import can no longer be previewed again; upload the file again."))
    actor = replace(actor, source=batch["source"])  # the content is a file, or the API's JSON
    if batch["kind"] == "sites":
        new_id = await preview_sites(actor, batch["content"], batch["file_name"],
                                     SiteOptions.from_json(batch["options"] or {}), max_bytes=max_bytes)
    else:
        new_id = await preview_claims(actor, batch["content"], batch["file_name"], batch["district_evaluation"],
                                      max_bytes=max_bytes)
    await discard(actor, batch_id)
    return new_id


# === undo ===========================================================================================

async def sites_in_use(site_ids: Sequence[int]) -> list[str]:
    """Codes of the sites something has been recorded against, which an undo must leave alone.
    Today: claims about their checklist items. Visits, findings and photos reference sites
    too once they exist: add their tables here."""
    used: set[int] = set()
    ids = list(site_ids)
    for start in range(0, len(ids), 500):
        rows = await SiteItemClaim.select(SiteItemClaim.site).where(SiteItemClaim.site.is_in(ids[start:start + 500]))
        used |= {r["site"] for r in rows}
    if not used:
        return []
    rows = await Site.select(Site.code).where(Site.id.is_in(sorted(used))).order_by(Site.code)
    return [r["code"] for r in rows]


async def claims_in_use(indicator_claim_ids: Sequence[int], item_claim_ids: Sequence[int]) -> list[str]:
    """Claims something has been recorded against (an undo must leave them alone). Nothing
    references claims yet: findings, indicator verifications and gaps will; add them here."""
    return []


async def undo(actor: Actor, batch_id: int) -> dict[str, Any]:
    """Take a committed import back: what it created is deleted, what it changed gets its old
    values. Refused while anything has been recorded against them, when a later import changed
    them (undo that first) or when they were edited since."""
    batch = await _batch(batch_id)
    if batch["status"] != "committed":
        raise RuleViolation(_("Only an import that was committed can be undone."))
    async with db.transaction():
        await _lock(await _batch_district_ids(batch_id))
        current = await ImportBatch.select(ImportBatch.status).where(ImportBatch.id == batch_id).first()
        if current is None or current["status"] != "committed":
            raise Conflict(_("This import was undone a moment ago."))
        changes = await ImportChange.select().where(ImportChange.batch == batch_id).output(load_json=True)
        if batch["kind"] == "sites":  # what a site import created is found through its preview
            changes += [{"object_type": "site", "object_id": site_id, "action": "created", "before": None,
                         "after": None} for site_id in await _created_sites(batch_id)]
        await _check_undo(batch_id, batch["kind"], changes)
        by_type: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        for change in changes:
            by_type[change["object_type"]].append(change)
        now = _now()
        tables: dict[str, Any] = {"site": Site, "indicator_claim": IndicatorClaim, "site_item_claim": SiteItemClaim}
        for object_type, items in by_type.items():
            table = tables[object_type]
            created = [c["object_id"] for c in items if c["action"] == "created"]
            for start in range(0, len(created), 1000):
                await table.delete().where(table.id.is_in(created[start:start + 1000]))
            for change in (c for c in items if c["action"] == "changed"):
                before = _restore_values(table, change["before"] or {})
                if object_type == "site":
                    before["updated_at"] = now
                await table.update({getattr(table, k): v for k, v in before.items()}).where(
                    table.id == change["object_id"])
        await ImportBatch.update({ImportBatch.status: "undone", ImportBatch.undone_at: now,
                                  ImportBatch.undone_by_label: actor.label}).where(ImportBatch.id == batch_id)
        await _audit_batch(actor, f"{batch['kind']}.import.undo", batch_id, batch,
                           {"deleted": sum(1 for c in changes if c["action"] == "created"),
                            "restored": sum(1 for c in changes if c["action"] == "changed")})
    return await result(batch_id)


def _restore_values(table: Any, values: dict[str, Any]) -> dict[str, Any]:
    restored: dict[str, Any] = {}
    for key, value in values.items():
        column = getattr(table, key)
        kind = type(column).__name__
        if value is not None and kind == "Numeric":
            value = Decimal(str(value))
        elif value is not None and kind == "Timestamptz":
            value = datetime.fromisoformat(value) if isinstance(value, str) else value
        restored[key] = value
    return restored


async def _check_undo(batch_id: int, kind: str, changes: list[dict[str, Any]]) -> None:
    problems: list[str] = []
    keys = {(c["object_type"], c["object_id"]) for c in changes}
    ids = sorted({c["object_id"] for c in changes})
    later: set[int] = set()
    for start in range(0, len(ids), 1000):
        rows = await ImportChange.select(ImportChange.batch, ImportChange.object_type, ImportChange.object_id).where(
            ImportChange.object_id.is_in(ids[start:start + 1000]) & (ImportChange.batch > batch_id)
            & (ImportChange.batch.status == "committed"))
        later |= {r["batch"] for r in rows if (r["object_type"], r["object_id"]) in keys}
    if later:
        problems.append(_("A later import changed the same rows; undo import %(ids)s first.")
                        % {"ids": ", ".join(f"#{i}" for i in sorted(later))})
    if kind == "sites":
        used = await sites_in_use([c["object_id"] for c in changes])
        if used:
            problems.append(_("Claims have been recorded for sites %(codes)s.") % {"codes": _few(used)})
        edited = await _edited_since(Site, [c for c in changes if c["action"] == "changed"], "code")
    else:
        used = await claims_in_use([c["object_id"] for c in changes if c["object_type"] == "indicator_claim"],
                                   [c["object_id"] for c in changes if c["object_type"] == "site_item_claim"])
        if used:
            problems.append(_("Findings have been recorded for claims %(codes)s.") % {"codes": _few(used)})
        edited = (await _edited_since(IndicatorClaim, [c for c in changes if c["action"] == "changed"
                                                       and c["object_type"] == "indicator_claim"], "indicator_code")
                  + await _edited_since(SiteItemClaim, [c for c in changes if c["action"] == "changed"
                                                        and c["object_type"] == "site_item_claim"], "item_code"))
    if edited:
        problems.append(_("These were edited after the import: %(codes)s.") % {"codes": _few(edited)})
    if problems:
        raise RuleViolation(_("This import cannot be undone. %(reasons)s") % {"reasons": " ".join(problems)},
                            title=_("Undo is not possible"))


def _few(codes: Sequence[str], n: int = 10) -> str:
    shown = ", ".join(codes[:n])
    return shown + (_(" and %(more)s more") % {"more": len(codes) - n} if len(codes) > n else "")


async def _edited_since(table: Any, changes: list[dict[str, Any]], label_column: str) -> list[str]:
    edited = []
    for change in changes:
        after = {k: v for k, v in (change["after"] or {}).items() if k not in ("updated_at", "updated_by")}
        if not after:
            continue
        row = await table.select(getattr(table, label_column), *[getattr(table, k) for k in after]).where(
            table.id == change["object_id"]).output(load_json=True).first()
        if row is None:
            continue
        current = {k: row[k] for k in after}
        if domain.diff(current, _restore_values(table, after)):
            edited.append(str(row[label_column]))
    return edited


# === sites missing from a file ==========================================================================

async def missing_sites(batch_id: int, district_id: int) -> list[dict[str, Any]]:
    """Active sites of the kab/kota that the file does not list (they stay; an admin may mark
    them inactive)."""
    listed = ImportRow.select(ImportRow.key).where(ImportRow.batch == batch_id)
    return await Site.select(Site.id, Site.code, Site.name, Site.site_type).where(
        (Site.district == district_id) & (Site.is_active == True) & Site.code.not_in(listed)  # noqa: E712
    ).order_by(Site.code).limit(500)


async def deactivate_sites(actor: Actor, district_id: int, site_ids: Sequence[int]) -> int:
    """Mark sites of one kab/kota inactive (they are kept, with everything recorded about them)."""
    if not site_ids:
        return 0
    async with db.transaction():
        await _lock([district_id])
        rows = await Site.select(Site.id, Site.code).where(
            Site.id.is_in(list(site_ids)) & (Site.district == district_id) & (Site.is_active == True))  # noqa: E712
        if rows:
            await Site.update({Site.is_active: False, Site.updated_at: _now()}).where(
                Site.id.is_in([r["id"] for r in rows]))
        for r in rows:
            await _audit(actor, "site.deactivate", object_type="site", object_id=r["id"], district_id=district_id,
                         before={"is_active": True}, after={"is_active": False, "code": r["code"]})
    return len(rows)
