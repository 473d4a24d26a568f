"""Signals a result reports but the model does not read (``signals.UNSCORED``)."""

from __future__ import annotations

from qualityscore.signals import UNSCORED, all_feature_names, feature_names

PAGE = (
    "High blood pressure often has no symptoms. Checking it once a year and cutting back "
    "on salt can lower it. Talk to your doctor before you change a medicine."
)


def test_the_model_reads_every_signal_but_the_unscored_ones_in_registry_order() -> None:
    every = all_feature_names()
    assert UNSCORED <= set(every), "an UNSCORED name is not a signal: a typo silences nothing"
    assert feature_names() == [n for n in every if n not in UNSCORED]


def test_a_result_reports_every_signal_scored_or_not(scorer) -> None:  # type: ignore[no-untyped-def]
    result = scorer.score(PAGE)
    assert list(result.signals) == all_feature_names()
    assert scorer.bundle.metadata["feature_names"] == feature_names()
