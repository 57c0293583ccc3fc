"""Gaps as users see them: who may see which gap, the filtered list, one gap with its subject
and timeline, and the counts the dashboard (and "needs my action") show.

Access (KLA.md): admins and the verifiers on the evaluation's team see every gap, provenance
included; district staff see the gaps of their own kab/kota that are visible to the district;
everyone else (note-takers, other districts) gets NotFound.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.audit import queries as audit
from fieldvisit.db import placeholders, raw_rows
from fieldvisit.errors import Forbidden, NotFound, RuleViolation
from fieldvisit.gaps import domain
from fieldvisit.gaps.domain import Action, GapFilter
from fieldvisit.gaps.tables import GapAttachment, GapEvent, GapReminder
from fieldvisit.reconcile.domain import ACTIVE, DECIDED, GapStatus, parse_subject
from fieldvisit.reconcile.queries import Evaluation, as_date, as_datetime, json_value, load_meta

# ---- who sees what -----------------------------------------------------------------------------


@dataclass(frozen=True)
class GapAccess:
    """An evaluation as one user may see its gaps."""

    evaluation: Evaluation
    full: bool  # every gap, provenance included (admins, verifiers on the team)
    may_judge: bool  # may accept, reject, close, reconcile (the same people, today)


async def is_assigned(user: CurrentUser, evaluation_id: int) -> bool:
    rows = await raw_rows('SELECT 1 AS yes FROM assignment WHERE district_evaluation = {} AND "user" = {}',
                       evaluation_id, user.id)
    return bool(rows)


async def gap_access(user: CurrentUser, evaluation_id: int) -> GapAccess:
    """Admins and assigned verifiers: everything; district staff of the kab/kota: what the
    district sees; anyone else: NotFound."""
    evaluation = await load_meta(evaluation_id, user_id=user.id if user.role is Role.VERIFIER else None)
    if evaluation is None:
        raise NotFound()
    if user.role is Role.ADMIN:
        return GapAccess(evaluation, True, True)
    if user.role is Role.DISTRICT and user.district_id == evaluation.district_id:
        return GapAccess(evaluation, False, False)
    if user.role is Role.VERIFIER and evaluation.assigned:
        return GapAccess(evaluation, True, True)
    raise NotFound()


async def team_access(user: CurrentUser, evaluation_id: int) -> GapAccess:
    """Only those who see every gap (the dashboard, "reconcile now")."""
    access = await gap_access(user, evaluation_id)
    if not access.full:
        raise NotFound()
    return access


async def evaluation_accesses(user: CurrentUser, evaluation_ids: list[int]) -> AsyncIterator[GapAccess]:
    """Each evaluation's access in turn, loaded when its turn comes (a whole-round export)."""
    for evaluation_id in evaluation_ids:
        yield await gap_access(user, evaluation_id)


# ---- the list ------------------------------------------------------------------------------------


LIST_COLUMNS = ("g.id, g.rule, g.subject, g.severity, g.visible_to_district, g.status, g.facts, g.site, "
                "g.indicator_code, g.due_on, g.opened_at, g.updated_at, g.settled_at, s.name AS site_name")
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "review": 3}
LIST_LIMIT = 500


async def list_gaps(access: GapAccess, flt: GapFilter, *, today: date, cluster_indicators: list[str] | None = None,
                    limit: int = LIST_LIMIT, after_id: int = 0, ordered: bool = True) -> list[dict[str, Any]]:
    """The evaluation's gaps matching ``flt``, most urgent first (waiting for the district and
    overdue, then by severity, then due date). ``cluster_indicators``: the indicator codes of
    ``flt.cluster`` in the round's catalogue. Exports page through it by id (``after_id``,
    ``ordered=False``)."""
    where: list[str] = ["g.district_evaluation = {}", "g.id > {}"]
    args: list[Any] = [access.evaluation.id, after_id]
    if not access.full:
        where.append("g.visible_to_district = {}")
        args.append(True)
    if flt.status == "active":
        where.append(f"g.status IN ({placeholders(list(ACTIVE))})")
        args += sorted(ACTIVE)
    elif flt.status:
        where.append("g.status = {}")
        args.append(flt.status)
    if flt.rule:
        where.append("g.rule = {}")
        args.append(flt.rule)
    if flt.indicator:
        where.append("g.indicator_code = {}")
        args.append(flt.indicator)
    if flt.cluster:
        codes = cluster_indicators or [""]
        where.append(f"g.indicator_code IN ({placeholders(codes)})")
        args += codes
    if flt.overdue:
        where.append(f"g.due_on < {{}} AND g.status IN ({placeholders(list(domain.AWAITING_DISTRICT))})")
        args += [today, *sorted(domain.AWAITING_DISTRICT)]
    sql = (f"SELECT {LIST_COLUMNS} FROM gap g LEFT JOIN site s ON s.id = g.site "  # noqa: S608 - built from constants
           f"WHERE {' AND '.join(where)} ORDER BY g.id LIMIT {int(limit) + 1}")
    rows = [_gap_row(r, today) for r in await raw_rows(sql, *args)]
    if not ordered:
        return rows
    rows.sort(key=lambda r: (not r["overdue"], r["status"] not in domain.AWAITING_DISTRICT | domain.AWAITING_VERIFIER,
                             SEVERITY_ORDER.get(r["severity"], 9), r["due_on"] or date.max, r["id"]))
    return rows


