"""Pure rules of hybrid sessions: who may do what, note input, what a note is about, how
notes become a finding, and grouping for the minutes. No Litestar, no Piccolo, no clock."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from typing import Any

from fieldvisit.accounts.domain import Role
from fieldvisit.web.i18n import N_, _

STATUSES = ("scheduled", "live", "closed")
STATUS_LABELS = {"scheduled": N_("Scheduled"), "live": N_("Live"), "closed": N_("Closed")}

#: Results a note may carry (a finding's "not applicable" is a verifier's judgement, made when promoting).
NOTE_RESULTS = ("met", "partial", "not_met", "not_observed")
FINDING_RESULTS = ("met", "partial", "not_met", "not_observed", "not_applicable")

MAX_NOTE = 2000
MAX_FINDING_NOTE = 2000  # visits.domain.MAX_NOTE
#: Screenshots or photos one note may carry (each at most MAX_UPLOAD_MB).
MAX_NOTE_PHOTOS = 4
#: How often the live feed asks for what is new (milliseconds are in the template).
POLL_SECONDS = 2


def status_label(value: str) -> str:
    return _(STATUS_LABELS[value]) if value in STATUS_LABELS else value


# --- who may do what (seeing the session is queries.get_session_for_user) ----------------


def may_manage(role: Role) -> bool:
    """Plan, start and close a session: admins and the verifiers of the evaluation."""
    return role in (Role.ADMIN, Role.VERIFIER)


def may_write(role: Role) -> bool:
    """Take notes and add attendance: the session's team (verifiers, note-takers) and admins."""
    return role in (Role.ADMIN, Role.VERIFIER, Role.NOTETAKER)


def may_promote(role: Role, notetakers_may_promote: bool) -> bool:
    """Turn notes into a finding: verifiers and admins; note-takers when the round allows it."""
    return role in (Role.ADMIN, Role.VERIFIER) or (role is Role.NOTETAKER and notetakers_may_promote)


def may_set_value(role: Role) -> bool:
    """Set an indicator's verified value from a note: verifiers and admins (as on the claim page)."""
    return role in (Role.ADMIN, Role.VERIFIER)


def next_status(current: str, action: str) -> str | None:
    """The status after ``action`` (start, close), or None when it does not apply."""
    if action == "start" and current == "scheduled":
        return "live"
    if action == "close" and current in ("scheduled", "live"):
        return "closed"
    return None


# --- a note's text ------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteCheck:
    ok: bool
    message: str = ""
    hint_only: bool = False  # an empty note: nothing saved, a hint shown (not an error)


def check_note(body: str) -> NoteCheck:
    """An empty note is ignored with a hint; one over the limit is refused naming the limit."""
    text = body.strip()
    if not text:
        return NoteCheck(False, _("Type the note, then press Enter. Nothing was saved."), hint_only=True)
    if len(text) > MAX_NOTE:
        return NoteCheck(False, _("A note can have at most %(n)d characters; this one has %(len)d.")
                         % {"n": MAX_NOTE, "len": len(text)})
    return NoteCheck(True)


def clean_body(body: str) -> str:
    return body.replace("\r\n", "\n").strip()


# --- what a note is about -------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A site (optionally one of its checklist items) or an indicator."""

    site_id: int | None = None
    item_code: str = ""
    indicator_code: str = ""

    @property
    def key(self) -> str:
        if self.indicator_code:
            return f"i:{self.indicator_code}"
        if self.site_id is None:
            return ""
        return f"s:{self.site_id}:{self.item_code}" if self.item_code else f"s:{self.site_id}"


NO_TARGET = Target()


def photos_problem(target: Target, count: int) -> str | None:
    """Screenshots are evidence of a site: they go on the session's video visit of the note's
    site (at its checklist item, when the note names one)."""
    if count > MAX_NOTE_PHOTOS:
        return _("Attach at most %(n)d images to one note.") % {"n": MAX_NOTE_PHOTOS}
    if count and target.site_id is None:
        return _("Images are evidence of a site: choose a site (or one of its items) as what the note is about.")
    return None


def parse_target(text: str) -> Target | None:
    """``s:12``, ``s:12:PUSPAGA-02``, ``i:I08`` or empty (the session in general); None when
    malformed. Whether it is on the agenda is checked against the agenda (``target_allowed``)."""
    text = text.strip()
    if not text:
        return NO_TARGET
    kind, _sep, rest = text.partition(":")
    if kind == "i" and rest and len(rest) <= 8:
        return Target(indicator_code=rest.upper())
    if kind == "s":
        site, _sep, item = rest.partition(":")
        if site.isdigit() and len(item) <= 32:
            return Target(site_id=int(site), item_code=item)
    return None


def target_allowed(target: Target, agenda_sites: dict[int, set[str]], agenda_indicators: set[str]) -> bool:
    """On the agenda: a site of it (and an item of that site's checklist), or an indicator of it."""
    if target == NO_TARGET:
        return True
    if target.indicator_code:
        return target.indicator_code in agenda_indicators
    if target.site_id not in agenda_sites:
        return False
    return not target.item_code or target.item_code in agenda_sites[target.site_id]


# --- notes to findings ----------------------------------------------------------------------


@dataclass(frozen=True)
class NoteRef:
    number: int
    site_id: int | None
    item_code: str
    indicator_code: str
    body: str
    clock: str = ""  # 10:42, in the district's time zone


