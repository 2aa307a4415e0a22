"""Readers for every source of labels, each turned into `TrainingParagraph`/`TrainingHeadline`.

Public corpora are read from ../shared/data where present (never copied into
the project); a missing corpus raises `SourceMissing`, which the CLI reports
and skips. Each reader documents how its labels map onto our signals.
"""
from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from model import PARAGRAPH_SIGNALS, TrainingHeadline, TrainingParagraph
from model.cues import matcher_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"
TEAM_CORPUS_DIR = Path(__file__).resolve().parent / "data"
ALL_SIGNALS = (*PARAGRAPH_SIGNALS, "clickbait")

#: Relative weights of the sources in the paragraph estimators. The team corpus
#: is labelled for exactly our signals, so it counts most; the public sentence
#: corpora are large and only partly aligned with our definitions.
WEIGHT_TEAM = 1.0
WEIGHT_FEEDBACK = 2.0  # a moderator's verdict on real traffic beats anything written for training
WEIGHT_WEASEL = 0.35
WEIGHT_PROPAGANDA = 0.35
#: SemEval-2020 techniques that are our `sensational` (signals.md: loaded wording,
#: exaggeration, fear appeals, name-calling).
SENSATIONAL_TECHNIQUES = frozenset({"Loaded_Language", "Exaggeration,Minimisation", "Appeal_to_fear-prejudice", "Name_Calling,Labeling"})
_PTB = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}", "``": "“", "''": "”"}


class SourceMissing(FileNotFoundError):
    """A corpus is not present on this machine (e.g. ../shared is absent)."""


@dataclass
class LabelledRecord:
    """A paragraph of the team's labelled format (also the moderator export and the seed labels)."""

    doc: str
    line: int
    language: str
    text: str
    kind: str | None
    signals: list[str]
    evidence: dict[str, list[str]]
    risky: int | None
    headline: bool = False
    source: str = "team"

    def to_training(self, previous: str | None, position: float, weight: float) -> TrainingParagraph:
        labels = {s: int(s in self.signals) for s in PARAGRAPH_SIGNALS}
        return TrainingParagraph(
            text=self.text,
            language=self.language,
            signals=labels,
            kind=self.kind,
            risky=self.risky,
            previous=previous,
            position=position,
            is_title=self.headline,
            weight=weight,
        )


def _require(path: Path) -> Path:
    if not path.exists():
        raise SourceMissing(f"{path} is not present (public corpora live in ../shared/data beside the project)")
    return path


def read_labelled_jsonl(path: Path, default_language: str | None = None, source: str = "team") -> list[LabelledRecord]:
    """Read the labelled paragraph format; `lang` may be missing (seed labels: detected)."""
    records = []
    with open(_require(path), encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if not line.strip():
                continue
            raw = json.loads(line)
            language = raw.get("lang") or default_language or "id"
            records.append(
                LabelledRecord(
                    doc=str(raw.get("doc", f"{path.stem}-{n}")),
                    line=int(raw.get("line", n)),
                    language=language,
                    text=raw["text"],
                    kind=raw.get("kind"),
                    signals=sorted(raw.get("signals", [])),
                    evidence=raw.get("evidence", {}),
                    risky=raw.get("risky"),
                    headline=bool(raw.get("headline", False)),
                    source=raw.get("source", source),
                )
            )
    return records


def read_labelled_csv(path: Path) -> list[LabelledRecord]:
    """CSV with columns text, lang, kind, risky and one 0/1 column per signal."""
    records = []
    with open(_require(path), encoding="utf-8", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh)):
            signals = sorted(s for s in ALL_SIGNALS if (row.get(s) or "").strip() in ("1", "true", "True"))  # sorted, as the JSONL reader
            records.append(
                LabelledRecord(
                    doc=row.get("doc") or f"{path.stem}-{n}",
                    line=int(row.get("line") or 0),
                    language=row.get("lang") or "id",
                    text=row["text"],
                    kind=row.get("kind") or None,
                    signals=signals,
                    evidence={},
                    risky=int(row["risky"]) if (row.get("risky") or "").strip() else None,
                    headline=row.get("headline", "") in ("1", "true", "True"),
                )
            )
    return records


