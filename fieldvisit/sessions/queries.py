"""Every query of hybrid sessions, scoped to the user asking.

Who sees a session (``get_session_for_user``): admins every one; verifiers and note-takers only
the sessions whose team they are on (an assigned note-taker not on the session's team gets
NotFound, as for anything they may not see); district staff of that kab/kota see the session's
schedule, agenda and attendance, and its notes once it is closed (the minutes). Writing notes
and attendance: the team and admins while the session is not closed; district staff who see
it get Forbidden.

Notes are numbered per session under a lock on the session row (``note_count``), in the
transaction that inserts the note: numbers are gap-free and commit in order, so a client that
polls "notes after N" never skips a late commit. Edits and promotions take the next
``change_count`` the same way, so "changes after C" is just as safe. Nothing is kept in
memory between requests (several workers share the database only).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fieldvisit import db
from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.audit import queries as audit
from fieldvisit.catalogue.tables import Indicator
from fieldvisit.claims.tables import IndicatorVerification
from fieldvisit.errors import Conflict, Forbidden, NotFound, RuleViolation
from fieldvisit.rounds.queries import get_evaluation_for_user
from fieldvisit.rounds.tables import Assignment
from fieldvisit.sessions import domain
from fieldvisit.sessions.domain import NoteRef, Target
from fieldvisit.sessions.forms import AttendeeInput, EditInput, NoteInput, SessionPlan
from fieldvisit.sessions.tables import (
    AgendaItem,
    Attendee,
    HybridSession,
    NoteLink,
    NoteRevision,
    SessionMember,
    SessionNote,
    SessionVisit,
)
from fieldvisit.sites.tables import Site
from fieldvisit.verifications import queries as verifications
from fieldvisit.verifications.domain import parse_verified_value
from fieldvisit.verifications.forms import VerificationInput
from fieldvisit.visits import queries as visits
from fieldvisit.visits.forms import FindingInput
from fieldvisit.visits.queries import UNIQUE_VIOLATIONS
from fieldvisit.visits.tables import Finding, Photo, Visit, VisitMember
from fieldvisit.web.i18n import N_, _

SESSION_COLUMNS = (
    HybridSession.id, HybridSession.title, HybridSession.starts_at, HybridSession.video_link, HybridSession.status,
    HybridSession.note_count, HybridSession.change_count, HybridSession.started_at, HybridSession.closed_at,
    HybridSession.created_at, HybridSession.district_evaluation.id.as_alias("evaluation_id"),
)

CLOSED_MESSAGE = N_("The session is closed: its notes are frozen. Nothing was saved.")


# --- loading with permission ----------------------------------------------------------------


async def get_session_for_user(user: CurrentUser, session_id: int) -> dict[str, Any]:
    """The session with its evaluation and what ``user`` may do; NotFound when not visible."""
    session = await HybridSession.select(*SESSION_COLUMNS).where(HybridSession.id == session_id).first()
    if session is None:
        raise NotFound()
    evaluation = await get_evaluation_for_user(user, session["evaluation_id"])  # NotFound outside the scope
    on_team = user.role is Role.ADMIN or await SessionMember.exists().where(
        (SessionMember.session == session_id) & (SessionMember.user == user.id))
    if user.role in (Role.VERIFIER, Role.NOTETAKER) and not on_team:
        raise NotFound()
    closed = session["status"] == "closed"
    session |= {
        "evaluation": evaluation, "on_team": on_team, "closed": closed,
        "sees_notes": on_team or closed,
        "can_write": on_team and domain.may_write(user.role) and not closed,
        "can_manage": on_team and domain.may_manage(user.role),
        "can_promote": on_team and domain.may_promote(user.role, bool(evaluation["notetakers_may_promote"])),
        "can_set_value": on_team and domain.may_set_value(user.role),
        "zone": evaluation["time_zone"] or "WIB",
    }
    return session


async def get_session_for_notes(user: CurrentUser, session_id: int) -> dict[str, Any]:
    """For reading the live notes: the team (NotFound for others who are not on it while it is
    live; district staff may read them in the minutes once closed)."""
    session = await get_session_for_user(user, session_id)
    if not session["sees_notes"]:
        raise NotFound()
    return session


async def get_session_for_writing(user: CurrentUser, session_id: int) -> dict[str, Any]:
    """For notes and attendance: the team and admins (others who see it: Forbidden)."""
    session = await get_session_for_user(user, session_id)
    if not session["on_team"] or not domain.may_write(user.role):
        raise Forbidden(_("Only the session's team takes notes."))
    return session


async def sessions_of_evaluation(user: CurrentUser, evaluation_id: int) -> list[dict[str, Any]]:
    """The evaluation's sessions the user may see (the caller has loaded the evaluation)."""
    query = HybridSession.select(*SESSION_COLUMNS).where(HybridSession.district_evaluation == evaluation_id)
    if user.role in (Role.VERIFIER, Role.NOTETAKER):
        mine = SessionMember.select(SessionMember.session).where(SessionMember.user == user.id)
        query = query.where(HybridSession.id.is_in(mine))
    return await query.order_by(HybridSession.starts_at, ascending=False)


# --- planning -------------------------------------------------------------------------------


async def plan_choices(evaluation: dict[str, Any]) -> dict[str, Any]:
    """The district's active sites, the evaluation's team and the catalogue's indicators."""
    sites = await Site.select(Site.id, Site.code, Site.name, Site.site_type).where(
        (Site.district == evaluation["district_id"]) & (Site.is_active == True)  # noqa: E712 - Piccolo expression
    ).order_by(Site.site_type).order_by(Site.name)
    team = await Assignment.select(Assignment.user.id.as_alias("id"), Assignment.user.name.as_alias("name"),
                                   Assignment.role).where(
        (Assignment.district_evaluation == evaluation["id"]) & (Assignment.user.is_active == True)  # noqa: E712
    ).order_by(Assignment.role, ascending=False).order_by(Assignment.user.name)
    indicators = await Indicator.select(Indicator.code, Indicator.short_id, Indicator.name_en).where(
        Indicator.version == evaluation["catalogue_version_id"]).order_by(Indicator.position).order_by(Indicator.code)
    return {"sites": sites, "team": team, "indicators": indicators}


def plan_problems(plan: SessionPlan, choices: dict[str, Any]) -> dict[str, str]:
    problems: dict[str, str] = {}
    if any(s not in {c["id"] for c in choices["sites"]} for s in plan.site_ids):
        problems["site"] = _("Choose sites of this kab/kota from the list.")
    if any(i not in {c["code"] for c in choices["indicators"]} for i in plan.indicator_codes):
        problems["indicator"] = _("Choose indicators from the list.")
    if any(m not in {c["id"] for c in choices["team"]} for m in plan.team_ids):
        problems["team"] = _("The team can only have the evaluation's verifiers and note-takers.")
    return problems


async def create_session(user: CurrentUser, evaluation: dict[str, Any], plan: SessionPlan, *, ip: str = "") -> int:
    if not domain.may_manage(user.role):
        raise Forbidden(_("Only the evaluation's verifiers and admins plan sessions."))
    team = list(dict.fromkeys([*plan.team_ids, *([user.id] if user.role is Role.VERIFIER else [])]))
    async with db.transaction():
        [row] = await HybridSession.insert(HybridSession(
            district_evaluation=evaluation["id"], title=plan.title, starts_at=plan.starts_at,
            video_link=plan.video_link, status="scheduled", created_by=user.id,
        )).returning(HybridSession.id)
        session_id = row["id"]
        if team:
            await SessionMember.insert(*[SessionMember(session=session_id, user=m) for m in team])
        entries = [AgendaItem(session=session_id, position=n, site=site) for n, site in enumerate(plan.site_ids)]
        entries += [AgendaItem(session=session_id, position=len(plan.site_ids) + n, indicator_code=code)
                    for n, code in enumerate(plan.indicator_codes)]
        await AgendaItem.insert(*entries)
        await audit.record(user, "sessions.plan", object_type="hybrid_session", object_id=session_id,
                           district_id=evaluation["district_id"], ip=ip,
                           after={"title": plan.title, "starts_at": plan.starts_at, "team": team,
                                  "sites": plan.site_ids, "indicators": plan.indicator_codes})
    return int(session_id)


async def set_status(user: CurrentUser, session: dict[str, Any], action: str, *, now: datetime,
                     ip: str = "") -> bool:
    """Start or close. Closing freezes the notes and submits the session's video visits."""
    if not session["can_manage"]:
        raise Forbidden(_("Only the session's verifiers and admins start and close it."))
    new = domain.next_status(session["status"], action)
    if new is None:
        return False
    values: dict[Any, Any] = {HybridSession.status: new}
    if new == "live":
        values[HybridSession.started_at] = now
    else:
        values[HybridSession.closed_at] = now
    async with db.transaction():
        done = await HybridSession.update(values).where(
            (HybridSession.id == session["id"]) & (HybridSession.status == session["status"])
        ).returning(HybridSession.id)
        if not done:
            return False
        if new == "closed":
            made = SessionVisit.select(SessionVisit.visit).where(SessionVisit.session == session["id"])
            await Visit.update({Visit.submitted_at: now, Visit.status: "submitted"}).where(
                Visit.id.is_in(made) & Visit.submitted_at.is_null())
        await audit.record(user, f"sessions.{action}", object_type="hybrid_session", object_id=session["id"],
                           district_id=session["evaluation"]["district_id"], ip=ip,
                           before={"status": session["status"]}, after={"status": new, "at": now})
    return True


# --- agenda, team, attendance -----------------------------------------------------------------


async def agenda(session: dict[str, Any]) -> list[dict[str, Any]]:
    """Agenda entries in order, each site with its checklist items (the picker's choices)."""
    rows = await AgendaItem.select(
        AgendaItem.position, AgendaItem.indicator_code, AgendaItem.site.id.as_alias("site_id"),
        AgendaItem.site.name.as_alias("site_name"), AgendaItem.site.code.as_alias("site_code"),
        AgendaItem.site.site_type.as_alias("site_type"),
    ).where(AgendaItem.session == session["id"]).order_by(AgendaItem.position)
    version = session["evaluation"]["catalogue_version_id"]
    codes = [r["indicator_code"] for r in rows if r["indicator_code"]]
    names = {}
    if codes:
        names = {i["code"]: i for i in await Indicator.select(Indicator.code, Indicator.short_id, Indicator.name_en).where(
            (Indicator.version == version) & Indicator.code.is_in(codes))}
    for row in rows:
        if row["site_id"] is not None:
            checklist = await visits.checklist_for(version, row["site_type"])
            row["items"] = checklist["items"]
            row["key"] = f"s:{row['site_id']}"
            row["label"] = row["site_name"]
        else:
            indicator = names.get(row["indicator_code"], {})
            row["items"] = []
            row["key"] = f"i:{row['indicator_code']}"
            row["label"] = f"{row['indicator_code']} {indicator.get('short_id', '')}".strip()
            row["name_en"] = indicator.get("name_en", "")
    return rows


def agenda_index(entries: list[dict[str, Any]]) -> tuple[dict[int, set[str]], set[str]]:
    sites = {e["site_id"]: {i["code"] for i in e["items"]} for e in entries if e["site_id"] is not None}
    return sites, {e["indicator_code"] for e in entries if e["indicator_code"]}


def target_labels(entries: list[dict[str, Any]], english: bool) -> dict[str, str]:
    """Picker key -> label ("Puspaga Kota Serang · PUSPAGA-02 Ada ruang konseling")."""
    labels = {"": _("General")}
    for entry in entries:
        labels[entry["key"]] = entry["label"]
        for item in entry["items"]:
            text = item["text_en"] if english else item["text_id"]
            labels[f"{entry['key']}:{item['code']}"] = f"{entry['label']} · {item['code']} {text}"
    return labels


