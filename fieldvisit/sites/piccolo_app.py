from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.sites.tables import Site

APP_CONFIG = AppConfig(
    app_name="sites",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "sites"),
    table_classes=[Site],
    migration_dependencies=["fieldvisit.regions.piccolo_app"],
)
