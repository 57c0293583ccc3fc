from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.regions.tables import Region

APP_CONFIG = AppConfig(
    app_name="regions",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "regions"),
    table_classes=[Region],
)
