"""Evaluation on the real corpora: Sondhi cross-validation and false alarms on
authoritative text the model never trained on (held-out NIH and Cochrane slices).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..page import Page
from . import corpora
from .corpora import LOW, stable_fraction
from .train import COCHRANE_HELDOUT_FROM, MEDQUAD_HELDOUT_FROM


def heldout_clean(data_dir: Path, *, max_per_corpus: int = 1500) -> dict[str, list[corpora.Sample]]:
    """NIH and Cochrane texts from the slices training never touches."""
    med = [s for s in corpora.medquad(data_dir) if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    coch = [s for s in corpora.cochrane(data_dir) if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]
    med.sort(key=lambda s: stable_fraction("eval/" + s.id))
    return {"medquad": med[:max_per_corpus], "cochrane_pls": coch[:max_per_corpus]}


def ok_rates(scorer, samples: dict[str, list[corpora.Sample]]) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    out: dict[str, dict[str, Any]] = {}
    for name, rows in samples.items():
        decisions = [scorer.score_page(Page(text=s.content, source=s.id)).decision for s in rows]
        n = len(decisions)
        out[name] = {
            "n": n,
            "ok_rate": sum(d == "ok" for d in decisions) / n if n else None,
            "review_rate": sum(d == "review" for d in decisions) / n if n else None,
            "reject_rate": sum(d == "reject" for d in decisions) / n if n else None,
        }
    return out


def healthstory_eval(scorer, data_dir: Path) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    """Spearman of our score with expert stars (bootstrap 95% CI), AUC for rating < 3."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    rows = list(corpora.healthstory(data_dir))
    if not rows:
        return None
    scores = np.asarray([scorer.score_page(Page(text=s.content, source=s.id)).score for s in rows])
    ratings = np.asarray([s.rating for s in rows], dtype=float)
    rho = float(spearmanr(scores, ratings).statistic)
    rng = np.random.default_rng(0)
    boots = []
    for _ in range(500):
        i = rng.integers(0, len(rows), len(rows))
        boots.append(spearmanr(scores[i], ratings[i]).statistic)
    low = np.asarray([s.label == LOW for s in rows])
    return {
        "n": len(rows),
        "spearman": rho,
        "spearman_ci95": [float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))],
        "roc_auc": float(roc_auc_score(low, -scores)),
    }


def run_evaluation(
    data_dir: Path,
    *,
    model_path: Path | None = None,
    out_dir: Path | None = None,
    n_jobs: int = 2,
    run_cv: bool = True,
    log: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    from ..scorer import Scorer
    from .features import PageCache
    from .train import build_training_set, matrices, sondhi_cv

    summary: dict[str, Any] = {}
    scorer = Scorer.load(model_path)
    summary["model_version"] = scorer.bundle.version
    if run_cv:
        cache = PageCache(corpora.project_root() / "evaluation" / "cache" / "pages.jsonl")
        ts = build_training_set(data_dir, cache=cache, log=log)
        X, y = matrices(ts, n_jobs=n_jobs)
        log("Sondhi 5-fold cross-validation (published protocol) ...")
        cv = sondhi_cv(ts, X, y)
        cv.pop("oof_probability")
        cv.pop("y_true")
        summary["sondhi_cv"] = cv
        summary["published"] = {"sondhi_2012_accuracy": 0.80, "replication_2021_accuracy": 0.90}
    log("held-out NIH and Cochrane text ...")
    rates = ok_rates(scorer, heldout_clean(data_dir))
    summary["heldout_clean"] = rates
    summary["medquad_ok_rate"] = rates["medquad"]["ok_rate"]
    summary["cochrane_ok_rate"] = rates["cochrane_pls"]["ok_rate"]
    log("HealthStory ...")
    hs = healthstory_eval(scorer, data_dir)
    if hs:
        summary["healthstory"] = hs
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
