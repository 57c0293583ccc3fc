from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.accounts.tables import LoginAttempt, User, UserSession

APP_CONFIG = AppConfig(
    app_name="accounts",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "accounts"),
    table_classes=[User, UserSession, LoginAttempt],
    migration_dependencies=["fieldvisit.regions.piccolo_app"],
)
