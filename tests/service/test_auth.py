"""Bearer API keys, roles that nest, constant-time lookup, and the hash-key command."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Blueprint, Flask, g

from service.auth import KeyStore, Principal, main, require_role
from service.settings import ROLES, ApiKey, Settings, hash_key

ARTICLE = {"title": "Harga BBM naik"}


def _with_role_routes(app: Flask) -> Flask:
    """One route per role that echoes who called (test-only routes)."""
    extra = Blueprint("roles_test", __name__)
    for role in ROLES:

        def view() -> dict[str, str]:
            return {"name": g.principal.name, "role": g.principal.role}

        view.__name__ = f"only_{role}"
        extra.add_url_rule(f"/only/{role}", view_func=require_role(role)(view))
    app.register_blueprint(extra)
    return app


@pytest.mark.parametrize("caller", ROLES)
@pytest.mark.parametrize("needed", ROLES)
def test_roles_nest(auth_app: Flask, bearer: Callable[[str], dict[str, str]], caller: str, needed: str) -> None:
    client = _with_role_routes(auth_app).test_client()
    response = client.get(f"/only/{needed}", headers=bearer(caller))
    allowed = ROLES.index(caller) >= ROLES.index(needed)
    assert response.status_code == (200 if allowed else 403)
    if allowed:
        assert response.get_json()["role"] == caller
        assert response.get_json()["name"].startswith("key-")


@pytest.mark.parametrize(
    "header",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer test-scorer-key-but-longer", "Token test-scorer-key"],
)
def test_bad_credentials_are_401(auth_client: Any, error_shape: Callable[..., Any], header: str) -> None:
    headers = {"Authorization": header} if header else {}
    error_shape(auth_client.post("/score", json=ARTICLE, headers=headers), 401, "unauthorized")


def test_scorer_key_scores(auth_client: Any, bearer: Callable[[str], dict[str, str]]) -> None:
    assert auth_client.post("/score", json=ARTICLE, headers=bearer("scorer")).status_code == 200
    assert auth_client.post("/score", json=ARTICLE, headers={"Authorization": "bearer test-scorer-key"}).status_code == 200


def test_auth_off_makes_everyone_an_anonymous_admin(app: Flask) -> None:
    client = _with_role_routes(app).test_client()
    assert client.get("/only/admin").get_json() == {"name": "anonymous", "role": "admin"}


@pytest.mark.parametrize("path", ["/health", "/ready", "/model", "/openapi.json", "/docs"])
def test_meta_endpoints_need_no_key(auth_client: Any, path: str) -> None:
    assert auth_client.get(path).status_code == 200


def test_keystore_finds_by_digest_only() -> None:
    keys = [ApiKey("a", hash_key("alpha"), "scorer"), ApiKey("b", hash_key("beta"), "admin")]
    store = KeyStore(keys)
    assert store.lookup("beta") == keys[1]
    assert store.lookup("alpha") == keys[0]
    assert store.lookup("gamma") is None
    assert store.lookup(hash_key("alpha")) is None  # the digest itself is not a key
    assert Principal("b", "admin").has_role("moderator")
    assert not Principal("a", "scorer").has_role("moderator")


def test_raw_keys_are_never_kept() -> None:
    settings = Settings.from_env({"MISINFO_API_KEYS": "s3cret-value:moderator"})
    assert "s3cret-value" not in repr(settings)
    (key,) = settings.api_keys
    assert key.digest == hash_key("s3cret-value") and key.role == "moderator"


def test_hash_key_command_output_is_a_keys_file_line(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], make_app: Callable[..., Flask]
) -> None:
    assert main(["hash-key", "--role", "moderator", "--name", "alice"]) == 0
    out, err = capsys.readouterr()
    raw = err.strip().rsplit(" ", 1)[-1]
    line = out.strip()
    assert line == f"{hash_key(raw)} moderator alice"
    assert raw not in line
    keys_file = tmp_path / "keys"
    keys_file.write_text("# issued by ops\n" + line + "\n")
    app = _with_role_routes(make_app(auth=True, api_keys_file=str(keys_file)))
    response = app.test_client().get("/only/moderator", headers={"Authorization": f"Bearer {raw}"})
    assert response.get_json() == {"name": "alice", "role": "moderator"}


def test_hash_key_from_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("my-chosen-key\n"))
    assert main(["hash-key", "--stdin"]) == 0
    digest, role, name = capsys.readouterr().out.split()
    assert digest == hash_key("my-chosen-key") and role == "scorer" and name == f"key-{digest[:8]}"
