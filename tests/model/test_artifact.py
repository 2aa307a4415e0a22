"""Artifacts: a saved model loads back identical, and a bad one is refused before it is unpickled."""
from __future__ import annotations

import copy
import hashlib
import json
import pickle
from pathlib import Path

import pytest
import sklearn

from model import (
    Article,
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactVersionError,
    Scorer,
    load_scorer,
    read_card,
    save_scorer,
)
from model.estimators import LinearRisk

ARTICLES = [
    Article(title="Heboh! Harga beras naik lagi?", text="Beberapa laporan menyebut harga mungkin naik.\nHarga naik 5 persen, kata Budi Santoso.\nBaca juga: berita lain", language="auto"),
    Article(title="Rice prices rise", html="<p>Some reports say prices might rise.</p><p>“Prices rose 5 percent,” said Jane Doe.</p>", language="en"),
    Article(paragraphs=["Rezim itu pasti berbohong!!!", "Jakarta, 12 Januari 2024"], language="id"),
]


class Booby:
    """Unpickling this creates a marker file: proof of whether the loader unpickled at all."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


@pytest.fixture(scope="module")
def saved(scorer: Scorer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test scorer saved once; tests copy it before damaging anything."""
    directory = tmp_path_factory.mktemp("model")
    save_scorer(copy.copy(scorer), directory, {"trained_at": "2024-01-01T00:00:00+00:00", "metrics": {"note": "test"}})
    return directory


@pytest.fixture
def model_dir(saved: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model"
    (target / "artifacts").mkdir(parents=True)
    for name in ("card.json", "artifacts/model.joblib"):
        (target / name).write_bytes((saved / name).read_bytes())
    return target


def edit_card(model_dir: Path, **changes) -> None:
    card_path = model_dir / "card.json"
    card = json.loads(card_path.read_text("utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(card.get(key), dict):
            card[key].update(value)
        else:
            card[key] = value
    card_path.write_text(json.dumps(card), "utf-8")


def test_round_trip_scores_identically(scorer: Scorer, saved: Path) -> None:
    loaded = load_scorer(saved)
    assert (loaded.name, loaded.version) == (scorer.name, scorer.version)
    for article in ARTICLES:
        assert loaded.score(article).to_dict() == scorer.score(article).to_dict()


def test_card_records_digest_versions_and_extras(saved: Path) -> None:
    card = read_card(saved)
    artifact = saved / card["artifact"]
    assert card["artifact_sha256"] == hashlib.sha256(artifact.read_bytes()).hexdigest()
    assert card["artifact_bytes"] == artifact.stat().st_size
    assert card["versions"]["scikit-learn"] == sklearn.__version__
    assert card["trained_at"] == "2024-01-01T00:00:00+00:00" and card["metrics"] == {"note": "test"}
    assert load_scorer(saved).card == card


@pytest.mark.parametrize("how", ["directory", "card", "artifact"])
def test_load_by_directory_card_or_artifact(model_dir: Path, how: str) -> None:
    path = {"directory": model_dir, "card": model_dir / "card.json", "artifact": model_dir / "artifacts" / "model.joblib"}[how]
    assert load_scorer(path).score(ARTICLES[0]).paragraphs


def test_save_does_not_change_the_scorer_it_saves(scorer: Scorer, tmp_path: Path) -> None:
    before = scorer.score(ARTICLES[1]).to_dict()
    save_scorer(copy.copy(scorer), tmp_path)
    assert scorer.score(ARTICLES[1]).to_dict() == before


@pytest.mark.parametrize("offset", [0, 100, -1])
def test_one_changed_byte_is_refused(model_dir: Path, offset: int) -> None:
    artifact = model_dir / "artifacts" / "model.joblib"
    data = bytearray(artifact.read_bytes())
    data[offset] ^= 0x01
    artifact.write_bytes(bytes(data))
    with pytest.raises(ArtifactIntegrityError, match="sha256"):
        load_scorer(model_dir)


def test_tampered_artifact_is_never_unpickled(model_dir: Path, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    artifact = model_dir / "artifacts" / "model.joblib"
    artifact.write_bytes(pickle.dumps(Booby(marker)))
    with pytest.raises(ArtifactIntegrityError):
        load_scorer(model_dir)
    assert not marker.exists(), "the loader unpickled a file whose digest did not match"
    # Control: with a matching digest the same file *is* unpickled, so the check above is meaningful.
    edit_card(model_dir, artifact_sha256=hashlib.sha256(artifact.read_bytes()).hexdigest())
    with pytest.raises(ArtifactError, match="does not hold a Scorer"):
        load_scorer(model_dir)
    assert marker.exists()


def test_other_scikit_learn_version_is_refused(model_dir: Path) -> None:
    edit_card(model_dir, versions={"scikit-learn": "0.24.2"})
    with pytest.raises(ArtifactVersionError) as info:
        load_scorer(model_dir)
    message = str(info.value)
    assert "0.24.2" in message and sklearn.__version__ in message


def test_other_format_version_is_refused(model_dir: Path) -> None:
    edit_card(model_dir, format_version=999)
    with pytest.raises(ArtifactVersionError, match="999"):
        load_scorer(model_dir)


@pytest.mark.parametrize(
    "damage",
    ["no-card", "no-artifact", "card-not-json", "empty-dir", "missing-dir"],
)
def test_missing_or_broken_pieces_are_artifact_errors(model_dir: Path, tmp_path: Path, damage: str) -> None:
    target = model_dir
    if damage == "no-card":
        (model_dir / "card.json").unlink()
    elif damage == "no-artifact":
        (model_dir / "artifacts" / "model.joblib").unlink()
    elif damage == "card-not-json":
        (model_dir / "card.json").write_text("{not json", "utf-8")
    elif damage == "empty-dir":
        target = tmp_path / "empty"
        target.mkdir()
    else:
        target = tmp_path / "does-not-exist"
    with pytest.raises(ArtifactError):
        load_scorer(target)


def test_smoke_test_passes_on_a_good_model(model_dir: Path) -> None:
    load_scorer(model_dir).smoke_test()


def test_smoke_test_refuses_a_broken_model(scorer: Scorer) -> None:
    broken = copy.copy(scorer)
    broken.risk = LinearRisk()  # never fitted
    with pytest.raises(ArtifactError, match="smoke test"):
        broken.smoke_test()
