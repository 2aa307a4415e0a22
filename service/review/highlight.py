"""Evidence spans as safe HTML: every piece of paragraph text escaped, spans wrapped in <mark>.

Spans may overlap (``hedging`` inside ``vague_attribution``): the text is cut
at every span boundary and each piece is marked with all signals covering it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import pairwise
from typing import Any

from markupsafe import Markup, escape


def _spans(text: str, signals: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    spans = []
    for signal in signals:
        for ev in signal.get("evidence") or []:
            start, end = ev.get("start"), ev.get("end")
            if not isinstance(start, int) or not isinstance(end, int):
                continue
            if 0 <= start < end <= len(text):
                spans.append((start, end, str(signal.get("name", ""))))
    return spans


def highlight(text: str, signals: Iterable[Mapping[str, Any]]) -> Markup:
    """``text`` as HTML with its evidence spans in ``<mark class="sig sig-NAME">``."""
    spans = _spans(text, signals)
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    pieces = []
    for start, end in pairwise(cuts):
        piece = escape(text[start:end])
        names = sorted({name for s, e, name in spans if s <= start and end <= e})
        if names:
            classes = " ".join(f"sig-{n}" for n in names)
            pieces.append(Markup('<mark class="sig {}" title="{}">{}</mark>').format(classes, ", ".join(names), piece))
        else:
            pieces.append(piece)
    return Markup("").join(pieces)
