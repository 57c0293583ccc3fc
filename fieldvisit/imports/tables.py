from piccolo.columns import JSON, Bytea, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.accounts.tables import User
from fieldvisit.regions.tables import Region
from fieldvisit.rounds.tables import DistrictEvaluation, Round


class ImportBatch(Table, tablename="import_batch"):
    """One uploaded file (or API call) and its preview, kept in the database so confirm works
    in any worker and after a restart."""

    kind = Varchar(length=16)  # sites | claims
    status = Varchar(length=16, default="previewed")  # previewed | committed | undone | discarded | stale
    source = Varchar(length=8, default="web")  # web | cli | api
    file_name = Varchar(length=255, default="")
    sha256 = Varchar(length=64, default="")
    size_bytes = Integer(default=0)
    content = Bytea(default=b"")  # the file as uploaded, zlib-compressed; emptied when the preview is discarded
    options = JSON(default={})  # {"district": "36.71", "round": 3}
    round = ForeignKey(references=Round, null=True, on_delete=OnDelete.restrict)
    district_evaluation = ForeignKey(references=DistrictEvaluation, null=True, on_delete=OnDelete.restrict)
    plan_sha256 = Varchar(length=64, default="")  # what the preview showed; confirm recomputes and compares
    state_sha256 = Varchar(length=64, default="")  # the stored rows the preview compared with (site lists)
    file_problems = JSON(default=[])  # problems with the file as a whole (no rows read)
    rows_total = Integer(default=0)
    rows_new = Integer(default=0)
    rows_changed = Integer(default=0)
    rows_unchanged = Integer(default=0)
    rows_error = Integer(default=0)
    rows_warning = Integer(default=0)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.restrict)
    created_by_label = Varchar(length=254, default="")  # email, "api:<client>" or "cli"
    created_at = Timestamptz(default=TimestamptzNow())
    committed_at = Timestamptz(null=True, default=None)
    committed_by_label = Varchar(length=254, default="")
    undone_at = Timestamptz(null=True, default=None)
    undone_by_label = Varchar(length=254, default="")


class ImportBatchDistrict(Table, tablename="import_batch_district"):
    """The kab/kota a batch touches, with its counts there: the import history per district."""

    batch = ForeignKey(references=ImportBatch, null=False, on_delete=OnDelete.cascade, index=True)
    district = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict, index=True)
    rows_new = Integer(default=0)
    rows_changed = Integer(default=0)
    rows_unchanged = Integer(default=0)
    rows_error = Integer(default=0)


class ImportRow(Table, tablename="import_row"):
    """One row of a preview: its outcome, the changed fields and the problems (message ids and
    parameters, translated when shown so each reader sees their own language)."""

    # The batch's id, deliberately not a foreign key: a preview of 100 000 rows would run 100 000
    # foreign-key checks, more than the rest of its COPY; rows are written and deleted only with
    # their batch, in the same transaction (queries.py).
    batch = Integer(index=True)
    line = Integer()  # the row number as a spreadsheet shows it
    sheet = Varchar(length=32, default="")  # sites | indicator_claims | site_item_claims
    outcome = Varchar(length=10)  # new | changed | unchanged | error
    district_code = Varchar(length=5, default="")
    key = Varchar(length=120, default="")  # site code, indicator code, "site code / item code"
    label = Varchar(length=300, default="")
    changes = JSON(null=True, default=None)  # {field: [old, new]}
    problems = JSON(null=True, default=None)  # [{level, column, msgid, params}]
    # A new or changed row of a site list carries the values confirm writes (its code is ``key``,
    # its name ``label``), typed, so confirm is one INSERT … SELECT; empty for other rows.
    district_id = Integer(null=True, default=None)
    site_type = Varchar(length=32, null=True, default=None)
    address = Text(null=True, default=None)
    kecamatan = Varchar(length=120, null=True, default=None)
    kelurahan = Varchar(length=120, null=True, default=None)
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    contact_person = Varchar(length=200, null=True, default=None)
    phone = Varchar(length=50, null=True, default=None)


class ImportChange(Table, tablename="import_change"):
    """What a committed batch did to one object, so it can be undone."""

    batch = ForeignKey(references=ImportBatch, null=False, on_delete=OnDelete.cascade, index=True)
    object_type = Varchar(length=24)  # site | indicator_claim | site_item_claim
    object_id = Integer(index=True)
    action = Varchar(length=8)  # created | changed
    before = JSON(null=True, default=None)  # the values before (changed only)
    after = JSON(null=True, default=None)  # the values written (changed only)


class ImportLock(Table, tablename="import_lock"):
    """One row per kab/kota, locked by every import commit and undo there (SELECT … FOR UPDATE on
    PostgreSQL; SQLite's write transactions are serial already); ``version`` counts them."""

    district = ForeignKey(references=Region, null=False, on_delete=OnDelete.cascade, unique=True)
    version = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())
