"""qualityscore: score health web pages for quality and catch spun spam.

    >>> from qualityscore import score
    >>> result = score("Symptoms of despair include temper swings ...")
    >>> result.score, result.decision, [f.rule for f in result.findings]

The public API is what ``__all__`` lists. Heavy modules (scikit-learn, trafilatura) are
imported on first use, so ``import qualityscore`` and ``qualityscore --help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "ErrorInfo",
    "Finding",
    "Page",
    "QualityScoreError",
    "Result",
    "Scorer",
    "Settings",
    "__version__",
    "score",
]

if TYPE_CHECKING:  # pragma: no cover
    from .errors import QualityScoreError
    from .page import ErrorInfo, Finding, Page, Result
    from .scorer import Scorer, score
    from .settings import Settings

_LAZY = {
    "ErrorInfo": "page",
    "Finding": "page",
    "Page": "page",
    "Result": "page",
    "QualityScoreError": "errors",
    "Scorer": "scorer",
    "score": "scorer",
    "Settings": "settings",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qualityscore' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)
