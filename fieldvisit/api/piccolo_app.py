from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.api.tables import ApiClient

APP_CONFIG = AppConfig(
    app_name="api",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "api"),
    table_classes=[ApiClient],
    migration_dependencies=["fieldvisit.accounts.piccolo_app"],
)
