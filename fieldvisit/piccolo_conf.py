"""Piccolo's configuration module (PICCOLO_CONF=fieldvisit.piccolo_conf).

Used by Piccolo's own commands, e.g. ``piccolo migrations new accounts --auto``.
``fieldvisit.db.configure`` replaces ``DB`` with the engine the app's settings ask for.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine

from fieldvisit.db import APP_MODULES, make_engine
from fieldvisit.settings import Settings

DB: Engine = make_engine(Settings.from_env())
APP_REGISTRY = AppRegistry(apps=APP_MODULES)
