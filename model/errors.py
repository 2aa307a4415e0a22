"""Exceptions the scoring core raises on purpose. Anything else is a bug."""
from __future__ import annotations


class ModelError(Exception):
    """Base class of every error the scoring core raises deliberately."""


class InputError(ModelError, ValueError):
    """The article cannot be scored as submitted (the caller's fault)."""


class EmptyArticleError(InputError):
    """Nothing to score: no title and no non-blank paragraph."""


class AmbiguousInputError(InputError):
    """More than one of text / html / paragraphs was given."""


class InputTooLargeError(InputError):
    """The article exceeds a size limit of the core (characters or paragraphs)."""


class ArtifactError(ModelError):
    """A model artifact is missing, corrupt, tampered with or incompatible."""


class ArtifactIntegrityError(ArtifactError):
    """The artifact's sha256 does not match the recorded digest."""


class ArtifactVersionError(ArtifactError):
    """The artifact was built with another scikit-learn (or format) version."""
