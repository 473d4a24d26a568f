"""Probe: is a word far below the best word *of the whole vocabulary* for its slot? (not shipped)

The tagger's ``context_best_gap`` compares a word with the commonest fillers of its slot
by pair counts: the 32 words clean health text puts most often right after the left
neighbour, and the 32 right before the right one. A slot whose expected word is not among
them ("an inherited ___ that affects the muscles": "condition" is not a common follower of
"inherited") gets no gap, however confident the model of words in context is. This probe
scores every word of the statistics' vocabulary the model can score (about 8,000; one
matrix product, about 5 ms a page) and appends four columns to every tagger row:

* ``mode_gap``: the best vocabulary word's score in the slot minus the word's own (0 when
  the word is the best; NaN when the word has no vector);
* ``mode_gap_rel``: that minus its median over the page;
* ``mode_rank``: log(1 + number of vocabulary words the model prefers to the word there);
* ``mode_margin``: the best word's score minus the second best's (how sure the slot is).

Then it runs ``spin_heldout.py`` with the arguments given (``probe_columns.py``) and
records what it added in the report (``slot_mode_probe``).

Run from the project root (needs ../shared/data; about six minutes):

    python evaluation/slot_mode_probe.py --docs 200 --seed 1 --out evaluation/reports/slot_mode_probe_seed1.json
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import probe_columns

from qualityscore.signals.spin_model import _context_inputs, context_vectors

EXTRA = ("mode_gap", "mode_gap_rel", "mode_rank", "mode_margin")
DEFAULT_OUT = Path("evaluation/reports/slot_mode_probe.json")


def vocabulary_table(stats) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """The output vectors and biases of every statistics word the context model can score
    and that may be suggested (``HealthStats.context_table``'s finite rows), built once per
    statistics object."""

    def build(stats):  # type: ignore[no-untyped-def]
        table, bias = stats.context_table()
        ok = np.isfinite(bias)
        return np.ascontiguousarray(table[ok]), bias[ok].astype(np.float32)

    return probe_columns.per_stats("vocabulary", stats, build)


def extra_columns(doc, positions, stats) -> np.ndarray:  # type: ignore[no-untyped-def]
    n = len(positions)
    out = np.full((n, len(EXTRA)), np.nan)
    model = stats.context
    if model is None or not n:
        return out
    _, _, ids = _context_inputs(doc, model)
    pos = np.asarray(positions, dtype=np.int64)
    known = ids[pos] < model.V
    if not known.any():
        return out
    p = pos[known]
    h = context_vectors(doc, p, stats)
    table, bias = vocabulary_table(stats)
    w = ids[p]
    own = probe_columns.own_scores(model, h, w)
    scores = h @ table.T + bias  # (positions, vocabulary)
    top2 = -np.partition(-scores, 1, axis=1)[:, :2]
    best = top2.max(axis=1)
    second = top2.min(axis=1)
    gap = np.maximum(best - own, 0.0)
    cols = np.column_stack([gap, gap - np.median(gap), np.log1p((scores > own[:, None]).sum(axis=1)),
                            best - second])
    out[known] = cols
    return out


token_features = probe_columns.with_columns(extra_columns, len(EXTRA))


def main(argv: list[str] | None = None) -> int:
    return probe_columns.run(sys.argv[1:] if argv is None else argv, token_features, default_out=DEFAULT_OUT,
                             key="slot_mode_probe", info=lambda: {"columns": list(EXTRA)})


if __name__ == "__main__":
    raise SystemExit(main())
