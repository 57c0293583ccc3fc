from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "gap attachment display copy"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="gaps", description=DESCRIPTION)

    manager.add_column(
        table_class_name="GapAttachment",
        tablename="gap_attachment",
        column_name="display_key",
        db_column_name="display_key",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 200,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
