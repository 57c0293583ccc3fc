from piccolo.columns import Boolean, Date, ForeignKey, Integer, Numeric, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.catalogue.tables import CatalogueVersion
from fieldvisit.regions.tables import Region


class Round(Table, tablename="evaluation_round"):
    name = Varchar(length=120)  # e.g. "KLA 2025"
    year = Integer()
    catalogue_version = ForeignKey(references=CatalogueVersion, null=False, on_delete=OnDelete.restrict)
    starts_on = Date(null=True, default=None)
    ends_on = Date(null=True, default=None)
    response_days = Integer(default=14)  # default due date of a gap response, in days
    notetakers_may_promote = Boolean(default=False)  # may note-takers turn notes into findings
    closed_at = Timestamptz(null=True, default=None)  # retention of originals counts from here
    created_at = Timestamptz(default=TimestamptzNow())


class DistrictEvaluation(Table, tablename="district_evaluation"):
    """One kab/kota in one round."""

    round = ForeignKey(references=Round, null=False, on_delete=OnDelete.restrict)
    district = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict)
    # evaluasi_mandiri | verifikasi_administrasi | verifikasi_lapangan | verifikasi_final | selesai
    stage = Varchar(length=32, default="evaluasi_mandiri")
    field_mode = Varchar(length=16, default="kunjungan")  # hybrid | kunjungan (each visit may differ)
    field_starts_on = Date(null=True, default=None)
    field_ends_on = Date(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    # unique together: round, district (unique index in a hand-written migration)


class Assignment(Table, tablename="assignment"):
    """A verifier or note-taker on a district evaluation's team."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    role = Varchar(length=16)  # verifier | notetaker (the user's role when assigned)
    # unique together: district_evaluation, user (unique index in a hand-written migration)


class Tolerance(Table, tablename="indicator_tolerance"):
    """The verification-factor band of one indicator in one round (default 0.90-1.10 when absent)."""

    round = ForeignKey(references=Round, null=False, on_delete=OnDelete.cascade)
    indicator_code = Varchar(length=8)
    low = Numeric(digits=(5, 3))
    high = Numeric(digits=(5, 3))
    # unique together: round, indicator_code (unique index in a hand-written migration)
