"""Settings come from MISINFO_* variables once, typed and checked at start-up."""
from __future__ import annotations

from typing import Any

import pytest

from service.settings import Settings, SettingsError, hash_key, load_keys_file


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.auth is True
    assert settings.max_body_bytes == 1_000_000
    assert settings.max_paragraphs == 500
    assert settings.max_batch == 100
    assert settings.rate_limit_storage_uri == "memory://"
    assert settings.database_url == "sqlite:///var/misinfo.sqlite3"
    assert settings.model_path is None
    assert settings.api_keys == ()


@pytest.mark.parametrize(
    ("variable", "raw", "field", "value"),
    [
        ("MISINFO_AUTH", "off", "auth", False),
        ("MISINFO_AUTH", "ON", "auth", True),
        ("MISINFO_MAX_BODY_BYTES", "2_000_000", "max_body_bytes", 2_000_000),
        ("MISINFO_MAX_PARAGRAPHS", "20", "max_paragraphs", 20),
        ("MISINFO_MAX_BATCH", "7", "max_batch", 7),
        ("MISINFO_RATE_LIMIT", "10/second", "rate_limit", "10/second"),
        ("MISINFO_RATE_LIMIT_STORAGE_URI", "redis://127.0.0.1:6379", "rate_limit_storage_uri", "redis://127.0.0.1:6379"),
        ("MISINFO_MODEL_PATH", "/srv/model", "model_path", "/srv/model"),
        ("MISINFO_DATABASE_URL", "postgresql://db/misinfo", "database_url", "postgresql://db/misinfo"),
        ("MISINFO_REVIEW_ALL_FLAGGED", "true", "review_all_flagged", True),
        ("MISINFO_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("MISINFO_SPOOL_DIR", "/var/spool/misinfo", "spool_dir", "/var/spool/misinfo"),
    ],
)
def test_each_variable_is_read(variable: str, raw: str, field: str, value: Any) -> None:
    assert getattr(Settings.from_env({variable: raw}), field) == value


@pytest.mark.parametrize(
    ("variable", "raw"),
    [
        ("MISINFO_AUTH", "perhaps"),
        ("MISINFO_MAX_BODY_BYTES", "lots"),
        ("MISINFO_MAX_BATCH", "0"),
        ("MISINFO_API_KEYS", "no-role-here"),
        ("MISINFO_API_KEYS", "key:superuser"),
    ],
)
def test_bad_values_fail_at_start_up(variable: str, raw: str) -> None:
    with pytest.raises(SettingsError, match="MISINFO_|role"):
        Settings.from_env({variable: raw})


def test_overrides_win_and_settings_are_frozen() -> None:
    settings = Settings.from_env({"MISINFO_MAX_BATCH": "7"}, max_batch=3)
    assert settings.max_batch == 3
    with pytest.raises(AttributeError):
        settings.max_batch = 4  # type: ignore[misc]
    assert settings.replace(max_batch=9).max_batch == 9


def test_inline_keys_and_keys_file_combine(tmp_path: Any) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"{hash_key('from-file')} admin ops-team  # comment\n\n")
    settings = Settings.from_env({"MISINFO_API_KEYS": "k1:scorer, k2:moderator", "MISINFO_API_KEYS_FILE": str(keys_file)})
    assert [(k.role, k.digest) for k in settings.api_keys] == [
        ("scorer", hash_key("k1")),
        ("moderator", hash_key("k2")),
        ("admin", hash_key("from-file")),
    ]
    assert settings.api_keys[2].name == "ops-team"


@pytest.mark.parametrize(
    "content",
    ["plain-secret-key scorer\n", f"{hash_key('x')}\n", f"{hash_key('x')} scorer name extra\n"],
    ids=["raw-key", "no-role", "too-many-columns"],
)
def test_keys_file_holds_hashes_only(tmp_path: Any, content: str) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text(content)
    with pytest.raises(SettingsError):
        load_keys_file(keys_file)


def test_missing_keys_file_is_a_start_up_error(tmp_path: Any) -> None:
    with pytest.raises(SettingsError, match="API_KEYS_FILE"):
        Settings.from_env({"MISINFO_API_KEYS_FILE": str(tmp_path / "absent")})