def read_labelled(path: Path) -> list[LabelledRecord]:
    return read_labelled_csv(path) if path.suffix.lower() == ".csv" else read_labelled_jsonl(path)


def team_corpus(directory: Path = TEAM_CORPUS_DIR) -> list[LabelledRecord]:
    records: list[LabelledRecord] = []
    for path in sorted(directory.glob("*.jsonl")):
        records.extend(read_labelled_jsonl(path))
    return records


def by_document(records: Iterable[LabelledRecord]) -> dict[str, list[LabelledRecord]]:
    docs: dict[str, list[LabelledRecord]] = defaultdict(list)
    for r in records:
        docs[r.doc].append(r)
    for lines in docs.values():
        lines.sort(key=lambda r: r.line)
    return dict(docs)


def to_training_paragraphs(records: Iterable[LabelledRecord], weight: float = WEIGHT_TEAM) -> list[TrainingParagraph]:
    """Paragraphs with their document context (previous paragraph, relative position)."""
    out = []
    for lines in by_document(records).values():
        n = len(lines)
        for i, r in enumerate(lines):
            if r.headline:
                continue  # headlines train the clickbait model, not the paragraph estimators
            previous = lines[i - 1].text if i > 0 and not lines[i - 1].headline else None
            out.append(r.to_training(previous, i / max(n - 1, 1), weight))
    return out


def team_headlines(records: Iterable[LabelledRecord]) -> list[TrainingHeadline]:
    return [TrainingHeadline(r.text, r.language, int("clickbait" in r.signals)) for r in records if r.headline]


def split_documents(records: list[LabelledRecord], test_share: float, seed: int) -> tuple[list[LabelledRecord], list[LabelledRecord]]:
    """Split by document (never by paragraph: neighbours leak context), stratified by language."""
    docs = by_document(records)
    test_docs: set[str] = set()
    for language in sorted({r.language for r in records}):
        names = sorted(d for d, lines in docs.items() if lines[0].language == language)
        random.Random(seed).shuffle(names)
        test_docs.update(names[: round(len(names) * test_share)])
    train = [r for r in records if r.doc not in test_docs]
    test = [r for r in records if r.doc in test_docs]
    return train, test


