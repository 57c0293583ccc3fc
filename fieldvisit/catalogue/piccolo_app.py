from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.catalogue.tables import CatalogueVersion, ChecklistItem, Cluster, Indicator, Predicate, SiteType

APP_CONFIG = AppConfig(
    app_name="catalogue",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "catalogue"),
    table_classes=[CatalogueVersion, Cluster, Indicator, Predicate, SiteType, ChecklistItem],
)