def _gap_row(r: dict[str, Any], today: date) -> dict[str, Any]:
    r["facts"] = json_value(r["facts"]) or {}
    r["due_on"] = as_date(r["due_on"])
    for key in ("opened_at", "updated_at", "settled_at"):
        if key in r:
            r[key] = as_datetime(r[key])
    r["overdue"] = domain.is_overdue(r["status"], r["due_on"], today)
    r["typed_facts"] = domain.typed_facts(r["facts"])
    r["visible_to_district"] = bool(r["visible_to_district"])
    return r


# ---- one gap --------------------------------------------------------------------------------------


async def get_gap_for_user(user: CurrentUser, gap_id: int) -> tuple[dict[str, Any], GapAccess]:
    """The gap and how its viewer sees it; NotFound for a gap the user may not see (another
    district's, a provenance gap for district staff, any gap for note-takers)."""
    rows = await raw_rows(f"SELECT {LIST_COLUMNS}, g.district_evaluation FROM gap g LEFT JOIN site s ON s.id = g.site "  # noqa: S608
                       "WHERE g.id = {}", gap_id)
    if not rows:
        raise NotFound()
    access = await gap_access(user, int(rows[0]["district_evaluation"]))
    if not access.full and not rows[0]["visible_to_district"]:
        raise NotFound()
    return rows[0], access


async def gap_page(user: CurrentUser, gap_id: int, *, now: datetime) -> dict[str, Any]:
    """What the gap page shows: the gap (overdue as of today in its district), its subject
    (claim, site or photo), its timeline."""
    gap, access = await get_gap_for_user(user, gap_id)
    gap = _gap_row(gap, domain.local_today(now, access.evaluation.utc_offset))
    others = [int(s) for s in gap["facts"].get("reused_at_site_ids") or []]
    site_names = {int(r["id"]): r["name"] for r in await raw_rows(
        f"SELECT id, name FROM site WHERE id IN ({placeholders(others)})", *others)} if others else {}  # noqa: S608
    return {"gap": gap, "access": access, "evaluation": access.evaluation,
            "subject": await describe_subject(gap["subject"], access.evaluation),
            "timeline": await timeline(gap_id), "site_names": site_names}


async def describe_subject(subject: str, evaluation: Evaluation) -> dict[str, Any]:
    """The claim, site or photo a gap is about, with the catalogue words for its item or
    indicator (both languages; the template picks)."""
    kind, ident = parse_subject(subject)
    found: dict[str, Any] = {"kind": kind, "id": ident}
    if kind == "claim":
        rows = await raw_rows(
            "SELECT c.id, c.item_code, c.claimed_status, c.documents, c.deleted_at, s.id AS site_id, s.name AS site_name, "
            "s.code AS site_code, i.text_id, i.text_en, i.indicator_code FROM site_item_claim c "
            "JOIN site s ON s.id = c.site LEFT JOIN catalogue_checklist_item i ON i.code = c.item_code "
            "AND i.version = {} WHERE c.id = {}", evaluation.catalogue_version_id, ident)
    elif kind == "indicator_claim":
        rows = await raw_rows(
            "SELECT c.id, c.indicator_code, c.value, c.value_kind, c.unit, c.claimed_score, c.documents, c.deleted_at, "
            "i.short_id, i.name_id, i.name_en FROM indicator_claim c LEFT JOIN catalogue_indicator i "
            "ON i.code = c.indicator_code AND i.version = {} WHERE c.id = {}", evaluation.catalogue_version_id, ident)
    elif kind == "site":
        rows = await raw_rows("SELECT id AS site_id, name AS site_name, code AS site_code, site_type FROM site "
                           "WHERE id = {}", ident)
    else:
        rows = await raw_rows("SELECT p.id, p.item_code, p.taken_at, p.distance_m, p.source, s.id AS site_id, "
                           "s.name AS site_name FROM photo p JOIN site s ON s.id = p.site WHERE p.id = {}", ident)
    if rows:
        found |= rows[0]
        if "documents" in found:
            found["documents"] = json_value(found["documents"]) or []
    found["exists"] = bool(rows) and not found.get("deleted_at")
    return found


