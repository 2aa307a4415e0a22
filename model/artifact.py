"""Saving and loading a fitted `Scorer` with its model card.

A joblib file is a pickle and unpickling runs code, so the loader reads the
card first, checks the artifact's sha256 against it and refuses a mismatch
before anything is unpickled; then it checks the scikit-learn version the
model was built with, because estimators pickled by another version may
load and silently compute something else.
"""
from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import joblib
import sklearn

from .errors import ArtifactError, ArtifactIntegrityError, ArtifactVersionError
from .scorer import Scorer

#: Bumped when the pickled object layout changes incompatibly.
FORMAT_VERSION = 1
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_MODEL_DIR = PACKAGE_DIR
ARTIFACT_NAME = "artifacts/model.joblib"
CARD_NAME = "card.json"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _locate(path: str | Path | None) -> tuple[Path, Path]:
    """(artifact, card) for a model directory, a card file or an artifact file."""
    p = Path(path) if path is not None else DEFAULT_MODEL_DIR
    if p.is_dir():
        card = p / CARD_NAME
        if not card.is_file():
            raise ArtifactError(f"no {CARD_NAME} in model directory {p}")
        artifact = p / json.loads(card.read_text("utf-8")).get("artifact", ARTIFACT_NAME)
        return artifact, card
    if p.suffix == ".json":
        return p.parent / json.loads(p.read_text("utf-8")).get("artifact", ARTIFACT_NAME), p
    for card in (p.with_suffix(".card.json"), p.parent / CARD_NAME, p.parent.parent / CARD_NAME):
        if card.is_file():
            return p, card
    raise ArtifactError(f"no model card found for {p} (looked for {p.with_suffix('.card.json').name} and {CARD_NAME})")


def read_card(path: str | Path | None = None) -> dict[str, Any]:
    _, card = _locate(path)
    return json.loads(card.read_text("utf-8"))


def load_scorer(path: str | Path | None = None) -> Scorer:
    """Load a model directory (default: the bundled one) after verifying integrity and versions."""
    try:
        artifact, card_path = _locate(path)
        card = json.loads(card_path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ArtifactError(f"cannot read model card: {exc}") from exc
    if not artifact.is_file():
        raise ArtifactError(f"model artifact {artifact} does not exist")
    expected = card.get("artifact_sha256")
    actual = sha256_of(artifact)
    if expected != actual:
        raise ArtifactIntegrityError(f"artifact {artifact.name} has sha256 {actual}, the card records {expected}; refusing to unpickle it")
    built_with = card.get("versions", {}).get("scikit-learn")
    if built_with != sklearn.__version__:
        raise ArtifactVersionError(
            f"artifact was built with scikit-learn {built_with}, this environment has {sklearn.__version__}; "
            "install the pinned version (pyproject.toml) or retrain with `python -m training train`"
        )
    if card.get("format_version") != FORMAT_VERSION:
        raise ArtifactVersionError(f"artifact format {card.get('format_version')} is not {FORMAT_VERSION}")
    try:
        scorer = joblib.load(artifact)
    except Exception as exc:  # noqa: BLE001 - a corrupt pickle can raise anything
        raise ArtifactError(f"cannot unpickle {artifact}: {exc!r}") from exc
    if not isinstance(scorer, Scorer):
        raise ArtifactError(f"{artifact} does not hold a Scorer")
    scorer.card = card
    return scorer


def save_scorer(scorer: Scorer, model_dir: str | Path, card: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write the artifact and its card (with sha256 and versions). Returns the card written."""
    model_dir = Path(model_dir)
    artifact = model_dir / ARTIFACT_NAME
    artifact.parent.mkdir(parents=True, exist_ok=True)
    scorer.card = {}
    joblib.dump(scorer, artifact, compress=3)
    full = dict(card or {})
    full.update(
        {
            "name": scorer.name,
            "version": scorer.version,
            "format_version": FORMAT_VERSION,
            "artifact": ARTIFACT_NAME,
            "artifact_sha256": sha256_of(artifact),
            "artifact_bytes": artifact.stat().st_size,
            "versions": {
                "python": platform.python_version(),
                "scikit-learn": sklearn.__version__,
                **(full.get("versions") or {}),
            },
        }
    )
    full["versions"]["scikit-learn"] = sklearn.__version__
    (model_dir / CARD_NAME).write_text(json.dumps(full, indent=2, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")
    scorer.card = full
    return full
