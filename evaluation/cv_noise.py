"""How far the Sondhi cross-validation figures move with the fold assignment alone.

The site-grouped CV has 55 site groups in 5 folds: which sites land together changes the
accuracy by several pages. Before reading a retrain's change as better or worse, compare
it with this spread. Builds the training set and its signals once (seed 0, as
``qualityscore train``), then runs the stratified and the site-grouped CV with the folds
drawn by each of ``--seeds`` random states (the shipped figures use state 0).

``--without SPEC`` (repeatable) also runs a variant of the design without some signal
columns, on the same matrices and fold draws: SPEC is a comma-separated list of families
("readability") or features ("readability.words_log"). An ablation on one fold draw (the
model card's) moves with the draw as much as the shipped figure does; this compares the
variant with the full design draw by draw.

Run from the project root (needs ../shared/data; about 5 minutes, plus about a minute per
variant):

    python evaluation/cv_noise.py [--seeds 5] [--without SPEC ...] [--out evaluation/reports/cv_noise.json]

To measure an older version: ``git worktree add /tmp/old <commit>`` and run this file with
``PYTHONPATH=/tmp/old``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from qualityscore.model import corpora


def dropped_columns(spec: str, names: list[str]) -> list[int]:
    """Design-matrix columns (``X[:, 1:]`` is ``names``) that ``spec`` leaves out.

    Raises ValueError for a part that names no family and no feature, so that a typo is
    not reported as "no difference".
    """
    out: list[int] = []
    for part in (p.strip() for p in spec.split(",")):
        cols = [j + 1 for j, n in enumerate(names) if n == part or n.split(".", 1)[0] == part]
        if not part or not cols:
            raise ValueError(f"{part!r} is neither a signal family nor a feature")
        out += cols
    return sorted(set(out))


def spread(rows: list[dict[str, float]], key: str) -> dict[str, float]:
    vals = [r[key] for r in rows]
    return {"mean": round(statistics.fmean(vals), 4), "min": min(vals), "max": max(vals),
            "sd": round(statistics.pstdev(vals), 4)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=5, help="fold assignments (random states 0..N-1)")
    ap.add_argument("--jobs", type=int, default=2, help="processes for the signals")
    ap.add_argument("--without", action="append", default=[], metavar="SPEC",
                    help="a variant without these families/features (comma-separated); repeatable")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/cv_noise.json"))
    args = ap.parse_args(argv)
    from qualityscore.signals import feature_names

    names = feature_names()
    try:
        variants = {spec: dropped_columns(spec, names) for spec in args.without}
    except ValueError as e:
        ap.error(str(e))
    data_dir = corpora.data_dir_with("sondhi")
    if data_dir is None:
        return 0
    from threadpoolctl import threadpool_limits

    from qualityscore.model.features import PageCache
    from qualityscore.model.sites import group_sites
    from qualityscore.model.train import build_training_set, matrices, sondhi_cv

    t0 = time.time()
    cache = PageCache(corpora.project_root() / "evaluation" / "cache" / "pages.jsonl")
    ts = build_training_set(data_dir, seed=0, cache=cache)
    X, y = matrices(ts, n_jobs=args.jobs)
    grouping = group_sites({s.group: s.content for s in corpora.sondhi(data_dir)})
    designs = {"": X} | {spec: np.delete(X, cols, axis=1) for spec, cols in variants.items()}
    table: dict[str, list[dict[str, float]]] = {spec: [] for spec in designs}
    with threadpool_limits(1):
        for state in range(args.seeds):
            for spec, Xv in designs.items():
                strat = sondhi_cv(ts, Xv, y, seed=state)
                site = sondhi_cv(ts, Xv, y, seed=state, grouping=grouping)
                table[spec].append({"fold_seed": state, "stratified": round(float(strat["accuracy"]), 4),
                                    "site_grouped": round(float(site["accuracy"]), 4),
                                    "site_grouped_roc_auc": round(float(site["roc_auc"]), 4)})
                r = table[spec][-1]
                print(f"fold seed {state}{' without ' + spec if spec else ''}: stratified "
                      f"{r['stratified']:.3f}  site-grouped {r['site_grouped']:.3f} "
                      f"(ROC-AUC {r['site_grouped_roc_auc']:.3f})", flush=True)
    rows = table[""]
    out = {"protocol": "training set and signals built once (seed 0); 5-fold CVs with the folds "
                       "drawn by each random state", "rows": rows,
           "stratified": spread(rows, "stratified"), "site_grouped": spread(rows, "site_grouped"),
           "site_grouped_roc_auc": spread(rows, "site_grouped_roc_auc")}
    if variants:
        out["variants"] = {
            spec: {"without_columns": [names[c - 1] for c in variants[spec]], "rows": table[spec],
                   **{k: spread(table[spec], k) for k in ("stratified", "site_grouped", "site_grouped_roc_auc")},
                   "paired_site_grouped_difference": spread(
                       [{"d": v["site_grouped"] - f["site_grouped"]} for v, f in zip(table[spec], rows, strict=True)], "d")}
            for spec in variants
        }
    out["seconds"] = round(time.time() - t0, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n")
    print(json.dumps({k: out[k] for k in ("stratified", "site_grouped")}))
    for spec, v in out.get("variants", {}).items():
        print(f"without {spec}: " + json.dumps({k: v[k] for k in ("stratified", "site_grouped",
                                                              "paired_site_grouped_difference")}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
