"""Settings are parsed strictly; a bad value names the setting."""

from __future__ import annotations

import pytest

from fieldvisit.settings import Settings, SettingsError


def test_the_embedded_defaults_need_no_environment():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("sqlite:///")
    assert not settings.is_postgres and not settings.uses_s3
    assert settings.blob_dir == settings.var_dir / "blobs"


def test_a_postgres_url_switches_the_database():
    settings = Settings.from_env({"DATABASE_URL": "postgresql://app:pw@db:5432/fieldvisit"})
    assert settings.is_postgres


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://"}, "DATABASE_URL"),
        ({"DATABASE_URL": "postgresql://host:notaport/db"}, "DATABASE_URL"),
        ({"DATABASE_URL": "sqlite:///"}, "DATABASE_URL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "0"}, "PORT"),
        ({"SECURE_COOKIES": "maybe"}, "SECURE_COOKIES"),
        ({"DEFAULT_LANGUAGE": "fr"}, "DEFAULT_LANGUAGE"),
        ({"S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL"),
        ({"S3_ENDPOINT_URL": "http://minio:9000", "S3_BUCKET": "b"}, "S3_BUCKET"),
        ({"MAX_UPLOAD_MB": "0"}, "MAX_UPLOAD_MB"),
    ],
)
def test_a_bad_value_stops_start_up_naming_the_setting(env, named):
    with pytest.raises(SettingsError, match=named):
        Settings.from_env(env)


def test_a_password_in_a_bad_url_is_not_echoed():
    with pytest.raises(SettingsError) as info:
        Settings.from_env({"DATABASE_URL": "mysql://user:secret@host/db"})
    assert "secret" not in str(info.value)


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("1", True), ("yes", True), ("false", False),
                                                ("0", False), ("", False)])
def test_booleans_accept_the_usual_spellings(raw, expected):
    assert Settings.from_env({"SECURE_COOKIES": raw}).secure_cookies is expected


def test_the_command_line_reports_a_bad_setting_clearly(tmp_path):
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "fieldvisit", "migrate"], capture_output=True, text=True,
                            env={"DATABASE_URL": "oracle://nope", "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr
