from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.imports.tables import ImportBatch, ImportBatchDistrict, ImportChange, ImportLock, ImportRow

APP_CONFIG = AppConfig(
    app_name="imports",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "imports"),
    table_classes=[ImportBatch, ImportBatchDistrict, ImportRow, ImportChange, ImportLock],
    migration_dependencies=["fieldvisit.rounds.piccolo_app", "fieldvisit.sites.piccolo_app",
                            "fieldvisit.claims.piccolo_app"],
)
