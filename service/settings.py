"""One typed settings object for the whole service.

Every knob ops can turn is a field here, read once at start-up from
``MISINFO_*`` environment variables (plus keyword overrides for tests), never
at import time. Other concerns add their fields to :class:`Settings` and one
line to ``_ENV`` so that there is exactly one place to look.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PREFIX = "MISINFO_"

#: Roles in increasing order of power; a role includes every role before it.
ROLES: tuple[str, ...] = ("scorer", "moderator", "admin")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SettingsError(ValueError):
    """A ``MISINFO_*`` variable has a value the service cannot use (start-up error)."""


@dataclass(frozen=True)
class ApiKey:
    """A configured API key: only the sha256 of the secret is ever kept."""

    name: str
    digest: str  # hex sha256 of the raw key
    role: str


def hash_key(raw: str) -> str:
    """Hex sha256 of a raw API key (what the keys file stores)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Settings:
    """Start-up configuration; see README section "API" for each variable."""

    #: Model artifact directory; None means the artifact bundled in model/artifacts/.
    model_path: str | None = None
    #: Refuse to start without a model (True) or start and answer 503 on /ready (False).
    model_required: bool = True
    database_url: str = "sqlite:///var/misinfo.sqlite3"
    #: Seconds a review write may wait for a locked/unreachable database before it is spooled.
    database_timeout: float = 2.0
    #: API-key auth; ``MISINFO_AUTH=off`` makes every caller an anonymous admin (local use only).
    auth: bool = True
    api_keys: tuple[ApiKey, ...] = ()
    api_keys_file: str | None = None
    max_body_bytes: int = 1_000_000
    max_paragraphs: int = 500
    max_batch: int = 100
    #: Flask-Limiter rate string per API key (per client IP when auth is off).
    rate_limit: str = "600/minute"
    #: ``memory://`` per worker process; ``redis://host:6379`` to share counts between workers.
    rate_limit_storage_uri: str = "memory://"
    rate_limit_enabled: bool = True
    #: Store every flagged article for review, not only those sent with ``options.review``.
    review_all_flagged: bool = False
    spool_dir: str = "var/spool"
    log_level: str = "INFO"
    #: One JSON object per log line with the request id (off: the stdlib default format, for a terminal).
    log_json: bool = True
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from ``MISINFO_*`` variables; keyword overrides win (tests)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name, parse in _ENV.items():
            raw = env.get(PREFIX + name.upper())
            if raw is not None:
                try:
                    values[name] = parse(raw)
                except (TypeError, ValueError) as exc:
                    raise SettingsError(f"{PREFIX}{name.upper()}: {exc}") from exc
        keys = list(values.pop("api_keys", ()))
        keys_file = overrides.get("api_keys_file", values.get("api_keys_file"))
        if keys_file:
            keys.extend(load_keys_file(keys_file))
        if keys:
            values["api_keys"] = tuple(keys)
        values.update(overrides)
        if "api_keys" in overrides:
            values["api_keys"] = _coerce_keys(overrides["api_keys"])
        settings = cls(**values)
        settings.validate()
        return settings

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (settings stay immutable once the app runs)."""
        return dataclasses.replace(self, **changes)

    def validate(self) -> None:
        """Fail at start-up, not on the first request."""
        for name in ("max_body_bytes", "max_paragraphs", "max_batch"):
            if getattr(self, name) < 1:
                raise SettingsError(f"{PREFIX}{name.upper()} must be a positive integer")
        for key in self.api_keys:
            if key.role not in ROLES:
                raise SettingsError(f"API key {key.name!r}: unknown role {key.role!r}, expected one of {ROLES}")


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"expected on/off, true/false, 1/0, got {raw!r}")


def _parse_int(raw: str) -> int:
    return int(raw.replace("_", "").strip())


def _parse_optional_str(raw: str) -> str | None:
    return raw.strip() or None


def parse_inline_keys(raw: str) -> tuple[ApiKey, ...]:
    """``key:role[,key:role...]`` → hashed keys; the raw secrets are dropped here."""
    keys = []
    for item in raw.replace("\n", ",").split(","):
        item = item.strip()
        if not item:
            continue
        secret, sep, role = item.rpartition(":")
        if not sep or not secret:
            raise ValueError("expected comma-separated key:role pairs")
        digest = hash_key(secret)
        keys.append(ApiKey(name=f"key-{digest[:8]}", digest=digest, role=role.strip()))
    return tuple(keys)


def load_keys_file(path: str | os.PathLike[str]) -> tuple[ApiKey, ...]:
    """Read a keys file: one ``<sha256 hex> <role> [name]`` per line, ``#`` comments.

    The file never holds raw keys; ``python -m service.auth hash-key`` prints a line for it.
    """
    keys = []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise SettingsError(f"{PREFIX}API_KEYS_FILE: cannot read {path}: {exc}") from exc
    for number, line in enumerate(lines, 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) not in (2, 3):
            raise SettingsError(f"{path}:{number}: expected '<sha256 hex> <role> [name]'")
        digest = parts[0].lower().removeprefix("sha256:")
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise SettingsError(f"{path}:{number}: not a sha256 hex digest (the file holds hashes, never keys)")
        name = parts[2] if len(parts) == 3 else f"key-{digest[:8]}"
        keys.append(ApiKey(name=name, digest=digest, role=parts[1]))
    return tuple(keys)


def _coerce_keys(value: Any) -> tuple[ApiKey, ...]:
    """Overrides may give keys as ApiKey objects, a ``key:role`` string or a {key: role} mapping."""
    if isinstance(value, str):
        return parse_inline_keys(value)
    if isinstance(value, Mapping):
        return tuple(
            ApiKey(name=f"key-{hash_key(k)[:8]}", digest=hash_key(k), role=role) for k, role in value.items()
        )
    return tuple(value)


#: Field name → parser of its ``MISINFO_<NAME>`` variable.
_ENV: dict[str, Callable[[str], Any]] = {
    "model_path": _parse_optional_str,
    "model_required": _parse_bool,
    "database_url": str,
    "database_timeout": float,
    "auth": _parse_bool,
    "api_keys": parse_inline_keys,
    "api_keys_file": _parse_optional_str,
    "max_body_bytes": _parse_int,
    "max_paragraphs": _parse_int,
    "max_batch": _parse_int,
    "rate_limit": str,
    "rate_limit_storage_uri": str,
    "rate_limit_enabled": _parse_bool,
    "review_all_flagged": _parse_bool,
    "spool_dir": str,
    "log_level": lambda raw: raw.strip().upper(),
    "log_json": _parse_bool,
    "secret_key": str,
}
