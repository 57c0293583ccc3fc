from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.rounds.tables import Assignment, DistrictEvaluation, Round, Tolerance

APP_CONFIG = AppConfig(
    app_name="rounds",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "rounds"),
    table_classes=[Round, DistrictEvaluation, Assignment, Tolerance],
    migration_dependencies=["fieldvisit.catalogue.piccolo_app", "fieldvisit.accounts.piccolo_app"],
)
