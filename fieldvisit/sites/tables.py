from piccolo.columns import Boolean, DoublePrecision, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from fieldvisit.regions.tables import Region


class Site(Table, tablename="site"):
    """A place in one kab/kota, keyed by the district's own code (NPSN for schools)."""

    district = ForeignKey(references=Region, null=False, on_delete=OnDelete.restrict)
    code = Varchar(length=64)
    name = Varchar(length=300)
    site_type = Varchar(length=32)  # catalogue site type code, e.g. SRA
    address = Text(default="")
    kecamatan = Varchar(length=120, default="")
    kelurahan = Varchar(length=120, default="")
    latitude = DoublePrecision(null=True, default=None)
    longitude = DoublePrecision(null=True, default=None)
    contact_person = Varchar(length=200, default="")  # personal data: see the privacy notice
    phone = Varchar(length=50, default="")
    is_active = Boolean(default=True)  # sites missing from a later import are not deleted
    sensitive = Boolean(null=True, default=None)  # None: as its site type says
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # unique together: district, code (unique index in a hand-written migration)
