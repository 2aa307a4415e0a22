"""``POST /score`` and ``POST /score/batch``: the contract CMS plugins are written against."""
from .views import bp

__all__ = ["bp"]
