"""How the vote's two numbers were chosen (``qualityscore/model/vote.py``).

For each fold of the Sondhi stratified and site-grouped CV (the folds ``qualityscore
evaluate`` uses) and for the project's labeled pages held out, both branches are fitted
once, with the word branch learning from every row or from real pages only; every vote
is then computed from those branch probabilities:

* ``linear``: ``w * p_words + (1 - w) * p_signals`` (the first shipped model: w = 0.65,
  words from every row);
* ``evidence``: ``1 - (1 - linear) * (1 - p_signals ** k)`` (shipped: w = 0.9, k = 16,
  words from real pages only).

Sondhi CV takes part in the choice, so the chosen row's Sondhi figures are slightly
optimistic; the labeled pages and the site-grouped CV are the less fitted checks.

Run from the project root (needs ../shared/data; about 2 minutes on 2 cores):

    python evaluation/vote_grid.py [--out evaluation/reports/vote_grid.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from qualityscore.model import corpora
from qualityscore.model.evaluate import sondhi_splits
from qualityscore.model.features import PageCache
from qualityscore.model.pipeline import build_pipeline
from qualityscore.model.sites import group_sites
from qualityscore.model.train import build_training_set, matrices, text_rows
from qualityscore.model.vote import combine

WEIGHTS = (0.5, 0.65, 0.8, 0.9, 1.0)
POWERS = (4.0, 8.0, 16.0, 32.0)


def _branches(X, y, corpus, train, tests, words_real_only):  # type: ignore[no-untyped-def]
    words = train[text_rows(corpus[train])] if words_real_only else train
    t = build_pipeline(X.shape[1] - 1, signal_branch=False).fit(X[words], y[words])
    s = build_pipeline(X.shape[1] - 1, text_branch=False).fit(X[train], y[train])
    return {k: (t.predict_proba(X[r])[:, 1], s.predict_proba(X[r])[:, 1]) for k, r in tests.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/vote_grid.json"))
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("sondhi", nothing_to="evaluate")
    if data_dir is None:
        return 0
    t0 = time.time()
    cache = PageCache(corpora.project_root() / "evaluation" / "cache" / "pages.jsonl")
    ts = build_training_set(data_dir, cache=cache)
    X, y = matrices(ts, n_jobs=2)
    corpus = np.asarray(ts.corpus)
    sites = group_sites({s.group: s.content for s in corpora.sondhi(data_dir)})
    html_idx = np.flatnonzero(corpus == "sondhi")
    lab = {k: np.flatnonzero(corpus == k) for k in ("labeled", "labeled_text")}
    lab_train = np.flatnonzero(~np.isin(corpus, list(lab)))

    # branch probabilities per (regime, evaluation): arrays aligned with the test rows
    probs: dict[tuple[bool, str], tuple[np.ndarray, np.ndarray]] = {}
    truth: dict[str, np.ndarray] = {}
    with threadpool_limits(1):
        for real_only in (False, True):
            for scheme, grouping in (("stratified", None), ("site", sites)):
                pt, ps = np.zeros(len(html_idx)), np.zeros(len(html_idx))
                for test, train, tests in sondhi_splits(ts, y, grouping=grouping):
                    got = _branches(X, y, corpus, train, {"sondhi": tests["sondhi"]}, real_only)
                    pt[test], ps[test] = got["sondhi"]
                probs[(real_only, scheme)] = (pt, ps)
                truth[scheme] = y[html_idx]
            got = _branches(X, y, corpus, lab_train, lab, real_only)
            for k in lab:
                probs[(real_only, k)] = got[k]
                truth[k] = y[lab[k]]
            print(f"words from {'real pages' if real_only else 'all rows'}: fitted ({time.time() - t0:.0f} s)",
                  file=sys.stderr, flush=True)

    rows = []
    for real_only in (False, True):
        for rule, powers in (("linear", (float("inf"),)), ("evidence", POWERS)):
            for k in powers:
                for w in WEIGHTS:
                    row: dict[str, object] = {"words_from": "real pages" if real_only else "all rows",
                                              "rule": rule, "text_weight": w,
                                              "signal_power": None if rule == "linear" else k}
                    for ev in ("stratified", "site", "labeled", "labeled_text"):
                        pt, ps = probs[(real_only, ev)]
                        row[f"{ev}_accuracy"] = float(np.mean((combine(pt, ps, w, k) >= 0.5) == truth[ev]))
                    rows.append(row)
    out = {"about": __doc__.split("\n\n")[0], "rows": rows, "seconds": round(time.time() - t0, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print("words_from  rule      w     k   | strat  site   labeled  labeled_text")
    for r in rows:
        k = "-" if r["signal_power"] is None else f"{r['signal_power']:.0f}"
        print(f"{r['words_from']:<11} {r['rule']:<9} {r['text_weight']:<5} {k:>3} | "
              f"{r['stratified_accuracy']:.3f}  {r['site_accuracy']:.3f}  {r['labeled_accuracy']:.3f}    "
              f"{r['labeled_text_accuracy']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