def promotion_problem(notes: list[NoteRef]) -> str | None:
    """Notes become one finding only when they are all on the same checklist item of one site."""
    if not notes:
        return _("Choose the notes that make the finding.")
    targets = {(n.site_id, n.item_code) for n in notes}
    if len(targets) != 1 or any(n.site_id is None or not n.item_code for n in notes):
        return _("A finding is for one checklist item of one site: choose notes on the same item.")
    return None


def value_problem(notes: list[NoteRef]) -> str | None:
    if not notes or {n.indicator_code for n in notes} == {""} or len({n.indicator_code for n in notes}) != 1:
        return _("Choose notes on one indicator.")
    return None


def finding_text(session_title: str, notes: list[NoteRef]) -> str:
    """The finding's note: the notes it comes from, numbered, and where they were taken (the
    link back from the finding to its notes), within the finding's limit."""
    head = _("From the hybrid session “%(title)s”, notes %(numbers)s:") % {
        "title": session_title, "numbers": ", ".join(f"#{n.number}" for n in notes)}
    lines = [head, *(f"#{n.number} {n.clock} {n.body}".replace("  ", " ") for n in notes)]
    text = "\n".join(lines)
    if len(text) > MAX_FINDING_NOTE:
        text = text[: MAX_FINDING_NOTE - 1] + "…"
    return text


_PROMOTE_NS = uuid.UUID("8d3c1f52-6a0e-4f6b-b1f4-2f7a9c0e5d31")


def promotion_uuid(session_id: int, site_id: int, item_code: str, result: str, text: str) -> uuid.UUID:
    """The finding save's UUID: the same promotion again (a retry, a double click) replays."""
    digest = hashlib.sha256("\x1f".join((str(session_id), str(site_id), item_code, result, text)).encode()).hexdigest()
    return uuid.uuid5(_PROMOTE_NS, digest)


# --- the minutes ----------------------------------------------------------------------------


def group_notes(notes: list[dict[str, Any]], agenda: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notes by agenda entry in agenda order, each entry's notes by item then number; notes on
    nothing in particular last ("General")."""
    groups: list[dict[str, Any]] = []
    for entry in agenda:
        if entry["site_id"] is not None:
            members = [n for n in notes if n["site_id"] == entry["site_id"] and not n["indicator_code"]]
        else:
            members = [n for n in notes if n["indicator_code"] == entry["indicator_code"]]
        members.sort(key=lambda n: (n["item_code"], n["number"]))
        groups.append({"entry": entry, "notes": members})
    placed = {id(n) for g in groups for n in g["notes"]}
    rest = [n for n in notes if id(n) not in placed]
    if rest:
        groups.append({"entry": None, "notes": sorted(rest, key=lambda n: n["number"])})
    return groups


# --- the minutes as a spreadsheet -------------------------------------------------------------


def minutes_workbook(minutes: dict[str, Any]) -> bytes:
    """The minutes (attendance, agenda, notes by item, findings) as an XLSX workbook, with
    headings in the current language. ``minutes`` is the session page's context."""
    from io import BytesIO

    from openpyxl import Workbook
    from openpyxl.styles import Font

    session, clock, result_label = minutes["session"], minutes["clock"], minutes["result_label"]
    labels = minutes["labels"]
    book = Workbook()
    bold = Font(bold=True)

    def sheet(title: str, header: list[str], rows: list[list[Any]], first: bool = False) -> None:
        ws = book.active if first else book.create_sheet()
        ws.title = title[:31]
        ws.append(header)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([_cell(v) for v in row])

    evaluation = minutes["evaluation"]
    sheet(_("Session"), [_("Session"), session["title"]], [
        [_("Kab/kota"), evaluation["district_name"]],
        [_("Round"), evaluation["round_name"]],
        [_("Starts"), f"{session['starts_at']:%Y-%m-%d} {clock(session['starts_at'])}"],
        [_("Status"), status_label(session["status"])],
        [_("Video link"), session["video_link"]],
        [_("Team"), ", ".join(m["name"] for m in minutes["team"])],
    ], first=True)
    sheet(_("Attendance"), [_("Name"), _("Office / OPD"), _("Position")],
          [[a["name"], a["office"], a["position"]] for a in minutes["attendees"]])
    sheet(_("Agenda"), ["#", _("Agenda item")], [[n + 1, e["label"]] for n, e in enumerate(minutes["agenda"])])
    rows = []
    for group in minutes["groups"]:
        for note in group["notes"]:
            rows.append([note["number"], clock(note["created_at"]), labels.get(note["target"], note["target"]),
                         note["body"], result_label(note["result"]) if note["result"] else "", note["author_name"],
                         _("edited") if note["edited_at"] else ""])
    sheet(_("Notes"), ["#", _("Time"), _("About"), _("Note"), _("Result"), _("Author"), ""], rows)
    found = []
    for made in minutes["findings"]:
        if made["kind"] == "finding":
            found.append([made["site_name"], made["item_code"], result_label(made["result"]),
                          ", ".join(f"#{n}" for n in made["numbers"])])
        else:
            found.append([made["indicator_code"], "", str(made["verified_value"]),
                          ", ".join(f"#{n}" for n in made["numbers"])])
    sheet(_("Findings"), [_("Site or indicator"), _("Item"), _("Result or value"), _("From notes")], found)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula is written as text."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@")):
        return "'" + value
    return value
