from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.claims.tables import IndicatorClaim, IndicatorVerification, SiteItemClaim

APP_CONFIG = AppConfig(
    app_name="claims",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "claims"),
    table_classes=[IndicatorClaim, SiteItemClaim, IndicatorVerification],
    migration_dependencies=["fieldvisit.rounds.piccolo_app", "fieldvisit.sites.piccolo_app"],
)
