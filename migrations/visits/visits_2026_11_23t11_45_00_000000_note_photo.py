from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T11:45:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Photo: session_note (a screenshot attached to a hybrid-session note)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="visits", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Photo", tablename="photo", column_name="session_note", db_column_name="session_note",
        column_class_name="Integer", column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )
    return manager
