"""Demo hybrid session in Kota Serang: a closed video call (27 May 2025, 09:00 WIB) with the
district's task force, attendance, notes by the demo verifier and note-taker on the Puspaga
and the Alun-alun play area, and two notes turned into findings on the session's video visits.

Goes through the same queries as the app (audit log included). Does nothing when the Serang
evaluation, its sites or the demo team are missing. Idempotent: the session is found by title.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fieldvisit.accounts.domain import CurrentUser, Role
from fieldvisit.accounts.tables import User
from fieldvisit.rounds.queries import get_evaluation_for_user
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sessions import queries
from fieldvisit.sessions.domain import Target
from fieldvisit.sessions.forms import AttendeeInput, NoteInput, SessionPlan
from fieldvisit.sessions.tables import HybridSession
from fieldvisit.sites.tables import Site
from fieldvisit.visits.routes import clock

DISTRICT = "36.73"
TITLE = "Verifikasi lapangan hybrid Kota Serang: Puspaga dan Alun-alun"
VERIFIER = "verifier@demo.fieldvisit.id"
NOTETAKER = "notetaker@demo.fieldvisit.id"
WIB = timezone(timedelta(hours=7))
START = datetime(2025, 5, 27, 9, 0, tzinfo=WIB)
_UUIDS = uuid.UUID("3c1e9b2a-7d4f-4a8e-b5c6-1f2e3d4c5b6a")

ATTENDEES = [
    AttendeeInput("Hj. Siti Rohmah", "DP3AP2KB Kota Serang", "Kepala Dinas"),
    AttendeeInput("Ahmad Fauzi", "DP3AP2KB Kota Serang", "Kabid Pemenuhan Hak Anak"),
    AttendeeInput("Dewi Lestari", "Puspaga Kota Serang", "Konselor"),
    AttendeeInput("Rudi Hartono", "Dinas Perkim Kota Serang", "Pengelola taman"),
    AttendeeInput("Nur Aini", "Bappeda Kota Serang", "Analis perencanaan"),
]

# (who, site code, item position in the checklist (0-based) or None for the site, result, text)
NOTES: list[tuple[str, str, int | None, str, str]] = [
    ("notetaker", "PUSPAGA-SRG", None, "", "Kamera diarahkan ke papan nama dan pintu masuk Puspaga."),
    ("notetaker", "PUSPAGA-SRG", 0, "met", "SK pembentukan Puspaga ditunjukkan di layar, ditandatangani Wali Kota 2023."),
    ("verifier", "PUSPAGA-SRG", 1, "partial", "Ruang konseling ada, tetapi pintu kaca: percakapan terdengar dari ruang tunggu."),
    ("notetaker", "PUSPAGA-SRG", 1, "", "Konselor menyebut tirai akan dipasang bulan depan."),
    ("notetaker", "RBRA-ALUNALUN", None, "", "Pengelola berjalan membawa kamera keliling area bermain."),
    ("verifier", "RBRA-ALUNALUN", 0, "met", "Alas karet di bawah ayunan dan perosotan terlihat utuh."),
    ("notetaker", "RBRA-ALUNALUN", 1, "not_observed", "Sinyal putus saat menuju toilet; tidak terlihat."),
]
PROMOTE = [("PUSPAGA-SRG", 1, "partial"), ("RBRA-ALUNALUN", 0, "met")]


async def load() -> list[str]:
    evaluation_row = await DistrictEvaluation.select(DistrictEvaluation.id).where(
        DistrictEvaluation.district.code == DISTRICT).order_by(
        DistrictEvaluation.round.year, ascending=False).order_by(DistrictEvaluation.id, ascending=False).first()
    people = {r["email"]: r for r in await User.select(User.id, User.email, User.name).where(
        User.email.is_in([VERIFIER, NOTETAKER]))}
    if evaluation_row is None or len(people) < 2:
        return []
    if await HybridSession.exists().where((HybridSession.district_evaluation == evaluation_row["id"])
                                          & (HybridSession.title == TITLE)):
        return []
    verifier = _user(people[VERIFIER], Role.VERIFIER)
    notetaker = _user(people[NOTETAKER], Role.NOTETAKER)
    try:
        evaluation = await get_evaluation_for_user(verifier, evaluation_row["id"])
    except Exception:  # noqa: BLE001 - the demo team is not on Serang's team: nothing to show
        return []
    sites = {r["code"]: r for r in await Site.select(Site.id, Site.code).where(
        (Site.district == evaluation["district_id"]) & Site.code.is_in([code for code, _i, _r in PROMOTE]))}
    if len(sites) < len(PROMOTE):
        return []
    plan = SessionPlan(TITLE, START.astimezone(UTC), "https://meet.example.id/kla-serang-2025", [notetaker.id],
                       [sites["PUSPAGA-SRG"]["id"], sites["RBRA-ALUNALUN"]["id"]], [])
    session_id = await queries.create_session(verifier, evaluation, plan)
    session = await queries.get_session_for_user(verifier, session_id)
    await queries.set_status(verifier, session, "start", now=START.astimezone(UTC))
    for n, attendee in enumerate(ATTENDEES):
        await queries.add_attendee(notetaker, session, attendee, now=START.astimezone(UTC) + timedelta(minutes=n))
    agenda = await queries.agenda(await queries.get_session_for_user(verifier, session_id))
    items = {entry["site_id"]: [i["code"] for i in entry["items"]] for entry in agenda}
    session = await queries.get_session_for_user(verifier, session_id)
    for n, (who, code, position, result, text) in enumerate(NOTES):
        site_id = sites[code]["id"]
        item = items[site_id][position] if position is not None else ""
        data = NoteInput(uuid.uuid5(_UUIDS, f"{session_id}:{n}"), text, Target(site_id, item), result)
        await queries.add_note(verifier if who == "verifier" else notetaker, session, data, agenda,
                               now=START.astimezone(UTC) + timedelta(minutes=6 + 4 * n))
    notes = await queries.notes(session_id)
    for code, position, result in PROMOTE:
        site_id = sites[code]["id"]
        numbers = [x["number"] for x in notes if x["site_id"] == site_id and x["item_code"] == items[site_id][position]]
        await queries.promote(verifier, session, numbers, result, now=START.astimezone(UTC) + timedelta(minutes=40),
                              clock=lambda value: clock(value, "WIB"))
    session = await queries.get_session_for_user(verifier, session_id)
    await queries.set_status(verifier, session, "close", now=START.astimezone(UTC) + timedelta(minutes=45))
    return [f"Demo hybrid session: closed session in Kota Serang with {len(ATTENDEES)} participants, "
            f"{len(NOTES)} notes and {len(PROMOTE)} findings."]


def _user(row: dict[str, Any], role: Role) -> CurrentUser:
    return CurrentUser(row["id"], row["email"], row["name"], role, None, None, None, None, False, 0)
