"""Bearer API keys with roles, compared in constant time.

A key is sent as ``Authorization: Bearer <key>``. The service only ever holds
sha256 digests (from ``MISINFO_API_KEYS``, hashed on load, or from the keys
file ``MISINFO_API_KEYS_FILE``). Roles nest: admin ⊇ moderator ⊇ scorer.
``MISINFO_AUTH=off`` makes every caller an anonymous admin, for local use.

Views declare what they need with :func:`require_role`; the identity of the
caller is then in ``flask.g.principal`` (name, role) for audit trails.

Create a key and the line for the keys file::

    python -m service.auth hash-key --role moderator --name alice
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import hmac
import secrets
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import current_app, g, request

from .errors import ApiError
from .settings import ROLES, ApiKey, hash_key

F = TypeVar("F", bound=Callable[..., Any])

_BEARER = "bearer "


@dataclass(frozen=True)
class Principal:
    """Who is calling: a configured key, or ``anonymous`` when auth is off."""

    name: str
    role: str

    def has_role(self, role: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)


ANONYMOUS_ADMIN = Principal(name="anonymous", role="admin")


class KeyStore:
    """The configured keys; lookup costs the same whether or not (and wherever) a key matches."""

    def __init__(self, keys: Iterable[ApiKey]) -> None:
        self._keys = tuple(keys)

    def __len__(self) -> int:
        return len(self._keys)

    def lookup(self, raw_key: str) -> ApiKey | None:
        """The key whose digest equals sha256(raw_key), else None."""
        digest = hashlib.sha256(raw_key.encode("utf-8", "surrogatepass")).hexdigest()
        found: ApiKey | None = None
        for key in self._keys:  # no early exit: timing does not reveal the position either
            if hmac.compare_digest(key.digest, digest):
                found = key
        return found


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": 'Bearer realm="misinfo"'})


def bearer_token() -> str | None:
    """The raw token of the Authorization header, or None when absent/not Bearer."""
    header = request.headers.get("Authorization", "")
    if header[: len(_BEARER)].lower() != _BEARER:
        return None
    token = header[len(_BEARER) :].strip()
    return token or None


def current_principal() -> Principal | None:
    """Resolve (once per request) who is calling; None when no valid key was sent."""
    if "principal" in g:
        return cast(Principal | None, g.principal)
    settings = current_app.extensions["misinfo"]["settings"]
    principal: Principal | None
    if not settings.auth:
        principal = ANONYMOUS_ADMIN
    else:
        token = bearer_token()
        key = current_app.extensions["misinfo"]["keys"].lookup(token) if token else None
        principal = Principal(name=key.name, role=key.role) if key else None
    g.principal = principal
    return principal


def check_role(role: str) -> Principal:
    """Raise 401/403 unless the caller holds ``role``; return the principal."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    principal = current_principal()
    if principal is None:
        if request.headers.get("Authorization"):
            raise _unauthorized("invalid API key or malformed Authorization header (expected 'Bearer <key>')")
        raise _unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    if not principal.has_role(role):
        raise ApiError(403, "forbidden", f"this operation needs the {role!r} role", {"required_role": role, "role": principal.role})
    return principal


def require_role(role: str) -> Callable[[F], F]:
    """View decorator: the caller must hold ``role`` (or a stronger one)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            check_role(role)
            return view(*args, **kwargs)

        wrapper.required_role = role  # type: ignore[attr-defined]  # read by the OpenAPI builder
        return cast(F, wrapper)

    return decorator


def main(argv: list[str] | None = None) -> int:
    """``python -m service.auth hash-key``: make a key and its keys-file line."""
    parser = argparse.ArgumentParser(prog="python -m service.auth", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    hk = sub.add_parser("hash-key", help="generate (or hash) an API key and print its keys-file line")
    hk.add_argument("--role", choices=ROLES, default="scorer")
    hk.add_argument("--name", default=None, help="label in logs and audit trails (no spaces)")
    hk.add_argument("--stdin", action="store_true", help="hash a key read from stdin instead of generating one")
    args = parser.parse_args(argv)
    if args.stdin:
        raw = sys.stdin.readline().strip()
        if not raw:
            parser.error("no key on stdin")
    else:
        raw = secrets.token_urlsafe(32)
        print(f"key (give to the client, it is not stored anywhere): {raw}", file=sys.stderr)
    digest = hash_key(raw)
    name = args.name or f"key-{digest[:8]}"
    if any(c.isspace() for c in name):
        parser.error("--name must not contain spaces")
    print(f"{digest} {args.role} {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