async def timeline(gap_id: int) -> list[dict[str, Any]]:
    rows = await raw_rows(
        "SELECT e.id, e.at, e.kind, e.text, e.status_before, e.status_after, e.facts_before, e.facts_after, "
        "u.name AS actor_name, u.role AS actor_role FROM gap_event e LEFT JOIN app_user u ON u.id = e.actor "
        "WHERE e.gap = {} ORDER BY e.at, e.id", gap_id)
    for r in rows:
        r["at"] = as_datetime(r["at"])
        r["facts_before"] = json_value(r["facts_before"])
        r["facts_after"] = json_value(r["facts_after"])
    return rows


# ---- counts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GapCounts:
    """Counts of one evaluation's gaps, for the dashboard and the home pages."""

    by_rule_status: dict[str, dict[str, int]]  # rule -> status -> count
    active_by_indicator: dict[str, dict[str, int]]  # indicator -> rule -> active count
    overdue: int
    total: int

    def active(self, rule: str | None = None) -> int:
        rules = [rule] if rule else list(self.by_rule_status)
        return sum(n for r in rules for s, n in self.by_rule_status.get(r, {}).items() if s in ACTIVE)


async def gap_counts(evaluation_id: int, *, today: date, district_view: bool = False) -> GapCounts:
    """One grouped query over the evaluation's gaps (index gap_evaluation_status)."""
    where = "district_evaluation = {}" + (" AND visible_to_district = {}" if district_view else "")
    args: list[Any] = [evaluation_id] + ([True] if district_view else [])
    rows = await raw_rows(
        f"SELECT rule, status, indicator_code, COUNT(*) AS n, "  # noqa: S608
        f"SUM(CASE WHEN due_on < {{}} AND status IN ({placeholders(list(domain.AWAITING_DISTRICT))}) THEN 1 ELSE 0 END) "
        f"AS overdue FROM gap WHERE {where} GROUP BY rule, status, indicator_code",
        today, *sorted(domain.AWAITING_DISTRICT), *args)
    by_rule_status: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_indicator: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    overdue = total = 0
    for r in rows:
        n = int(r["n"])
        by_rule_status[r["rule"]][r["status"]] += n
        if r["status"] in ACTIVE:
            by_indicator[r["indicator_code"] or ""][r["rule"]] += n
        overdue += int(r["overdue"] or 0)
        total += n
    return GapCounts({k: dict(v) for k, v in by_rule_status.items()}, {k: dict(v) for k, v in by_indicator.items()},
                     overdue, total)


# ---- the evidence chain ------------------------------------------------------------------------------


async def evidence(gap: dict[str, Any], subject: dict[str, Any], access: GapAccess) -> dict[str, Any]:
    """What was found about the gap's subject: every version of the findings of its site (and
    item), the photos of that site (and item), who saved them and when, and the indicator's
    verified values. Photos are shown by their display copy; GPS and originals never."""
    ev = access.evaluation
    site_id = subject.get("site_id") or gap.get("site")
    item = subject.get("item_code") or gap["facts"].get("item_code") or ""
    findings: list[dict[str, Any]] = []
    photos: list[dict[str, Any]] = []
    if site_id:
        item_sql, item_args = (" AND f.item_code = {}", [item]) if item else ("", [])
        findings = await raw_rows(
            "SELECT f.id, f.item_code, f.version, f.result, f.note, f.saved_at, u.name AS saved_by_name, "  # noqa: S608
            "v.mode, v.outcome FROM finding f JOIN app_user u ON u.id = f.saved_by JOIN visit v ON v.id = f.visit "
            f"WHERE f.district_evaluation = {{}} AND f.site = {{}}{item_sql} ORDER BY f.item_code, f.version DESC "
            "LIMIT 200", ev.id, int(site_id), *item_args)
        for f in findings:
            f["saved_at"] = as_datetime(f["saved_at"])
        item_sql = " AND p.item_code = {}" if item else ""
        photos = await raw_rows(
            "SELECT p.id, p.item_code, p.taken_at, p.distance_m, p.source, p.derivatives_ready, "  # noqa: S608
            "u.name AS uploaded_by_name FROM photo p JOIN app_user u ON u.id = p.uploaded_by "
            f"WHERE p.district_evaluation = {{}} AND p.site = {{}}{item_sql} ORDER BY p.id LIMIT 60",
            ev.id, int(site_id), *item_args)
        for p in photos:
            p["taken_at"] = as_datetime(p["taken_at"])
            p["display_url"] = domain.photo_display_path(p["id"])
            if not access.full:  # provenance (time, distance, source) is for verifiers only
                p["taken_at"] = p["distance_m"] = None
                p["source"] = ""
    verifications: list[dict[str, Any]] = []
    indicator = subject.get("indicator_code") if subject.get("kind") == "indicator_claim" else None
    if indicator:
        verifications = await raw_rows(
            "SELECT v.id, v.version, v.verified_value, v.note, v.verified_at, u.name AS verified_by_name "
            "FROM indicator_verification v JOIN app_user u ON u.id = v.verified_by "
            "WHERE v.district_evaluation = {} AND v.indicator_code = {} ORDER BY v.version DESC",
            ev.id, indicator)
        for v in verifications:
            v["verified_at"] = as_datetime(v["verified_at"])
    return {"findings": findings, "photos": photos, "verifications": verifications}


async def attachments_by_event(gap_id: int) -> dict[int, list[dict[str, Any]]]:
    rows = await raw_rows(
        "SELECT a.id, a.event, a.kind, a.file_name, a.content_type, a.size_bytes FROM gap_attachment a "
        "JOIN gap_event e ON e.id = a.event WHERE e.gap = {} ORDER BY a.id", gap_id)
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        found[int(r["event"])].append(r)
    return dict(found)


async def attachment_for_user(user: CurrentUser, attachment_id: int) -> dict[str, Any]:
    """An attachment of a response, for someone who may see its gap (NotFound otherwise). For an
    image, the key served is its display copy, never the original."""
    rows = await raw_rows(
        "SELECT a.id, a.kind, a.blob_key, a.display_key, a.file_name, a.content_type, e.gap FROM gap_attachment a "
        "JOIN gap_event e ON e.id = a.event WHERE a.id = {}", attachment_id)
    if not rows:
        raise NotFound()
    await get_gap_for_user(user, int(rows[0]["gap"]))
    row = rows[0]
    if row["kind"] == "photo":
        if not row["display_key"]:
            raise NotFound()
        return {**row, "serve_key": row["display_key"], "serve_type": "image/jpeg",
                "serve_name": row["file_name"].rsplit(".", 1)[0] + ".jpg"}
    return {**row, "serve_key": row["blob_key"], "serve_type": row["content_type"], "serve_name": row["file_name"]}


# ---- the response loop -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Changed:
    """One gap moved by a person: for the notifications."""

    gap_id: int
    evaluation_id: int
    district_id: int
    event: str
    status: str
    text: str


async def _locked_gap(gap_id: int) -> dict[str, Any]:
    lock = " FOR UPDATE" if isinstance(db.engine(), PostgresEngine) else ""
    rows = await raw_rows(f"SELECT id, status, due_on, district_evaluation, rule, subject FROM gap WHERE id = {{}}{lock}",  # noqa: S608
                          gap_id)
    if not rows:
        raise NotFound()
    return rows[0]