# ---------------------------------------------------------------- public corpora
def clickbait_id(shared: Path = SHARED) -> list[TrainingHeadline]:
    """CLICK-ID headlines; label = annotator majority; weight grows with annotator agreement."""
    out = []
    with open(_require(shared / "data" / "clickbait_id" / "train.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            label = int(row["label"].strip() == "clickbait")
            votes = int(row.get("n_clickbait_votes") or (3 if label else 0))
            agreement = votes if label else 3 - votes  # 2 or 3 of 3 annotators
            out.append(TrainingHeadline(row["title"].strip(), "id", label, weight=1.0 if agreement == 3 else 0.6))
    return out


def _detokenise(sentence: str) -> str:
    for token, char in _PTB.items():
        sentence = sentence.replace(token, char)
    sentence = re.sub(r"\s+([.,;:!?%)\]}])", r"\1", sentence)
    sentence = re.sub(r"([(\[{“])\s+", r"\1", sentence)
    return " ".join(sentence.split())


@dataclass
class WeaselSentence:
    text: str
    uncertain: int


def weasel_en(shared: Path = SHARED) -> list[WeaselSentence]:
    out = []
    with open(_require(shared / "data" / "weasel_en" / "train.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = _detokenise(row["text"])
            if text:
                out.append(WeaselSentence(text, int(row["label"])))
    return out


def weasel_training(sentences: Iterable[WeaselSentence]) -> list[TrainingParagraph]:
    """CoNLL-2010 uncertainty → our signals: uncertain sentences are hedging, or vague
    attribution when the only cues are weasel sources ('some critics say'); certain
    sentences are neither. Other signals stay unknown."""
    matcher = matcher_for("en")
    out = []
    for s in sentences:
        labels = {"hedging": 0, "vague_attribution": 0}
        if s.uncertain:
            found = {m.cue.signal for m in matcher.analyse(s.text).matches}
            if "vague_attribution" in found and "hedging" not in found:
                labels = {"hedging": 0, "vague_attribution": 1}
            else:
                labels = {"hedging": 1, "vague_attribution": int("vague_attribution" in found)}
        out.append(TrainingParagraph(s.text, "en", labels, weight=WEIGHT_WEASEL))
    return out


def propaganda_en(shared: Path = SHARED, seed: int = 0, negatives_per_positive: float = 1.0) -> list[TrainingParagraph]:
    """SemEval-2020 Task 11 articles cut into lines; a line is sensational when it overlaps a
    span of a technique in SENSATIONAL_TECHNIQUES. Unannotated lines are sampled as negatives
    (the annotation is sparse, so only as many as there are positives)."""
    root = _require(shared / "data" / "propaganda_en")
    positives, negatives = [], []
    for article in sorted((root / "articles").glob("article*.txt")):
        text = article.read_text("utf-8")
        label_file = root / "labels" / f"{article.stem}.task2-TC.labels"
        spans = []
        if label_file.exists():
            for line in label_file.read_text("utf-8").splitlines():
                parts = line.split("\t")
                if len(parts) == 4 and parts[1] in SENSATIONAL_TECHNIQUES:
                    spans.append((int(parts[2]), int(parts[3])))
        offset = 0
        for line in text.split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            if len(line.split()) < 6:
                continue
            hit = any(s < end and e > start for s, e in spans)
            (positives if hit else negatives).append(TrainingParagraph(line.strip(), "en", {"sensational": int(hit)}, weight=WEIGHT_PROPAGANDA))
    random.Random(seed).shuffle(negatives)
    return positives + negatives[: int(len(positives) * negatives_per_positive)]


def seed_labels(shared: Path = SHARED) -> list[LabelledRecord]:
    """The hand-labelled seeds: a development check only, never training data."""
    return read_labelled_jsonl(shared / "dev" / "seed_labels.jsonl", default_language="id", source="seed")


def feedback(source: str) -> list[LabelledRecord]:
    """Moderator verdicts from an export JSONL file or a database URL (the service's storage)."""
    if "://" not in source:
        return read_labelled_jsonl(Path(source), source="moderator")
    from sqlalchemy import create_engine, text  # imported here: only feedback from a DB needs it

    engine = create_engine(source)
    records = []
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM queue_items WHERE status IN ('confirmed', 'dismissed')")).mappings()
        for row in rows:
            records.append(_record_from_queue_row(dict(row)))
    return records


def _record_from_queue_row(row: dict) -> LabelledRecord:
    def _json(value):
        return json.loads(value) if isinstance(value, str) else (value or [])

    corrected = _json(row.get("corrected_signals"))
    predicted = [s["name"] if isinstance(s, dict) else s for s in _json(row.get("signals"))]
    confirmed = row["status"] == "confirmed"
    signals = corrected if corrected else (predicted if confirmed else [s for s in predicted if s == "attributed"])
    return LabelledRecord(
        doc=str(row.get("article_id")),
        line=int(row.get("paragraph_index") or 0),
        language=row.get("language") or "id",
        text=row["text"],
        kind=row.get("kind"),
        signals=sorted(signals),
        evidence={},
        risky=int(confirmed),
        source="moderator",
    )


def merge_feedback(records: list[LabelledRecord], verdicts: list[LabelledRecord]) -> tuple[list[LabelledRecord], int]:
    """A verdict overrides any other label for the same paragraph text; new paragraphs are added."""
    by_text = {_text_key(v.text): v for v in verdicts}
    merged = [by_text.pop(_text_key(r.text), r) for r in records]
    return merged + list(by_text.values()), len(verdicts)


def _text_key(text: str) -> str:
    return hashlib.sha1(" ".join(text.lower().split()).encode("utf-8")).hexdigest()


def digest_of(paths: Iterable[Path]) -> dict[str, str]:
    """sha256 of each data file, for the model card."""
    out = {}
    for path in paths:
        if path.is_file():
            out["/".join(path.parts[-3:])] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def iter_team_files(directory: Path = TEAM_CORPUS_DIR) -> Iterator[Path]:
    yield from sorted(directory.glob("*.jsonl"))
