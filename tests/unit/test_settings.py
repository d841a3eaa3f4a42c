from __future__ import annotations

from pathlib import Path

import pytest

from offsite.settings import Settings, SettingsError, describe


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.http.port == 8000
    assert settings.testdata_dir == Path("../shared/testdata")
    assert settings.auth.access_ttl_s == 900


def test_environment_overrides_and_types() -> None:
    settings = Settings.from_env(
        {
            "DATABASE_URL": "postgresql://db/x",
            "OFFSITE_HTTP_PORT": "9001",
            "OFFSITE_LOG_JSON": "false",
            "S3_BUCKET": "evidence-prod",
        }
    )
    assert settings.database.url == "postgresql://db/x"
    assert settings.http.port == 9001
    assert settings.log_json is False
    assert settings.s3.bucket == "evidence-prod"


def test_a_bad_value_names_its_variable() -> None:
    with pytest.raises(SettingsError, match="OFFSITE_HTTP_PORT"):
        Settings.from_env({"OFFSITE_HTTP_PORT": "eighty"})


def test_every_setting_is_documented() -> None:
    rows = describe()
    assert all(doc for _, _, doc in rows)
    names = [var for var, _, _ in rows]
    assert len(names) == len(set(names))
    assert {"DATABASE_URL", "REDIS_URL", "S3_ENDPOINT", "OFFSITE_JWT_SECRET"} <= set(names)