async def _move(user: CurrentUser, gap: dict[str, Any], step: domain.Step, text: str, *, now: datetime,
                district_id: int, ip: str) -> int:
    """Write the new status and its timeline event (inside the caller's transaction)."""
    await raw_rows("UPDATE gap SET status = {}, updated_at = {}, settled_at = {} WHERE id = {}",
                   str(step.status), now, now if step.status in DECIDED else None, gap["id"])
    [event] = await GapEvent.insert(GapEvent(
        gap=gap["id"], at=now, actor=user.id, kind=str(step.event), text=text, status_before=gap["status"],
        status_after=str(step.status))).returning(GapEvent.id)
    await audit.record(user, f"gap.{step.event}", object_type="gap", object_id=gap["id"], district_id=district_id,
                       before={"status": gap["status"]}, after={"status": str(step.status), "text": text[:500]}, ip=ip)
    return int(event["id"])


async def respond(user: CurrentUser, gap_id: int, access: GapAccess, text: str, stored: list[dict[str, Any]], *,
                  now: datetime, ip: str = "") -> Changed:
    """The district's answer: the gap moves to "responded", the text and the files (already in
    the blob store) go on its timeline."""
    async with db.transaction():
        gap = await _locked_gap(gap_id)
        step = domain.next_step(Action.RESPOND, gap["status"], may_judge=access.may_judge,
                                is_district=user.role is Role.DISTRICT)
        event = await _move(user, gap, step, text, now=now, district_id=access.evaluation.district_id, ip=ip)
        for s in stored:
            await GapAttachment.insert(GapAttachment(event=event, uploaded_by=user.id, uploaded_at=now, **s))
    return Changed(gap_id, access.evaluation.id, access.evaluation.district_id, str(step.event), str(step.status), text)


async def decide(user: CurrentUser, gap_id: int, access: GapAccess, action: Action, text: str, *, now: datetime,
                 ip: str = "") -> Changed:
    """A verifier's decision on one gap (Forbidden for district staff, RuleViolation when the
    gap is not in a state for it)."""
    async with db.transaction():
        gap = await _locked_gap(gap_id)
        step = domain.next_step(action, gap["status"], may_judge=access.may_judge, is_district=False)
        await _move(user, gap, step, text, now=now, district_id=access.evaluation.district_id, ip=ip)
    return Changed(gap_id, access.evaluation.id, access.evaluation.district_id, str(step.event), str(step.status), text)


async def set_due(user: CurrentUser, gap_ids: list[int], access: GapAccess, due: date, *, now: datetime,
                  ip: str = "") -> int:
    """A new due date for gaps of the evaluation the district still owes an answer to; returns
    how many changed."""
    if not access.may_judge:
        raise Forbidden()
    changed = 0
    async with db.transaction():
        for gap_id in gap_ids:
            rows = await raw_rows("SELECT id, status, due_on FROM gap WHERE id = {} AND district_evaluation = {} "
                                  "AND visible_to_district = {}", gap_id, access.evaluation.id, True)
            if not rows or rows[0]["status"] not in domain.AWAITING_DISTRICT | domain.AWAITING_VERIFIER:
                continue
            before = as_date(rows[0]["due_on"])
            if before == due:
                continue
            await raw_rows("UPDATE gap SET due_on = {}, updated_at = {} WHERE id = {}", due, now, gap_id)
            await GapEvent.insert(GapEvent(gap=gap_id, at=now, actor=user.id, kind=str(domain.EventKind.DUE_CHANGED),
                                           text=due.isoformat(), status_before=rows[0]["status"],
                                           status_after=rows[0]["status"]))
            await audit.record(user, "gap.due_changed", object_type="gap", object_id=gap_id,
                               district_id=access.evaluation.district_id, ip=ip,
                               before={"due_on": before}, after={"due_on": due})
            changed += 1
    return changed


async def bulk_decide(user: CurrentUser, gap_ids: list[int], access: GapAccess, action: Action, text: str, *,
                      now: datetime, ip: str = "") -> tuple[list[Changed], int]:
    """The same decision on several gaps of one evaluation; gaps not in a state for it (or not
    of this evaluation) are skipped and counted."""
    if not access.may_judge:
        raise Forbidden()
    done: list[Changed] = []
    skipped = 0
    for gap_id in gap_ids:
        rows = await raw_rows("SELECT id FROM gap WHERE id = {} AND district_evaluation = {}", gap_id,
                              access.evaluation.id)
        if not rows:
            skipped += 1
            continue
        try:
            done.append(await decide(user, gap_id, access, action, text, now=now, ip=ip))
        except RuleViolation:
            skipped += 1
    return done, skipped


