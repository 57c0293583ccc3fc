from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.visits.tables import Finding, Photo, Visit, VisitMember

APP_CONFIG = AppConfig(
    app_name="visits",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "visits"),
    table_classes=[Visit, VisitMember, Finding, Photo],
    migration_dependencies=["fieldvisit.rounds.piccolo_app", "fieldvisit.sites.piccolo_app"],
)
