from piccolo.columns import Varchar
from piccolo.table import Table


class Region(Table, tablename="region"):
    """A province (code PP) or a kab/kota (code PP.KK), Kemendagri numbering."""

    code = Varchar(length=5, unique=True, index=True)
    name = Varchar(length=120)
    level = Varchar(length=10)  # province | kabupaten | kota
    province_code = Varchar(length=2, index=True)
    time_zone = Varchar(length=4)  # WIB | WITA | WIT
    utc_offset = Varchar(length=6)  # +07:00
