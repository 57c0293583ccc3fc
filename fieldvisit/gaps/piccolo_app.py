from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.gaps.tables import Gap, GapAttachment, GapEvent, GapReminder, ReconcileState

APP_CONFIG = AppConfig(
    app_name="gaps",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "gaps"),
    table_classes=[Gap, GapEvent, GapAttachment, ReconcileState, GapReminder],
    migration_dependencies=["fieldvisit.visits.piccolo_app"],
)
