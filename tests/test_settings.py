"""Settings refuse a value of the wrong kind or out of range when they are made, by name."""

from __future__ import annotations

import numpy as np
import pytest

from qualityscore.settings import DEFAULT_SETTINGS, Settings


@pytest.mark.parametrize(("options", "error", "named"), [
    ({"max_text_chars": -1}, ValueError, "max_text_chars"),  # every page would be too large
    ({"max_input_bytes": 0}, ValueError, "max_input_bytes"),
    ({"total_timeout": 0.0}, ValueError, "total_timeout"),
    ({"min_words_to_pass": -5}, ValueError, "min_words_to_pass"),
    ({"english_function_share": 1.5}, ValueError, "english_function_share"),
    ({"review_below": "60"}, TypeError, "review_below"),
    ({"review_below": float("nan")}, ValueError, "review_below"),
    ({"reject_below": float("inf")}, ValueError, "reject_below"),
    ({"language_check": "no"}, TypeError, "language_check"),  # a non-empty string is truthy
    ({"max_findings": 2.5}, TypeError, "max_findings"),
    ({"max_redirects": True}, TypeError, "max_redirects"),
    ({"user_agent": 7}, TypeError, "user_agent"),  # (with_options reads None as "not given")
])
def test_a_bad_setting_is_refused_by_name(options: dict, error: type[Exception], named: str) -> None:
    with pytest.raises(error, match=f"setting {named} "):
        Settings(**options)
    with pytest.raises(error, match=f"setting {named} "):
        DEFAULT_SETTINGS.with_options(**options)


def test_sound_settings_pass_as_they_did() -> None:
    """The defaults, thresholds past 100 (review everything), NumPy numbers, 0 for the
    rules 0 turns off."""
    assert Settings() == DEFAULT_SETTINGS
    Settings(review_below=101.0, reject_below=100)
    Settings(review_below=np.float64(60.5), max_text_chars=np.int64(2_000))
    Settings(min_words_to_pass=0, max_redirects=0, language_check=False)


def test_the_scorer_passes_the_refusal_on() -> None:
    from qualityscore import Scorer

    with pytest.raises(TypeError, match="setting review_below must be float or None"):
        Scorer.load(review_below="x")