# ---- needs my action ------------------------------------------------------------------------------------


async def needs_action(user: CurrentUser, *, today: date, limit: int = 10) -> dict[str, Any]:
    """What waits for this user: district staff, their gaps open again or still open (nearest due
    first); verifiers and admins, responses to judge and overdue gaps of their evaluations."""
    waiting = sorted(domain.AWAITING_DISTRICT)
    if user.role is Role.DISTRICT:
        if not user.district_id:
            return {"items": [], "count": 0, "overdue": 0}
        rows = await raw_rows(
            "SELECT g.id, g.rule, g.status, g.due_on, g.indicator_code, s.name AS site_name, e.id AS evaluation_id, "  # noqa: S608
            "r.name AS round_name FROM gap g JOIN district_evaluation e ON e.id = g.district_evaluation "
            "JOIN evaluation_round r ON r.id = e.round LEFT JOIN site s ON s.id = g.site "
            f"WHERE e.district = {{}} AND g.visible_to_district = {{}} AND g.status IN ({placeholders(waiting)})",
            user.district_id, True, *waiting)
    elif user.role in (Role.VERIFIER, Role.ADMIN):
        team = ("" if user.role is Role.ADMIN else
                ' AND EXISTS (SELECT 1 FROM assignment a WHERE a.district_evaluation = e.id AND a."user" = {})')
        statuses = [*waiting, *sorted(domain.AWAITING_VERIFIER)]
        rows = await raw_rows(
            "SELECT g.id, g.rule, g.status, g.due_on, g.indicator_code, s.name AS site_name, e.id AS evaluation_id, "  # noqa: S608
            "d.name AS district_name FROM gap g JOIN district_evaluation e ON e.id = g.district_evaluation "
            "JOIN region d ON d.id = e.district LEFT JOIN site s ON s.id = g.site "
            f"WHERE g.status IN ({placeholders(statuses)}) AND (g.status = {{}} OR g.due_on < {{}}){team}",
            *statuses, str(GapStatus.RESPONDED), today, *([user.id] if team else []))
    else:
        return {"items": [], "count": 0, "overdue": 0}
    for r in rows:
        r["due_on"] = as_date(r["due_on"])
        r["overdue"] = domain.is_overdue(r["status"], r["due_on"], today)
    rows.sort(key=lambda r: (r["status"] != GapStatus.RESPONDED if user.role is not Role.DISTRICT else False,
                             not r["overdue"], r["due_on"] or date.max, r["id"]))
    return {"items": rows[:limit], "count": len(rows), "overdue": sum(1 for r in rows if r["overdue"]),
            "responded": sum(1 for r in rows if r["status"] == GapStatus.RESPONDED)}


# ---- overdue reminders (`fieldvisit remind-overdue`) -------------------------------------------------


async def overdue_gaps(now: datetime) -> list[dict[str, Any]]:
    """Gaps of rounds not closed that the district still owes an answer to and that are past
    their due date (on the district's own day, which ``domain.plan_reminders`` checks exactly;
    this query only bounds the set), with what a reminder shows. Never a provenance gap: the
    district does not see those."""
    waiting = sorted(domain.AWAITING_DISTRICT)
    rows = await raw_rows(
        "SELECT g.id, g.rule, g.status, g.due_on, g.indicator_code, s.name AS site_name, "  # noqa: S608
        "e.id AS evaluation_id, e.district AS district_id, d.name AS district_name, d.utc_offset, "
        "r.name AS round_name FROM gap g JOIN district_evaluation e ON e.id = g.district_evaluation "
        "JOIN evaluation_round r ON r.id = e.round JOIN region d ON d.id = e.district "
        "LEFT JOIN site s ON s.id = g.site "
        f"WHERE g.visible_to_district = {{}} AND g.status IN ({placeholders(waiting)}) AND g.due_on < {{}} "
        "AND r.closed_at IS NULL ORDER BY g.id", True, *waiting, now.date() + timedelta(days=1))
    for r in rows:
        r["due_on"] = as_date(r["due_on"])
        r["today"] = domain.local_today(now, r["utc_offset"] or "+07:00")
    return rows


