"""evaluation/cv_noise.py --without: which design-matrix columns a variant leaves out."""

from __future__ import annotations

import numpy as np
import pytest
from qs_testkit import evaluation_script

from qualityscore.signals import feature_names


@pytest.fixture(scope="module")
def cv_noise():  # type: ignore[no-untyped-def]
    return evaluation_script("cv_noise")


def test_a_family_drops_exactly_its_columns(cv_noise) -> None:  # type: ignore[no-untyped-def]
    names = feature_names()
    cols = cv_noise.dropped_columns("readability", names)
    # X[:, 0] is the text; X[:, j] for j >= 1 is names[j - 1].
    assert [names[c - 1] for c in cols] == [n for n in names if n.startswith("readability.")]
    X = np.arange(2 * (len(names) + 1)).reshape(2, -1)
    kept = np.delete(X, cols, axis=1)
    assert kept.shape[1] == 1 + sum(not n.startswith("readability.") for n in names)
    assert kept[0, 0] == 0  # the text column is never dropped


def test_features_and_families_combine_without_duplicates(cv_noise) -> None:  # type: ignore[no-untyped-def]
    names = feature_names()
    cols = cv_noise.dropped_columns("spin.tagger_mean, spin, readability.words_log", names)
    assert [names[c - 1] for c in cols] == [
        n for n in names if n.startswith("spin.") or n == "readability.words_log"
    ]


@pytest.mark.parametrize("spec", ["readabilty", "spin.no_such_feature", "spin,", ""])
def test_a_typo_is_an_error_not_an_empty_variant(cv_noise, spec: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        cv_noise.dropped_columns(spec, feature_names())
