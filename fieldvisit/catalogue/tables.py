from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class CatalogueVersion(Table, tablename="catalogue_version"):
    """One version of the KLA catalogue, e.g. perpres-25-2021; a round names the one it uses."""

    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    schema_version = Integer(default=1)
    sha256 = Varchar(length=64)  # of the shipped data file it was loaded from
    sources = JSON(default={})  # source key -> URL or description
    loaded_at = Timestamptz(default=TimestamptzNow())


class Cluster(Table, tablename="catalogue_cluster"):
    """Kelembagaan (KL) or one of the five klaster (K1-K5)."""

    version = ForeignKey(references=CatalogueVersion, null=False, on_delete=OnDelete.cascade)
    code = Varchar(length=8)
    number = Integer(null=True, default=None)
    name_id = Varchar(length=200)
    name_en = Varchar(length=200)
    position = Integer(default=0)
    # unique together: version, code (unique index in a hand-written migration)


class Indicator(Table, tablename="catalogue_indicator"):
    version = ForeignKey(references=CatalogueVersion, null=False, on_delete=OnDelete.cascade)
    cluster = ForeignKey(references=Cluster, null=False, on_delete=OnDelete.cascade)
    code = Varchar(length=8)  # I01 … I24
    number = Integer()
    short_id = Varchar(length=200)
    name_id = Text()
    name_en = Text()
    max_score = Numeric(digits=(7, 2), null=True, default=None)  # weights are not public: optional
    sources = JSON(default=[])
    position = Integer(default=0)
    # unique together: version, code (unique index in a hand-written migration)


class Predicate(Table, tablename="catalogue_predicate"):
    version = ForeignKey(references=CatalogueVersion, null=False, on_delete=OnDelete.cascade)
    code = Varchar(length=16)  # NONE, PRATAMA, MADYA, NINDYA, UTAMA, KLA
    name_id = Varchar(length=200)
    name_en = Varchar(length=200)
    min_score = Numeric(digits=(7, 2))
    max_score = Numeric(digits=(7, 2))
    # unique together: version, code (unique index in a hand-written migration)


class SiteType(Table, tablename="catalogue_site_type"):
    version = ForeignKey(references=CatalogueVersion, null=False, on_delete=OnDelete.cascade)
    code = Varchar(length=32)  # PUSPAGA, SRA, …
    name_id = Text()
    name_en = Text()
    related_indicators = JSON(default=[])  # indicator codes, first = default for its items
    components = JSON(default=[])  # [{code, name_id, weight_pct}] where the standard has them
    sensitive = Boolean(default=False)  # UPTD_PPA and LKSA by default
    position = Integer(default=0)
    # unique together: version, code (unique index in a hand-written migration)


class ChecklistItem(Table, tablename="catalogue_checklist_item"):
    version = ForeignKey(references=CatalogueVersion, null=False, on_delete=OnDelete.cascade)
    site_type = ForeignKey(references=SiteType, null=False, on_delete=OnDelete.cascade)
    code = Varchar(length=32)  # PUSPAGA-01 …
    component = Varchar(length=16, default="")  # e.g. C4 for SRA; empty when the type has none
    text_id = Text()
    text_en = Text()
    evidence = JSON(default=[])  # photo | document | interview | observation | data
    wants_photo = Boolean(default=False)
    indicator_code = Varchar(length=8)  # the item's own indicator, else its type's first related one
    sourced = Boolean(default=False)
    sources = JSON(default=[])
    position = Integer(default=0)
    # unique together: version, code (unique index in a hand-written migration)
