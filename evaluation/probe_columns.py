"""Run ``spin_heldout.py`` with more tagger columns: the harness of the column probes.

A probe of new per-word evidence (``thesaurus_probe.py``, ``slot_mode_probe.py``) defines
``extra_columns(doc, positions, stats)``, one row per candidate word. ``run`` appends those
columns to every row of ``token_features`` (patched in every module that calls it, so the
tagger trains, sets its cuts and is judged on them), runs ``spin_heldout.main`` with the
arguments given, never over the shipped ``spin_heldout.json``, and records in its report
what the probe added. A throwaway-free protocol: the same script, draw and budgets as the
shipped figures, one difference.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import spin_heldout

from qualityscore.model import tagger as tagger_module
from qualityscore.signals import spin as spin_module
from qualityscore.signals import spin_model

_ORIGINAL = spin_model.token_features
ExtraColumns = Callable[[Any, list[int], Any], np.ndarray]


_CACHE: dict[tuple[str, int], tuple[object, Any]] = {}


def per_stats(name: str, stats: Any, build: Callable[[Any], Any]) -> Any:
    """``build(stats)``, made once per statistics object (a probe's lookup tables)."""
    cached = _CACHE.get((name, id(stats)))
    if cached is None or cached[0] is not stats:
        cached = (stats, build(stats))
        _CACHE[(name, id(stats))] = cached
    return cached[1]


def own_scores(model: Any, h: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The context model's score of each word (its vocabulary rows ``words``) in its slot
    (context vectors ``h``), on the scale of ``HealthStats.context_table``'s rows: the
    slot's normaliser left out, so that the two subtract."""
    return np.einsum("ij,ij->i", h, model.output_vectors(words)) + model._bias[words]


def with_columns(extra_columns: ExtraColumns, n_extra: int) -> Callable[..., np.ndarray]:
    """``token_features`` with ``extra_columns``' ``n_extra`` columns appended."""

    def token_features(doc, positions, stats, anchors):  # type: ignore[no-untyped-def]
        X = _ORIGINAL(doc, positions, stats, anchors)
        if not len(positions):
            return np.zeros((0, X.shape[1] + n_extra))
        return np.column_stack([X, extra_columns(doc, list(positions), stats)])

    return token_features


def patch(token_features: Callable[..., np.ndarray]) -> None:
    """Make every caller of ``token_features`` use this one (for the rest of the process)."""
    for module in (spin_model, tagger_module, spin_module, spin_heldout):
        module.token_features = token_features  # type: ignore[attr-defined]


def spin_heldout_out(argv: Sequence[str]) -> Path:
    """Where ``spin_heldout.main(argv)`` writes its report."""
    for i, a in enumerate(argv):
        if a == "--out" and i + 1 < len(argv):
            return Path(argv[i + 1])
        if a.startswith("--out="):
            return Path(a.split("=", 1)[1])
    return Path("evaluation/reports/spin_heldout.json")


def run(argv: Sequence[str], token_features: Callable[..., np.ndarray], *, default_out: Path,
        key: str, info: Callable[[], dict[str, Any]]) -> int:
    """``spin_heldout.main(argv)`` with ``token_features`` in place; its report (at
    ``--out``, else ``default_out``) gains ``key``: ``info()``."""
    rest = list(argv)
    if not any(a == "--out" or a.startswith("--out=") for a in rest):
        rest = [*rest, "--out", str(default_out)]  # never over the shipped spin_heldout.json
    patch(token_features)
    code = spin_heldout.main(rest)
    out = spin_heldout_out(rest)
    if code == 0 and out.exists():
        report = json.loads(out.read_text("utf-8"))
        report[key] = info()
        out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return code