async def reminder_people(district_ids: list[int], evaluation_ids: list[int]) -> tuple[
        dict[int, list[int]], dict[int, list[int]], dict[int, dict[str, Any]]]:
    """The active district staff of each district, the active verifiers on each evaluation's
    team, and each one's e-mail address and language."""
    staff: dict[int, list[int]] = defaultdict(list)
    teams: dict[int, list[int]] = defaultdict(list)
    people: dict[int, dict[str, Any]] = {}
    if district_ids:
        for r in await raw_rows(
                "SELECT id, district, email, language FROM app_user WHERE role = {} AND is_active = {} "  # noqa: S608
                f"AND district IN ({placeholders(district_ids)}) ORDER BY id", "district", True, *district_ids):
            staff[int(r["district"])].append(int(r["id"]))
            people[int(r["id"])] = r
    if evaluation_ids:
        for r in await raw_rows(
                'SELECT a.district_evaluation, u.id, u.email, u.language FROM assignment a '  # noqa: S608
                'JOIN app_user u ON u.id = a."user" WHERE u.role = {} AND u.is_active = {} '
                f"AND a.district_evaluation IN ({placeholders(evaluation_ids)}) ORDER BY u.id",
                "verifier", True, *evaluation_ids):
            teams[int(r["district_evaluation"])].append(int(r["id"]))
            people[int(r["id"])] = r
    return dict(staff), dict(teams), people


async def reminders_sent_since(day: date) -> set[tuple[int, int, date]]:
    """(gap, user, day) of the reminders sent on ``day`` or later."""
    rows = await raw_rows('SELECT gap, "user", sent_on FROM gap_reminder WHERE sent_on >= {}', day)
    return {(int(r["gap"]), int(r["user"]), as_date(r["sent_on"])) for r in rows}  # type: ignore[misc]


async def claim_reminder(reminder: domain.Reminder, now: datetime) -> tuple[int, ...]:
    """Record the reminder's gaps as sent to its person on its day, before sending; returns the
    gaps this run claimed (a run in parallel may have claimed some first: the unique index
    decides, so no gap is mailed twice)."""
    rows = await GapReminder.insert(*[
        GapReminder(gap=gap_id, user=reminder.user_id, sent_on=reminder.sent_on, sent_at=now)
        for gap_id in reminder.gap_ids]).on_conflict(action="DO NOTHING").returning(GapReminder.gap)
    return tuple(sorted(int(r["gap"]) for r in rows))


async def unclaim_reminder(user_id: int, gap_ids: tuple[int, ...], day: date) -> None:
    """Forget a claim whose e-mail was not sent, so the next run sends it."""
    if gap_ids:
        await GapReminder.delete().where((GapReminder.user == user_id) & (GapReminder.sent_on == day)
                                         & GapReminder.gap.is_in(list(gap_ids)))


# ---- the berita acara ------------------------------------------------------------------------------------


async def report(access: GapAccess, *, today: date) -> dict[str, Any]:
    """What the verification report of one district evaluation says: the two scores, gaps by
    cluster and status, the visits made and the team that signs."""
    from fieldvisit.reconcile.queries import dashboard

    ev = access.evaluation
    board = await dashboard(ev.id, today=today, meta=ev)
    gap_rows = await raw_rows(
        "SELECT indicator_code, status, COUNT(*) AS n FROM gap WHERE district_evaluation = {} "
        "GROUP BY indicator_code, status", ev.id)
    cluster_of = {line.indicator.code: block.code for block in board.clusters for line in block.lines}
    by_cluster: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in gap_rows:
        by_cluster[cluster_of.get(r["indicator_code"] or "", "")][r["status"]] += int(r["n"])
    team = await raw_rows(
        'SELECT u.name, u.role FROM assignment a JOIN app_user u ON u.id = a."user" '
        "WHERE a.district_evaluation = {} ORDER BY u.role DESC, u.name", ev.id)
    visits = await raw_rows(
        "SELECT COUNT(*) AS visits, COUNT(DISTINCT site) AS sites, MIN(submitted_at) AS first_at, "
        "MAX(submitted_at) AS last_at FROM visit WHERE district_evaluation = {} AND status = {}", ev.id, "submitted")
    v = visits[0] if visits else {}
    return {"d": board, "by_cluster": {k: dict(s) for k, s in by_cluster.items()}, "team": team,
            "visits": {"visits": int(v.get("visits") or 0), "sites": int(v.get("sites") or 0),
                       "first_at": as_datetime(v.get("first_at")), "last_at": as_datetime(v.get("last_at"))}}
