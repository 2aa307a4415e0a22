"""The /moderate page without a browser: login, CSRF, escaping, highlighting, verdict forms."""
from __future__ import annotations

import re

import pytest
from markupsafe import Markup
from sqlalchemy import select

from service.review.highlight import highlight
from service.storage.models import AuditEvent, QueueItem
from tests.service.conftest import REVIEW_KEYS, SAMPLE_PARAGRAPHS, build_result

SCRIPT = "<script>document.title='owned'</script> SHOCKING claim may spread."


@pytest.fixture
def filled(review_app):
    paragraphs = list(SAMPLE_PARAGRAPHS)
    paragraphs[3] = (SCRIPT, True, [("sensational", "SHOCKING"), ("hedging", "may")])
    sink = review_app.extensions["misinfo"]["review_sink"]
    sink({"id": "a-1", "title": "<img src=x onerror=alert(1)> headline"}, build_result(paragraphs))
    return review_app


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the form"
    return match.group(1)


def _login(client, name="mia"):
    token = _token(client.get("/moderate/login").get_data(as_text=True))
    return client.post("/moderate/login", data={"csrf_token": token, "api_key": REVIEW_KEYS[name][0], "next": "/moderate"})


def _items(app):
    store = app.extensions["misinfo"]["review_store"]
    with store.read_session() as session:
        return list(session.scalars(select(QueueItem).order_by(QueueItem.id)))


# --- highlighting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "signals", "expected"),
    [
        ("a b c", [], "a b c"),
        ("Sources say it may rain", [{"name": "hedging", "evidence": [{"start": 15, "end": 18}]}],
         'Sources say it <mark class="sig sig-hedging" title="hedging">may</mark> rain'),
        ("<b>may</b>", [{"name": "hedging", "evidence": [{"start": 3, "end": 6}]}],
         '&lt;b&gt;<mark class="sig sig-hedging" title="hedging">may</mark>&lt;/b&gt;'),
        # overlapping spans: the shared piece carries both signals
        ("abcdef", [{"name": "hedging", "evidence": [{"start": 0, "end": 4}]},
                    {"name": "vague_attribution", "evidence": [{"start": 2, "end": 6}]}],
         ('<mark class="sig sig-hedging" title="hedging">ab</mark>'
          '<mark class="sig sig-hedging sig-vague_attribution" title="hedging, vague_attribution">cd</mark>'
          '<mark class="sig sig-vague_attribution" title="vague_attribution">ef</mark>')),
        # offsets outside the text (a stale item) are ignored rather than breaking the page
        ("short", [{"name": "hedging", "evidence": [{"start": 3, "end": 99}, {"start": "x", "end": 2}]}], "short"),
    ],
)
def test_highlight_escapes_every_piece_and_marks_spans(text, signals, expected):
    html = highlight(text, signals)
    assert isinstance(html, Markup)
    assert str(html) == expected


# --- login and roles -------------------------------------------------------------------------


def test_the_page_sends_strangers_to_the_login_form(filled):
    response = filled.test_client().get("/moderate?status=pending")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/moderate/login?next=")


@pytest.mark.parametrize(
    ("key", "status", "message"),
    [
        ("wrong-key", 401, "Unknown API key."),
        (REVIEW_KEYS["ed"][0], 401, "does not have the moderator role"),
    ],
)
def test_login_refuses_unknown_keys_and_weaker_roles(filled, key, status, message):
    client = filled.test_client()
    token = _token(client.get("/moderate/login").get_data(as_text=True))
    response = client.post("/moderate/login", data={"csrf_token": token, "api_key": key})
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert client.get("/moderate").status_code == 302


def test_login_keeps_the_name_in_the_session_never_the_key(filled):
    client = filled.test_client()
    response = _login(client)
    assert response.status_code == 302 and response.headers["Location"] == "/moderate"
    cookie = client.get_cookie("session")
    assert cookie is not None and REVIEW_KEYS["mia"][0] not in cookie.value
    page = client.get("/moderate")
    assert page.status_code == 200 and "signed in as <b>mia</b>" in page.get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/phish", "//evil.example/x", "/review/export"])
