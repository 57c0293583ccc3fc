from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import JSON, Boolean
from piccolo.columns.indexes import IndexMethod

ID = "2026-11-23T08:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Photo: shows_person and blur_boxes (blurring asked for by a verifier)"


def _params(default):
    return {
        "default": default,
        "null": False,
        "primary_key": False,
        "unique": False,
        "index": False,
        "index_method": IndexMethod.btree,
        "choices": None,
        "db_column_name": None,
        "secret": False,
    }


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="visits", description=DESCRIPTION)
    manager.add_column(
        table_class_name="Photo", tablename="photo", column_name="shows_person", db_column_name="shows_person",
        column_class_name="Boolean", column_class=Boolean, params=_params(False), schema=None,
    )
    manager.add_column(
        table_class_name="Photo", tablename="photo", column_name="blur_boxes", db_column_name="blur_boxes",
        column_class_name="JSON", column_class=JSON, params=_params("[]"), schema=None,
    )
    return manager
