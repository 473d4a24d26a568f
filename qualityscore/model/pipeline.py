"""The scikit-learn model: text features and signal features in separate branches.

Dense signal features and sparse word features do not share one linear model (scaled
dense columns swamp thousands of small sparse weights). Instead:

* ``text``: TF-IDF over words and word pairs -> logistic regression, fitted on real pages
  only (not the simulated spam; see ``vote.py``);
* ``signals``: the signal vector -> gradient-boosted trees, which take NaN (missing link
  evidence on plain text) natively instead of pretending it is zero;
* ``vote.EvidenceVote`` combines them: a linear vote, except that near-certain signal
  evidence decides on its own.

How the combination was chosen (README, "Model"): a fixed-weight linear soft vote with
the word branch trained on every row (the first shipped model) let the words learn the
simulator's substitution vocabulary; a stacker fitted on all rows trusted the
near-perfect-on-simulation signal branch and lost Sondhi accuracy. ``text_weight`` and
``signal_power`` were chosen on a small grid by Sondhi stratified and site-grouped CV and
the labeled pages held out (evaluation/vote_grid.py).

The input is a 2-D object array: column 0 the extracted text, columns 1.. the signals in
``signals.feature_names()`` order (see ``design_matrix``). Only scikit-learn classes, the
vote and column indices appear in it, so skops loads it with an explicit allow-list.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# The vote (see vote.py): the word branch's share of the linear part, and how certain the
# signal branch must be to decide alone.
TEXT_WEIGHT = 0.9
SIGNAL_POWER = 16.0


def design_matrix(texts: Sequence[str], features: np.ndarray) -> np.ndarray:
    """The model's input: text in column 0, the float signal vector after it."""
    X = np.empty((len(texts), 1 + features.shape[1]), dtype=object)
    X[:, 0] = list(texts)
    X[:, 1:] = features
    return X


def build_pipeline(n_signals: int, *, text_branch: bool = True, signal_branch: bool = True,
                   text_weight: float = TEXT_WEIGHT, signal_power: float = SIGNAL_POWER,
                   seed: int = 0):  # type: ignore[no-untyped-def]
    """An unfitted classifier over ``design_matrix`` rows. Either branch can be ablated.

    The two-branch model's ``fit`` takes ``text_rows``, the rows the word branch learns
    from (``train.text_rows``); a single branch is a plain Pipeline.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    signal_cols = list(range(1, 1 + n_signals))
    estimators = []
    if text_branch:
        estimators.append(
            (
                "text",
                Pipeline(
                    [
                        (
                            "select",
                            ColumnTransformer(
                                [
                                    (
                                        "tfidf",
                                        TfidfVectorizer(
                                            lowercase=True,
                                            ngram_range=(1, 2),
                                            min_df=3,
                                            max_df=0.5,
                                            max_features=40_000,
                                            sublinear_tf=True,
                                            dtype=np.float32,
                                        ),
                                        0,
                                    )
                                ]
                            ),
                        ),
                        (
                            "clf",
                            LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000),
                        ),
                    ]
                ),
            )
        )
    if signal_branch:
        estimators.append(
            (
                "signals",
                Pipeline(
                    [
                        ("select", ColumnTransformer([("signals", "passthrough", signal_cols)])),
                        (
                            "clf",
                            HistGradientBoostingClassifier(
                                learning_rate=0.06,
                                max_iter=300,
                                max_leaf_nodes=15,
                                min_samples_leaf=10,
                                l2_regularization=1.0,
                                class_weight="balanced",
                                random_state=seed,
                            ),
                        ),
                    ]
                ),
            )
        )
    if len(estimators) == 1:
        return estimators[0][1]
    from .vote import EvidenceVote

    branches = dict(estimators)
    return EvidenceVote(branches["text"], branches["signals"], text_weight=text_weight,
                        signal_power=signal_power)
