from piccolo.columns import JSON, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.rounds.tables import DistrictEvaluation
from fieldvisit.sites.tables import Site


class IndicatorClaim(Table, tablename="indicator_claim"):
    """A district's claim for one indicator: a value (number, percent or yes/no) and a score."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    indicator_code = Varchar(length=8)
    value_kind = Varchar(length=8, default="number")  # number | percent | yesno
    value = Numeric(digits=(14, 4), null=True, default=None)  # yes = 1, no = 0
    unit = Varchar(length=40, default="")
    claimed_score = Numeric(digits=(7, 2))
    max_score = Numeric(digits=(7, 2), null=True, default=None)
    documents = JSON(default=[])  # [{"title": ..., "link": ...}]
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    updated_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)  # a withdrawn claim; its gaps become orphaned
    # unique together: district_evaluation, indicator_code (unique index in a hand-written migration)


class SiteItemClaim(Table, tablename="site_item_claim"):
    """A district's claim about one checklist item at one site ("SD Negeri 1 has a counselling room")."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    site = ForeignKey(references=Site, null=False, on_delete=OnDelete.restrict)
    item_code = Varchar(length=32)
    claimed_status = Varchar(length=8)  # met | not_met
    documents = JSON(default=[])
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    updated_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)
    # unique together: district_evaluation, site, item_code (unique index in a hand-written migration)


class IndicatorVerification(Table, tablename="indicator_verification"):
    """A verifier's verified value for an indicator claim (e.g. the birth-certificate share
    recounted from the civil registry). Append-only versions; the highest is current."""

    district_evaluation = ForeignKey(references=DistrictEvaluation, null=False, on_delete=OnDelete.restrict)
    indicator_code = Varchar(length=8)
    version = Integer()
    verified_value = Numeric(digits=(14, 4))
    note = Text(default="")
    documents = JSON(default=[])  # [{"title": ..., "link": ...}] or blob references
    source = Varchar(length=16, default="verifier")  # verifier | session (set from a hybrid-session note)
    verified_by = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict)
    verified_at = Timestamptz(default=TimestamptzNow())
    # unique together: district_evaluation, indicator_code, version (hand-written migration)
