from piccolo.columns import JSON, UUID, Boolean, Date, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sites.tables import Site


class Visit(Table, tablename="visit"):
    """A planned or done visit of one site in one district evaluation.

    The time window of the visit runs from check-in to submit."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    planned_on = Date()
    mode = Varchar(length=16, default="kunjungan")  # kunjungan (on site) | video (hybrid session)
    status = Varchar(length=16, default="planned")  # planned | in_progress | submitted
    checked_in_at = Timestamptz(null=True, default=None)
    check_in_latitude = DoublePrecision(null=True, default=None)
    check_in_longitude = DoublePrecision(null=True, default=None)
    check_in_accuracy_m = DoublePrecision(null=True, default=None)
    check_in_distance_m = DoublePrecision(null=True, default=None)  # from the site's coordinates
    outcome = Varchar(length=16, null=True, default=None)  # found | closed | not_found | refused
    outcome_note = Text(default="")
    submitted_at = Timestamptz(null=True, default=None)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class VisitMember(Table, tablename="visit_member"):
    """The visit's team (verifiers assigned to the district evaluation)."""

    visit = ForeignKey(references=Visit, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    # unique together: visit, user (unique index in a hand-written migration)


class Finding(Table, tablename="finding"):
    """One saved version of one checklist item's result on one visit. Append-only: a change is
    a new row with the next version; the highest version of (visit, item) is the current one.

    ``client_uuid`` names the save: the same UUID again with the same content is a no-op, with
    other content a conflict (409)."""

    visit = ForeignKey(references=Visit, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)  # denormalised for reads
    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    item_code = Varchar(length=32)
    version = Integer()
    client_uuid = UUID(unique=True)
    result = Varchar(length=16)  # met | partial | not_met | not_observed | not_applicable
    note = Text(default="")
    content_hash = Varchar(length=64)
    saved_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    saved_at = Timestamptz(default=TimestamptzNow())
    # unique together: visit, item_code, version (unique index in a hand-written migration)


class Photo(Table, tablename="photo"):
    """A photo of a visit (optionally of one checklist item). The row is written only after the
    original is in the blob store; derivatives (display, thumbnail) follow right after."""

    visit = ForeignKey(references=Visit, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    item_code = Varchar(length=32, default="")  # empty: a photo of the visit, not of one item
    client_uuid = UUID(unique=True)
    original_key = Varchar(length=200)
    display_key = Varchar(length=200, default="")
    thumb_key = Varchar(length=200, default="")
    content_type = Varchar(length=40)
    size_bytes = Integer()
    width = Integer(default=0)
    height = Integer(default=0)
    sha256 = Varchar(length=64, index=True)
    phash = Varchar(length=16, default="", index=True)
    taken_at = Timestamptz(null=True, default=None)  # EXIF time read in the site's province time zone
    exif_latitude = DoublePrecision(null=True, default=None)
    exif_longitude = DoublePrecision(null=True, default=None)
    camera_make = Varchar(length=80, default="")
    camera_model = Varchar(length=80, default="")
    source = Varchar(length=16, default="camera")  # camera | gallery | video
    distance_m = DoublePrecision(null=True, default=None)  # from EXIF GPS, else from the check-in
    derivatives_ready = Boolean(default=False)
    # Set when the retention policy removed the original from the blob store (derivatives stay):
    # the original is then gone on purpose, never "missing".
    original_purged_at = Timestamptz(null=True, default=None)
    # Blurring asked for by a verifier (issue 8), on top of the faces found automatically: the
    # whole photo ("shows a person") and/or boxes [[left, top, right, bottom], ...] in fractions.
    shows_person = Boolean(default=False)
    blur_boxes = JSON(default=[])
    uploaded_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz(default=TimestamptzNow())
    # A screenshot or photo attached to a hybrid-session note (``session_note.id``; source
    # "video"): its visit is the session's video visit of the note's site. A plain integer, not
    # a foreign key: the sessions app depends on this one, not the other way round.
    session_note = Integer(null=True, default=None, index=True)
