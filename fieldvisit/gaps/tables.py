from piccolo.columns import JSON, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sites.tables import Site
from fieldvisit.visits.tables import Photo


class Gap(Table, tablename="gap"):
    """A difference found by reconciliation. Its identity is (district evaluation, rule, subject):
    reconciling again opens, updates or resolves it, never duplicates it."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    rule = Varchar(length=24)  # reconcile.domain.Rule
    subject = Varchar(length=64)  # claim:12 | indicator_claim:3 | site:4 | photo:9
    severity = Varchar(length=8)  # high | medium | low | review
    visible_to_district = Boolean(default=True)  # provenance gaps are for verifiers only
    status = Varchar(length=16, default="open")  # reconcile.domain.GapStatus
    facts = JSON(default={})
    site = ForeignKey(references=Site, null=True, on_delete=OnDelete.restrict)
    indicator_code = Varchar(length=8, default="")
    due_on = Date(null=True, default=None)
    opened_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    settled_at = Timestamptz(null=True, default=None)  # resolved, orphaned, accepted or closed
    # unique together: district_evaluation, rule, subject (unique index in a hand-written migration)


class GapEvent(Table, tablename="gap_event"):
    """The gap's timeline: every step with who (None: reconciliation) and when. Append-only."""

    gap = ForeignKey(references=Gap, null=False, on_delete=OnDelete.restrict)
    at = Timestamptz(default=TimestamptzNow())
    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    # opened | updated | resolved | reopened | orphaned | responded | accepted | rejected | more_info
    # | closed | due_changed
    kind = Varchar(length=16)
    text = Text(default="")  # the district's answer, the verifier's reason
    status_before = Varchar(length=16, default="")
    status_after = Varchar(length=16, default="")
    facts_before = JSON(null=True, default=None)
    facts_after = JSON(null=True, default=None)


class GapAttachment(Table, tablename="gap_attachment"):
    """A document or photo attached to a response (blob store, same as photos)."""

    event = ForeignKey(references=GapEvent, null=False, on_delete=OnDelete.restrict)
    kind = Varchar(length=10)  # document | photo
    photo = ForeignKey(references=Photo, null=True, on_delete=OnDelete.restrict)  # through the photo pipeline
    blob_key = Varchar(length=200, default="")  # documents; for an image, the original (evidence, never shown)
    display_key = Varchar(length=200, default="")  # an image's display copy: faces blurred, no metadata
    file_name = Varchar(length=200, default="")
    content_type = Varchar(length=80, default="")
    size_bytes = Integer(default=0)
    sha256 = Varchar(length=64, default="")
    uploaded_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class ReconcileState(Table, tablename="reconcile_state"):
    """One row per district evaluation: coalesces background runs (a burst of saves marks it
    dirty once; one run clears it) and records the last run."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, unique=True,
                                     on_delete=OnDelete.cascade)
    dirty_since = Timestamptz(null=True, default=None)
    running_since = Timestamptz(null=True, default=None)
    last_run_at = Timestamptz(null=True, default=None)
    last_counts = JSON(default={})
    # The evaluation's stage and its round's tolerances as the last run saw them: neither has a
    # change timestamp, so the background worker compares this instead.
    inputs_seen = Varchar(length=64, default="")


class GapReminder(Table, tablename="gap_reminder"):
    """An overdue gap e-mailed to one person on one day (the district's local day), written by
    ``fieldvisit remind-overdue`` before it sends: a second run that day skips it."""

    gap = ForeignKey(references=Gap, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    sent_on = Date()
    sent_at = Timestamptz(default=TimestamptzNow())
    # unique together: gap, user, sent_on (unique index in a hand-written migration)