async def team(session_id: int) -> list[dict[str, Any]]:
    return await SessionMember.select(SessionMember.user.id.as_alias("id"), SessionMember.user.name.as_alias("name"),
                                      SessionMember.user.role.as_alias("role")).where(
        SessionMember.session == session_id).order_by(SessionMember.user.name)


async def attendees(session_id: int) -> list[dict[str, Any]]:
    return await Attendee.select(Attendee.id, Attendee.name, Attendee.office, Attendee.position,
                                 Attendee.added_at).where(Attendee.session == session_id).order_by(Attendee.id)


async def add_attendee(user: CurrentUser, session: dict[str, Any], data: AttendeeInput, *, now: datetime,
                       ip: str = "") -> None:
    """Attendance may still be completed after the call (it is not a note)."""
    async with db.transaction():
        [row] = await Attendee.insert(Attendee(session=session["id"], name=data.name, office=data.office,
                                               position=data.position, added_by=user.id, added_at=now)
                                      ).returning(Attendee.id)
        await audit.record(user, "sessions.attendee", object_type="hybrid_session", object_id=session["id"],
                           district_id=session["evaluation"]["district_id"], ip=ip,
                           after={"attendee": row["id"], "name": data.name, "office": data.office,
                                  "position": data.position})


# --- notes ----------------------------------------------------------------------------------

NOTE_COLUMNS = (
    SessionNote.id, SessionNote.number, SessionNote.body, SessionNote.result, SessionNote.item_code,
    SessionNote.indicator_code, SessionNote.created_at, SessionNote.edited_at, SessionNote.version,
    SessionNote.changed_seq, SessionNote.client_uuid, SessionNote.site.id.as_alias("site_id"),
    SessionNote.author.id.as_alias("author_id"), SessionNote.author.name.as_alias("author_name"),
)


