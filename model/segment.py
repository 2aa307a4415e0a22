"""Turn submitted text, HTML or a list into paragraphs (`Segment`s).

Plain text keeps offsets into the original string so that a CMS can highlight
the exact characters; HTML goes through a real parser (selectolax/lexbor) so
that entities, broken markup and scripts are handled the way browsers do.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser

from .errors import AmbiguousInputError, InputTooLargeError
from .types import Segment

#: Upper bounds of the core itself; the HTTP layer enforces tighter ones.
MAX_INPUT_CHARS = 5_000_000
MAX_PARAGRAPHS = 20_000

#: Block elements that make one paragraph each (signals.md "Granularity").
PARAGRAPH_TAGS = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "figcaption", "dt", "dd", "pre")
#: Elements whose text is never article text.
DROPPED_TAGS = ("script", "style", "noscript", "template", "iframe", "svg", "canvas", "head", "title", "form", "button", "select", "textarea", "object", "embed")
#: Inline elements whose text belongs to the loose text around them.
INLINE_TAGS = frozenset(("-text", "a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "font", "i", "kbd", "mark", "q", "s", "small", "span", "strong", "sub", "sup", "time", "u"))

_LINE = re.compile(r"[^\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]+")
#: Invisible characters that must not make a paragraph look non-empty.
_INVISIBLE_CLASS = r"\s\u200b-\u200f\u2060-\u2064\ufeff\u00ad"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CLASS}]+")
#: From the first to the last visible character of a line.
_VISIBLE_SPAN = re.compile(f"[^{_INVISIBLE_CLASS}](?:.*[^{_INVISIBLE_CLASS}])?", re.S)


def is_blank(text: str) -> bool:
    return not _INVISIBLE.sub("", text)


def _check_size(n_chars: int) -> None:
    if n_chars > MAX_INPUT_CHARS:
        raise InputTooLargeError(f"input has {n_chars} characters; the core accepts at most {MAX_INPUT_CHARS}")


def _check_count(n: int) -> None:
    if n > MAX_PARAGRAPHS:
        raise InputTooLargeError(f"input has {n} paragraphs; the core accepts at most {MAX_PARAGRAPHS}")


def segment_text(text: str) -> list[Segment]:
    """Paragraphs are lines; blank lines are skipped; offsets point into `text`.

    Leading and trailing white space of a line is trimmed and the offsets
    follow the trimmed text, so `text[start:end] == segment.text`.
    """
    _check_size(len(text))
    segments: list[Segment] = []
    for match in _LINE.finditer(text):
        visible = _VISIBLE_SPAN.search(match.group())
        if visible is None:
            continue
        start, end = match.start() + visible.start(), match.start() + visible.end()
        segments.append(Segment(text=text[start:end], start=start, end=end))
    _check_count(len(segments))
    return segments


def segment_list(paragraphs: Iterable[str]) -> list[Segment]:
    """A ready list: one segment per non-blank item, white space trimmed, no offsets."""
    items = list(paragraphs)
    _check_size(sum(len(p) for p in items))
    _check_count(len(items))
    return [Segment(text=p.strip()) for p in items if isinstance(p, str) and not is_blank(p)]


def _squash(text: str) -> str:
    return " ".join(text.split())


def segment_html(html: str) -> list[Segment]:
    """Paragraph-level blocks of an HTML fragment or page, in document order.

    Text directly inside containers (a `<div>` with bare text) becomes its own
    paragraph too, because many CMSs emit bodies without `<p>`. The walk uses
    an explicit stack: hostile, deeply nested markup cannot exhaust recursion.
    """
    _check_size(len(html))
    tree = LexborHTMLParser(html)
    # Removed up front, not only skipped by the walk: a paragraph's text() would include them.
    tree.strip_tags(list(DROPPED_TAGS))
    root = tree.body if tree.body is not None else tree.root
    if root is None:
        return []
    containers = _paragraphs_with_nested_paragraphs(root)
    segments: list[Segment] = []
    loose: list[str] = []
    loose_tag: list[str] = [root.tag or "body"]

    def flush() -> None:
        text = _squash(" ".join(loose))
        loose.clear()
        if text and not is_blank(text):
            segments.append(Segment(text=text, tag=loose_tag[-1]))

    stack = [(root.tag or "body", root.iter(include_text=True))]
    while stack:
        container, children = stack[-1]
        child = next(children, None)
        if child is None:
            flush()
            stack.pop()
            continue
        tag = child.tag
        if tag in DROPPED_TAGS or tag == "-comment":
            continue
        if tag in INLINE_TAGS:
            loose_tag[-1] = container
            loose.append(child.text(separator=" "))
        elif tag in PARAGRAPH_TAGS and child.mem_id not in containers:
            flush()
            text = _squash(child.text(separator=" "))
            if text and not is_blank(text):
                segments.append(Segment(text=text, tag=tag))
        else:
            flush()
            stack.append((tag, child.iter(include_text=True)))
        _check_count(len(segments))
    return segments


def _paragraphs_with_nested_paragraphs(root) -> set[int]:
    """mem_ids of paragraph tags that contain another paragraph tag (those are walked into, not emitted).

    One upward walk per paragraph that stops at the first ancestor already seen:
    linear in the tree, where asking each node for its nested paragraphs would be
    quadratic in the nesting depth (a denial of service with hostile HTML).
    """
    seen: set[int] = set()
    containers: set[int] = set()
    for node in root.css(",".join(PARAGRAPH_TAGS)):
        parent = node.parent
        while parent is not None and parent.mem_id not in seen:
            seen.add(parent.mem_id)
            if parent.tag in PARAGRAPH_TAGS:
                containers.add(parent.mem_id)
            parent = parent.parent
    # Stopping at a seen ancestor is safe: the walk that saw it also saw (and recorded) everything above it.
    return containers


def segment(text: str | None = None, html: str | None = None, paragraphs: list[str] | None = None) -> list[Segment]:
    """Dispatch on the one input the caller gave."""
    given = [name for name, value in (("text", text), ("html", html), ("paragraphs", paragraphs)) if value is not None]
    if len(given) > 1:
        raise AmbiguousInputError(f"give at most one of text, html, paragraphs (got {', '.join(given)})")
    if text is not None:
        return segment_text(text)
    if html is not None:
        return segment_html(html)
    if paragraphs is not None:
        return segment_list(paragraphs)
    return []