def test_login_never_redirects_off_the_page(filled, target):
    client = filled.test_client()
    token = _token(client.get("/moderate/login").get_data(as_text=True))
    response = client.post("/moderate/login", data={"csrf_token": token, "api_key": REVIEW_KEYS["mia"][0], "next": target})
    assert response.headers["Location"] == "/moderate"


def test_login_without_a_csrf_token_is_refused(filled, error_shape):
    response = filled.test_client().post("/moderate/login", data={"api_key": REVIEW_KEYS["mia"][0]})
    error_shape(response, 400, "csrf_failed")


def test_a_bearer_key_opens_the_page_too(filled, review_headers):
    assert filled.test_client().get("/moderate", headers=review_headers("mia")).status_code == 200
    assert filled.test_client().get("/moderate", headers=review_headers("ed")).status_code == 403


# --- what the page shows ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/moderate", "/moderate/items/2"])
def test_text_is_escaped_and_evidence_highlighted(filled, path):
    client = filled.test_client()
    _login(client)
    html = client.get(path).get_data(as_text=True)
    assert "<script>document.title" not in html
    assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in html
    assert "<img src=x" not in html
    assert '<mark class="sig sig-sensational" title="sensational">SHOCKING</mark>' in html
    assert "explanation of paragraph 3" in html


def test_item_page_shows_neighbours_and_history(filled):
    client = filled.test_client()
    _login(client)
    html = client.get("/moderate/items/1").get_data(as_text=True)
    assert SAMPLE_PARAGRAPHS[0][0] in html and SAMPLE_PARAGRAPHS[2][0] in html  # before and after ¶1
    assert "created by scorer" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("", ["item-1", "item-2"], []),
        ("?signal=vague_attribution", ["item-1"], ["item-2"]),
        ("?min_risk=0.95", [], ["item-1", "item-2"]),
        ("?status=confirmed", [], ["item-1", "item-2"]),
        ("?min_risk=lots", ["item-1", "item-2"], []),  # a bad filter is reported, the default list shown
    ],
)
def test_queue_filters(filled, query, shown, hidden):
    client = filled.test_client()
    _login(client)
    html = client.get(f"/moderate{query}").get_data(as_text=True)
    for anchor in shown:
        assert f'id="{anchor}"' in html
    for anchor in hidden:
        assert f'id="{anchor}"' not in html
    if "lots" in query:
        assert "min_risk" in html and 'role="alert"' in html


# --- verdicts through the forms ----------------------------------------------------------------


def test_verdict_forms_need_the_token_and_record_who(filled, error_shape):
    client = filled.test_client()
    _login(client)
    html = client.get("/moderate/items/1").get_data(as_text=True)
    error_shape(client.post("/moderate/items/1/verdict", data={"verdict": "confirm", "csrf_token": "forged"}), 400, "csrf_failed")
    assert _items(filled)[0].status == "pending"

    response = client.post(
        "/moderate/items/1/verdict",
        data={"verdict": "dismiss", "csrf_token": _token(html), "correct": "1", "signals": ["attributed"], "note": "sourced"},
    )
    assert response.status_code == 303 and response.headers["Location"] == "/moderate/items/2"  # on to the next
    first = _items(filled)[0]
    assert (first.status, first.decided_by, first.corrected_signals, first.note) == ("dismissed", "mia", ["attributed"], "sourced")

    response = client.post("/moderate/items/2/verdict", data={"verdict": "confirm", "csrf_token": _token(html),
                                                                "next": "/moderate?status=pending", "signals": ["hedging"]})
    assert response.headers["Location"] == "/moderate?status=pending"
    second = _items(filled)[1]
    assert (second.status, second.corrected_signals) == ("confirmed", None)  # boxes ignored unless "correct" is ticked
    store = filled.extensions["misinfo"]["review_store"]
    with store.read_session() as session:
        actors = session.scalars(select(AuditEvent.actor).where(AuditEvent.action == "verdict")).all()
    assert actors == ["mia", "mia"]


def test_logout_ends_the_session(filled):
    client = filled.test_client()
    _login(client)
    html = client.get("/moderate").get_data(as_text=True)
    assert client.post("/moderate/logout", data={"csrf_token": _token(html)}).status_code == 302
    assert client.get("/moderate").status_code == 302
