"""Misinformation-risk scoring core: text → paragraphs → cues/features → scores → explanations.

A pure package (no Flask, no database). Callers need only:

    from model import Article, load_scorer
    result = load_scorer().score(Article(title=..., text=...))
"""
from .artifact import load_scorer, read_card, save_scorer
from .errors import (
    AmbiguousInputError,
    ArtifactError,
    ArtifactIntegrityError,
    ArtifactVersionError,
    EmptyArticleError,
    InputError,
    InputTooLargeError,
    ModelError,
)
from .scorer import Scorer, TrainingHeadline, TrainingParagraph, fit_scorer
from .types import ARTICLE_SIGNALS, HEADLINE_SIGNAL, KINDS, PARAGRAPH_SIGNALS, Article, ArticleResult

__all__ = [
    "ARTICLE_SIGNALS", "HEADLINE_SIGNAL", "KINDS", "PARAGRAPH_SIGNALS",
    "AmbiguousInputError", "Article", "ArticleResult", "ArtifactError", "ArtifactIntegrityError",
    "ArtifactVersionError", "EmptyArticleError", "InputError", "InputTooLargeError", "ModelError",
    "Scorer", "TrainingHeadline", "TrainingParagraph", "fit_scorer", "load_scorer", "read_card", "save_scorer",
]
