from pathlib import Path

from piccolo.conf.apps import AppConfig

from fieldvisit.sessions.tables import (
    AgendaItem,
    Attendee,
    HybridSession,
    NoteLink,
    NoteRevision,
    SessionMember,
    SessionNote,
    SessionVisit,
)

APP_CONFIG = AppConfig(
    app_name="sessions",
    migrations_folder_path=str(Path(__file__).resolve().parents[2] / "migrations" / "sessions"),
    table_classes=[HybridSession, SessionMember, AgendaItem, Attendee, SessionNote, NoteRevision, SessionVisit,
                   NoteLink],
    migration_dependencies=["fieldvisit.visits.piccolo_app", "fieldvisit.claims.piccolo_app"],
)
