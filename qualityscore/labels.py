"""Label values that users give for their pages (batch --label-field, train --labeled).

The positive class is low quality, as in ``probability_low_quality``. Values are compared
lower-cased and stripped; anything else is not a label, and is never guessed.
"""

from __future__ import annotations

from typing import Any

LOW_LABELS = frozenset({"low", "spam", "unreliable", "bad", "low_quality", "low-quality", "1", "true", "yes"})
HIGH_LABELS = frozenset({"high", "ham", "reliable", "good", "high_quality", "high-quality", "0", "false", "no"})


def label_class(value: Any) -> str | None:
    """"low", "high", or None (missing or not a label we know) for a label cell."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if text in LOW_LABELS:
        return "low"
    if text in HIGH_LABELS:
        return "high"
    return None


__all__ = ["HIGH_LABELS", "LOW_LABELS", "label_class"]