async def _with_links(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not rows:
        return rows
    links = await NoteLink.select(NoteLink.note, NoteLink.finding, NoteLink.verification,
                                  NoteLink.finding.visit.as_alias("visit_id")).where(
        NoteLink.note.is_in([r["id"] for r in rows]))
    by_note: dict[int, list[dict[str, Any]]] = {}
    for link in links:
        by_note.setdefault(link["note"], []).append(link)
    photos: dict[int, list[dict[str, Any]]] = {}
    for photo in await Photo.select(Photo.id, Photo.session_note, Photo.derivatives_ready).where(
            Photo.session_note.is_in([r["id"] for r in rows])).order_by(Photo.id):
        photos.setdefault(photo["session_note"], []).append(photo)
    for row in rows:
        row["links"] = by_note.get(row["id"], [])
        row["photos"] = photos.get(row["id"], [])
        row["target"] = Target(row["site_id"], row["item_code"], row["indicator_code"]).key
    return rows


async def notes(session_id: int, *, after: int = 0) -> list[dict[str, Any]]:
    """Notes numbered above ``after``, in number order."""
    rows = await SessionNote.select(*NOTE_COLUMNS).where(
        (SessionNote.session == session_id) & (SessionNote.number > after)).order_by(SessionNote.number)
    return await _with_links(rows)


async def changed_notes(session_id: int, *, since: int, up_to: int) -> list[dict[str, Any]]:
    """Notes numbered up to ``up_to`` (the client has them) changed after change ``since``."""
    rows = await SessionNote.select(*NOTE_COLUMNS).where(
        (SessionNote.session == session_id) & (SessionNote.changed_seq > since)
        & (SessionNote.number <= up_to)).order_by(SessionNote.number)
    return await _with_links(rows)


async def counters(session_id: int) -> dict[str, Any]:
    row = await HybridSession.select(HybridSession.note_count, HybridSession.change_count,
                                     HybridSession.status).where(HybridSession.id == session_id).first()
    if row is None:
        raise NotFound()
    return row


async def _lock_session(session_id: int) -> dict[str, Any]:
    """The session's counters, locked until the transaction ends (PostgreSQL row lock; SQLite's
    IMMEDIATE transaction already holds the database's write lock)."""
    query = HybridSession.select(HybridSession.status, HybridSession.note_count, HybridSession.change_count).where(
        HybridSession.id == session_id)
    row = await (query if db.is_sqlite() else query.lock_rows("UPDATE")).first()
    if row is None:
        raise NotFound()
    if row["status"] == "closed":
        raise Conflict(_(CLOSED_MESSAGE), title=_("The session is closed"))
    return row


@dataclass(frozen=True)
class SavedNote:
    number: int
    replay: bool


async def add_note(user: CurrentUser, session: dict[str, Any], data: NoteInput, agenda_entries: list[dict[str, Any]],
                   *, now: datetime, ip: str = "") -> SavedNote:
    """Save a note with the next number. The client's UUID names it: the same UUID again
    answers the first save (one note); with other content it is a Conflict (409)."""
    assert data.client_uuid is not None
    sites, indicators = agenda_index(agenda_entries)
    if not domain.target_allowed(data.target, sites, indicators):
        raise RuleViolation(_("Choose what the note is about from the agenda."))
    stored = await _stored_note(session, data)
    if stored is not None:
        return stored
    if db.is_sqlite():
        return await _add_note_sqlite(user, session, data, now=now, ip=ip)
    try:
        rows = await SessionNote.raw(
            _ADD_NOTE_PG, session["id"], session["id"], data.client_uuid, user.id, data.body, data.result,
            data.target.site_id, data.target.item_code, data.target.indicator_code, now,
            now, user.id, user.email, session["evaluation"]["district_id"], session["id"], data.target.key,
            data.result, str(data.client_uuid), ip)
    except UNIQUE_VIOLATIONS:  # the same UUID saved at this very moment by a retrying client
        stored = await _stored_note(session, data)
        if stored is None:
            raise
        return stored
    if not rows:
        await _lock_session(session["id"])  # says why: closed (409) or gone (404)
        raise NotFound()
    return SavedNote(rows[0]["number"], replay=False)


# On PostgreSQL a note is one statement: the UPDATE takes the session row's lock and the next
# number, the note and its audit event are inserted, and the implicit commit releases the lock.
# A transaction of several round trips would hold the lock while the worker's event loop serves
# other requests between them, and note saves would queue behind one another (a convoy).
_ADD_NOTE_PG = """
WITH n AS (
  UPDATE hybrid_session SET note_count = note_count + 1 WHERE id = {} AND status <> 'closed' RETURNING note_count
), note AS (
  INSERT INTO session_note (session, number, client_uuid, author, body, result, site, item_code, indicator_code,
                            created_at, version, changed_seq)
  SELECT {}::int, n.note_count, {}::uuid, {}::int, {}::text, {}::varchar, {}::int, {}::varchar, {}::varchar,
         {}::timestamptz, 1, 0 FROM n
  RETURNING id, number
), event AS (
  INSERT INTO audit_event (at, actor, actor_email, action, object_type, object_id, district, before, after, reason, ip)
  SELECT {}::timestamptz, {}::int, {}::varchar, 'sessions.note', 'session_note', note.id::text, {}::int, NULL,
         json_build_object('session', {}::int, 'number', note.number, 'target', {}::text, 'result', {}::text,
                           'client_uuid', {}::text), '', {}::varchar
  FROM note RETURNING id
)
SELECT note.number FROM note, event
"""


async def _stored_note(session: dict[str, Any], data: NoteInput) -> SavedNote | None:
    stored = await SessionNote.select(SessionNote.session, SessionNote.number, SessionNote.body).where(
        SessionNote.client_uuid == data.client_uuid).first()
    if stored is None:
        return None
    if stored["session"] == session["id"] and stored["body"] == data.body:
        return SavedNote(stored["number"], replay=True)
    raise Conflict(_("This note was already saved with other text. Reload the page."),
                   title=_("Already saved differently"))


async def _add_note_sqlite(user: CurrentUser, session: dict[str, Any], data: NoteInput, *, now: datetime,
                           ip: str) -> SavedNote:
    """SQLite: the IMMEDIATE transaction holds the database's write lock throughout."""
    async with db.transaction():
        counts = await _lock_session(session["id"])
        stored = await _stored_note(session, data)
        if stored is not None:
            return stored
        number = counts["note_count"] + 1
        await HybridSession.update({HybridSession.note_count: number}).where(HybridSession.id == session["id"])
        [row] = await SessionNote.insert(SessionNote(
            session=session["id"], number=number, client_uuid=data.client_uuid, author=user.id, body=data.body,
            result=data.result, site=data.target.site_id, item_code=data.target.item_code,
            indicator_code=data.target.indicator_code, created_at=now,
        )).returning(SessionNote.id)
        await audit.record(user, "sessions.note", object_type="session_note", object_id=row["id"],
                           district_id=session["evaluation"]["district_id"], ip=ip,
                           after={"session": session["id"], "number": number, "target": data.target.key,
                                  "result": data.result, "client_uuid": str(data.client_uuid)})
    return SavedNote(number, replay=False)


async def note_by_uuid(session: dict[str, Any], client_uuid: uuid.UUID) -> dict[str, Any]:
    """The note saved under ``client_uuid`` in this session (just now, or by an earlier try)."""
    row = await SessionNote.select(*NOTE_COLUMNS).where(
        (SessionNote.session == session["id"]) & (SessionNote.client_uuid == client_uuid)).first()
    if row is None:
        raise NotFound()
    return row


async def photos_attached(session: dict[str, Any], note_id: int) -> None:
    """The note's screenshots are stored after the note itself: give it the next change number,
    so a viewer who already has the note gets it again with its thumbnails."""
    async with db.transaction():
        await _mark_changed(session["id"], [note_id])


async def get_note(session: dict[str, Any], number: int) -> dict[str, Any]:
    row = await SessionNote.select(*NOTE_COLUMNS).where(
        (SessionNote.session == session["id"]) & (SessionNote.number == number)).first()
    if row is None:
        raise NotFound()
    return (await _with_links([row]))[0]


async def history(note_id: int) -> list[dict[str, Any]]:
    return await NoteRevision.select(NoteRevision.version, NoteRevision.body, NoteRevision.result,
                                     NoteRevision.saved_at).where(NoteRevision.note == note_id).order_by(
        NoteRevision.version, ascending=False)


async def edit_note(user: CurrentUser, session: dict[str, Any], number: int, data: EditInput, *, now: datetime,
                    ip: str = "") -> bool:
    """The author changes the note's text or result; the earlier version is kept. Returns
    False when nothing changed."""
    note = await get_note(session, number)
    if note["author_id"] != user.id:
        raise Forbidden(_("Only the note's author edits it."))
    if (note["body"], note["result"]) == (data.body, data.result):
        return False
    async with db.transaction():
        counts = await _lock_session(session["id"])
        current = await SessionNote.select(SessionNote.body, SessionNote.result, SessionNote.version,
                                           SessionNote.edited_at, SessionNote.created_at).where(
            SessionNote.id == note["id"]).first()
        if current is None:
            raise NotFound()
        await NoteRevision.insert(NoteRevision(note=note["id"], version=current["version"], body=current["body"],
                                               result=current["result"],
                                               saved_at=current["edited_at"] or current["created_at"]))
        change = counts["change_count"] + 1
        await HybridSession.update({HybridSession.change_count: change}).where(HybridSession.id == session["id"])
        await SessionNote.update({SessionNote.body: data.body, SessionNote.result: data.result,
                                  SessionNote.version: current["version"] + 1, SessionNote.edited_at: now,
                                  SessionNote.changed_seq: change}).where(SessionNote.id == note["id"])
        await audit.record(user, "sessions.note_edit", object_type="session_note", object_id=note["id"],
                           district_id=session["evaluation"]["district_id"], ip=ip,
                           before={"body": current["body"], "result": current["result"]},
                           after={"body": data.body, "result": data.result, "version": current["version"] + 1})
    return True


async def _mark_changed(session_id: int, note_ids: list[int]) -> None:
    """A promotion changes how the notes look in the feed: give them the next change number."""
    query = HybridSession.select(HybridSession.change_count).where(HybridSession.id == session_id)
    row = await (query if db.is_sqlite() else query.lock_rows("UPDATE")).first()
    if row is None:
        raise NotFound()
    change = row["change_count"] + 1
    await HybridSession.update({HybridSession.change_count: change}).where(HybridSession.id == session_id)
    await SessionNote.update({SessionNote.changed_seq: change}).where(SessionNote.id.is_in(note_ids))


# --- notes to findings and verified values ------------------------------------------------------


async def _chosen(session: dict[str, Any], numbers: list[int]) -> list[dict[str, Any]]:
    rows = await SessionNote.select(*NOTE_COLUMNS).where(
        (SessionNote.session == session["id"]) & SessionNote.number.is_in(numbers or [-1])).order_by(SessionNote.number)
    if len(rows) != len(set(numbers)):
        raise RuleViolation(_("Choose notes of this session."))
    return rows


def _refs(rows: list[dict[str, Any]], clock: Any) -> list[NoteRef]:
    return [NoteRef(r["number"], r["site_id"], r["item_code"], r["indicator_code"], r["body"],
                    clock(r["created_at"])) for r in rows]


async def session_visit(user: CurrentUser, session: dict[str, Any], site_id: int, *, now: datetime,
                        ip: str = "") -> int:
    """The session's video visit of ``site_id``, made when first needed: checked in at the
    session's start, the site found (it was shown on camera), the session's verifiers as team;
    submitted already when the session is closed."""
    found = await SessionVisit.select(SessionVisit.visit).where(
        (SessionVisit.session == session["id"]) & (SessionVisit.site == site_id)).first()
    if found:
        return int(found["visit"])
    evaluation = session["evaluation"]
    start = session["started_at"] or session["starts_at"]
    async with db.transaction():
        query = HybridSession.select(HybridSession.id).where(HybridSession.id == session["id"])
        await (query if db.is_sqlite() else query.lock_rows("UPDATE")).first()
        again = await SessionVisit.select(SessionVisit.visit).where(
            (SessionVisit.session == session["id"]) & (SessionVisit.site == site_id)).first()
        if again:
            return int(again["visit"])
        [row] = await Visit.insert(Visit(
            district_evaluation=evaluation["id"], site=site_id, planned_on=visits.today_in(evaluation, start),
            mode="video", status="submitted" if session["closed"] else "in_progress", checked_in_at=start,
            outcome="found", outcome_note=session["title"], submitted_at=session["closed_at"],
            created_by=user.id)).returning(Visit.id)
        verifiers = [m["id"] for m in await team(session["id"]) if m["role"] == Role.VERIFIER.value]
        if verifiers:
            await VisitMember.insert(*[VisitMember(visit=row["id"], user=m) for m in verifiers])
        await SessionVisit.insert(SessionVisit(session=session["id"], site=site_id, visit=row["id"]))
        await audit.record(user, "sessions.video_visit", object_type="visit", object_id=row["id"],
                           district_id=evaluation["district_id"], ip=ip,
                           after={"session": session["id"], "site": site_id, "mode": "video"})
    return int(row["id"])


async def promote(user: CurrentUser, session: dict[str, Any], numbers: list[int], result: str, *, now: datetime,
                  clock: Any, ip: str = "") -> int:
    """Notes on one checklist item become the finding of that item on the session's video visit
    of the site (through visits.save_finding: versioned, idempotent). Returns the finding id."""
    if not session["can_promote"]:
        raise Forbidden(_("Only verifiers (and note-takers, if the round allows it) turn notes into findings."))
    rows = await _chosen(session, numbers)
    refs = _refs(rows, clock)
    problem = domain.promotion_problem(refs)
    if problem:
        raise RuleViolation(problem)
    site_id, item_code = refs[0].site_id, refs[0].item_code
    assert site_id is not None
    visit_id = await session_visit(user, session, site_id, now=now, ip=ip)
    visit = await visits.get_visit_for_user(user, visit_id)
    text = domain.finding_text(session["title"], refs)
    saved = await visits.save_finding(user, visit, item_code, FindingInput(
        domain.promotion_uuid(session["id"], site_id, item_code, result, text), result, text), now=now, ip=ip)
    async with db.transaction():
        linked = {r["note"] for r in await NoteLink.select(NoteLink.note).where(NoteLink.finding == saved.id)}
        new = [r["id"] for r in rows if r["id"] not in linked]
        if new:
            await NoteLink.insert(*[NoteLink(note=n, finding=saved.id, promoted_by=user.id, promoted_at=now)
                                    for n in new])
            await _mark_changed(session["id"], new)
    return saved.id


async def set_value(user: CurrentUser, session: dict[str, Any], numbers: list[int], value_text: str, *,
                    now: datetime, clock: Any, ip: str = "") -> int:
    """Notes on one indicator set its verified value (a new verification version, through the
    verifications capability). Returns the verification id."""
    if not session["can_set_value"]:
        raise Forbidden(_("Only verifiers and admins set verified values."))
    rows = await _chosen(session, numbers)
    refs = _refs(rows, clock)
    problem = domain.value_problem(refs)
    if problem:
        raise RuleViolation(problem)
    code = refs[0].indicator_code
    try:
        view = await verifications.claim_for_user(user, session["evaluation_id"], code)
    except NotFound:
        raise RuleViolation(_("The district made no claim for %(code)s: there is no value to verify.")
                            % {"code": code}) from None
    value, message = parse_verified_value(value_text, view.claim["value_kind"])
    if value is None:
        raise RuleViolation(message or _("Enter the verified value."))
    text = domain.finding_text(session["title"], refs)
    verification_id = await verifications.record_verification(user, view, VerificationInput(value, text, []), [],
                                                               now=now, ip=ip)
    async with db.transaction():
        await NoteLink.insert(*[NoteLink(note=r["id"], verification=verification_id, promoted_by=user.id,
                                         promoted_at=now) for r in rows])
        await _mark_changed(session["id"], [r["id"] for r in rows])
    return verification_id


async def findings_made(session_id: int) -> list[dict[str, Any]]:
    """The current finding of each item promoted in the session, with its notes' numbers."""
    links = await NoteLink.select(NoteLink.note.number.as_alias("number"), NoteLink.finding,
                                  NoteLink.verification).where(NoteLink.note.session == session_id)
    finding_ids = sorted({r["finding"] for r in links if r["finding"]})
    made: list[dict[str, Any]] = []
    if finding_ids:
        rows = await Finding.select(Finding.id, Finding.visit, Finding.item_code, Finding.result, Finding.version,
                                    Finding.site.name.as_alias("site_name")).where(Finding.id.is_in(finding_ids))
        for row in sorted(rows, key=lambda r: (r["site_name"], r["item_code"], r["version"])):
            row["numbers"] = sorted(link["number"] for link in links if link["finding"] == row["id"])
            row["kind"] = "finding"
            made.append(row)
    verification_ids = sorted({r["verification"] for r in links if r["verification"]})
    if verification_ids:
        rows = await IndicatorVerification.select(
            IndicatorVerification.id, IndicatorVerification.indicator_code, IndicatorVerification.verified_value,
            IndicatorVerification.version).where(IndicatorVerification.id.is_in(verification_ids))
        for row in rows:
            row["numbers"] = sorted(link["number"] for link in links if link["verification"] == row["id"])
            row["kind"] = "value"
            made.append(row)
    return made


def new_client_uuid() -> uuid.UUID:
    return uuid.uuid4()
