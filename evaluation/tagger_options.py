"""The spin tagger's operating-point options, shared by spin_heldout.py and spin_register.py.

Each option moves one setting of ``model/train.py: train_spin_tagger`` away from training's
(``model/tagger.py``); left unset, training's is used. The reports record what was set.
"""

from __future__ import annotations

import argparse
from typing import Any

# (option, train_spin_tagger keyword, help)
OPTIONS = (
    ("--gate-share", "gate_share",
     "share of clean training-side pages allowed to reach the page gate (training: tagger.PAGE_GATE_SHARE)"),
    ("--flag-budget", "flags_per_2000_words",
     "flagged words per 2,000 the tagger's cut allows on gated clean pages (training: tagger.FLAGS_PER_2000_WORDS)"),
    ("--strong-share", "strong_share",
     "share of clean pages above the second, strong gate; 0: no second tier (training: tagger.STRONG_GATE_SHARE)"),
    ("--strong-flags", "strong_flags",
     "flagged words per 2,000 the strong gate's lower cut allows (training: tagger.STRONG_FLAGS_PER_2000_WORDS)"),
    ("--peak-share", "peak_share",
     "share of clean pages whose highest word probability reaches the third, peak gate; 0: no third tier "
     "(training: tagger.PEAK_GATE_SHARE)"),
    ("--peak-flags", "peak_flags",
     "flagged words per 2,000 the peak gate's cut allows (training: tagger.PEAK_FLAGS_PER_2000_WORDS)"),
    ("--peak-floor", "peak_floor", "the lowest cut the peak tier may set (training: tagger.PEAK_FLOOR)"),
)


def add_options(ap: argparse.ArgumentParser) -> None:
    for flag, keyword, text in OPTIONS:
        ap.add_argument(flag, dest=keyword, type=float, default=None, help=text)


def train_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The keywords for ``train_spin_tagger`` (None: training's setting)."""
    return {keyword: getattr(args, keyword) for _, keyword, _ in OPTIONS}


def report(args: argparse.Namespace) -> dict[str, Any]:
    """What the report records: each option as given (null: training's)."""
    out: dict[str, Any] = {flag[2:].replace("-", "_"): getattr(args, keyword) for flag, keyword, _ in OPTIONS}
    out["note"] = "null: training's (model/tagger.py)"
    return out
