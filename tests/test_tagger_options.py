"""evaluation/tagger_options.py: the operating-point options of the spin evaluation scripts."""

from __future__ import annotations

import argparse
import inspect

from qs_testkit import evaluation_script


def test_every_option_reaches_train_spin_tagger_and_the_report() -> None:
    from qualityscore.model.train import train_spin_tagger

    options = evaluation_script("tagger_options")
    ap = argparse.ArgumentParser()
    options.add_options(ap)
    args = ap.parse_args(["--peak-share", "0", "--flag-budget", "0.3"])
    kwargs = options.train_kwargs(args)
    assert set(kwargs) <= set(inspect.signature(train_spin_tagger).parameters)
    assert kwargs["peak_share"] == 0.0 and kwargs["flags_per_2000_words"] == 0.3
    assert kwargs["gate_share"] is None, "unset: training's own setting"
    report = options.report(args)
    assert report["flag_budget"] == 0.3 and report["peak_share"] == 0.0 and report["strong_share"] is None
    assert len(kwargs) == len(report) - 1 == len(options.OPTIONS)
