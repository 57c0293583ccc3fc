from piccolo.columns import UUID, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.claims.tables import IndicatorVerification
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sites.tables import Site
from fieldvisit.visits.tables import Finding, Visit


class HybridSession(Table, tablename="hybrid_session"):
    """A video call with the district's task force, in one district evaluation.

    ``note_count`` is the last note number given; ``change_count`` the last change number
    (edit, promotion). Both are raised with an UPDATE in the transaction that writes the note,
    so the row lock orders commits: a client polling "after N" never skips a late commit."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    title = Varchar(length=200)
    starts_at = Timestamptz()
    video_link = Varchar(length=500, default="")
    status = Varchar(length=16, default="scheduled")  # scheduled | live | closed
    note_count = Integer(default=0)
    change_count = Integer(default=0)
    started_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class SessionMember(Table, tablename="session_member"):
    """The ministry team of a session (verifiers and note-takers of the evaluation)."""

    session = ForeignKey(references=HybridSession, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    # unique together: session, user (hand-written migration)


class AgendaItem(Table, tablename="session_agenda_item"):
    """One thing to show, in order: a site (its checklist) or an indicator."""

    session = ForeignKey(references=HybridSession, null=False, on_delete=OnDelete.cascade)
    position = Integer()
    site = ForeignKey(references=Site, null=True, on_delete=OnDelete.restrict)
    indicator_code = Varchar(length=8, default="")


class Attendee(Table, tablename="session_attendee"):
    """A district participant on the call."""

    session = ForeignKey(references=HybridSession, null=False, on_delete=OnDelete.cascade)
    name = Varchar(length=120)
    office = Varchar(length=160, default="")  # office / OPD
    position = Varchar(length=120, default="")
    added_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    added_at = Timestamptz(default=TimestamptzNow())


class SessionNote(Table, tablename="session_note"):
    """One note, numbered per session (unique session, number). What it is about: a site (and
    optionally one checklist item of it) or an indicator. Edits keep the earlier text in
    NoteRevision; ``changed_seq`` is the session's change number of the last change."""

    session = ForeignKey(references=HybridSession, null=False, on_delete=OnDelete.cascade)
    number = Integer()
    client_uuid = UUID(unique=True)
    author = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    body = Text()
    result = Varchar(length=16, default="")  # "" | met | partial | not_met | not_observed
    site = ForeignKey(references=Site, null=True, on_delete=OnDelete.restrict)
    item_code = Varchar(length=32, default="")
    indicator_code = Varchar(length=8, default="")
    created_at = Timestamptz(default=TimestamptzNow())
    edited_at = Timestamptz(null=True, default=None)
    version = Integer(default=1)
    changed_seq = Integer(default=0)


class NoteRevision(Table, tablename="session_note_revision"):
    """An earlier version of an edited note (the history)."""

    note = ForeignKey(references=SessionNote, null=False, on_delete=OnDelete.cascade)
    version = Integer()
    body = Text()
    result = Varchar(length=16, default="")
    saved_at = Timestamptz()


class SessionVisit(Table, tablename="session_visit"):
    """The video visit of one site made for a session when a note first became its finding."""

    session = ForeignKey(references=HybridSession, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    visit = ForeignKey(references=Visit, null=False, on_delete=OnDelete.restrict)
    # unique together: session, site (hand-written migration)


class NoteLink(Table, tablename="session_note_link"):
    """A note that became (part of) a finding or an indicator's verified value."""

    note = ForeignKey(references=SessionNote, null=False, on_delete=OnDelete.cascade)
    finding = ForeignKey(references=Finding, null=True, on_delete=OnDelete.restrict)
    verification = ForeignKey(references=IndicatorVerification, null=True, on_delete=OnDelete.restrict)
    promoted_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    promoted_at = Timestamptz(default=TimestamptzNow())
