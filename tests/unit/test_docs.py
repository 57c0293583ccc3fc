"""The README, the CI entry point and docker-compose.yml stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from fieldvisit.cli import build_parser
from fieldvisit.settings import Settings, documented_settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_readme_settings_table_lists_exactly_the_settings():
    in_readme = set(re.findall(r"^\| `([A-Z0-9_]+)` \|", README, re.M))
    assert in_readme == {env for env, _default, _doc in documented_settings()}


def test_the_readme_gives_the_two_setup_commands_and_ci_runs_the_test_one():
    assert "make run" in README and "make test" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test\b", ci, re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_every_fieldvisit_command_in_the_readme_exists():
    commands = set(re.findall(r"`fieldvisit ([a-z-]+)", README))
    parser = build_parser()
    known = set(parser._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert commands and commands <= known, commands - known


def test_docker_compose_runs_the_app_with_postgres_s3_and_a_tls_proxy():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"app", "db", "s3", "create-bucket", "proxy"} <= set(services)
    env = {k: str(v) for k, v in services["app"]["environment"].items()}
    known = {name for name, _d, _doc in documented_settings()}
    assert set(env) <= known, f"unknown settings in docker-compose.yml: {set(env) - known}"
    settings = Settings.from_env(env)
    assert settings.is_postgres and settings.uses_s3 and settings.secure_cookies
    assert "tls internal" in compose["configs"]["caddyfile"]["content"]
    assert (ROOT / "Dockerfile").exists()


def test_the_readme_describes_the_face_detector_the_code_runs():
    from fieldvisit.storage import faces

    flat = " ".join(README.split())
    assert f"fieldvisit/storage/models/{faces.MODEL.name}" in flat
    assert f"scaled to {faces.DETECT_EDGE} px" in flat
    assert f"the whole {faces.SENSITIVE_EDGE} px display" in flat
