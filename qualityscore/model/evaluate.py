"""Evaluation on the real corpora, written to ``evaluation/reports/summary.json`` + plots.

What is measured (``qualityscore evaluate``; evaluation/README.md explains each figure):

* Sondhi, 5-fold stratified CV (the published protocol, ``train.sondhi_cv``) and a
  site-grouped CV (``model/sites.py`` derives a site per page from its HTML, so that no
  site is on both sides of a fold);
* false alarms on authoritative text: the share of held-out MedQuAD (NIH) answers and
  Cochrane plain-language summaries scored ``ok`` by the shipped model;
* HealthStory: Spearman of the score with the expert star rating (bootstrap CI) and the
  ROC-AUC for "rating < 3";
* calibration (Brier score, reliability curve) of the Sondhi out-of-fold probabilities
  and of the shipped model on held-out clean text and spun versions of it;
* an ablation: each signal family removed, words only, signals only, under both CVs
  and on the project's labeled pages held out of training; permutation importance.

Every model refitted here is a copy fitted inside a fold; the shipped model is only read.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..page import Page
from . import corpora
from .corpora import stable_fraction
from .train import COCHRANE_HELDOUT_FROM, MEDQUAD_HELDOUT_FROM, ONESTOP_HELDOUT_FROM

PUBLISHED = {"sondhi_2012_accuracy": 0.80, "replication_2021_accuracy": 0.90}
FOLDS = 5
BOOTSTRAP_RESAMPLES = 1000
# HealthStory star bands for the score-distribution plot and per-band figures.
RATING_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-1 stars", 0.0, 1.5), ("2 stars", 1.5, 2.5), ("3 stars", 2.5, 3.5), ("4-5 stars", 3.5, 5.5),
)
# Sample caps: the full run scores every held-out Cochrane summary and 1,500 MedQuAD
# answers; --quick scores a fixed sample of each.
FULL_CAP, QUICK_CAP = 1500, 300
SPUN_CAP = 600
PERMUTATION_REPEATS = 3

Log = Callable[[str], None]


def _quiet(_m: str) -> None:
    return None


# -- data ------------------------------------------------------------------------------
def heldout_clean(
    data_dir: Path, *, max_per_corpus: int = FULL_CAP,
    medquad: list[corpora.Sample] | None = None, cochrane: list[corpora.Sample] | None = None,
) -> dict[str, list[corpora.Sample]]:
    """NIH and Cochrane texts from the slices training never touches (a fixed sample).

    ``medquad`` / ``cochrane``: the corpora already read, to avoid reading them again.
    """
    med_all = medquad if medquad is not None else corpora.medquad(data_dir)
    coch_all = cochrane if cochrane is not None else corpora.cochrane(data_dir)
    med = [s for s in med_all if stable_fraction(s.group) >= MEDQUAD_HELDOUT_FROM]
    coch = [s for s in coch_all if stable_fraction(s.group) >= COCHRANE_HELDOUT_FROM]
    med.sort(key=lambda s: stable_fraction("eval/" + s.id))
    coch.sort(key=lambda s: stable_fraction("eval/" + s.id))
    return {"medquad": med[:max_per_corpus], "cochrane_pls": coch[:max_per_corpus]}


def heldout_news(
    data_dir: Path, *, max_texts: int = FULL_CAP, onestop: list[corpora.Sample] | None = None,
) -> list[corpora.Sample]:
    """OneStopEnglish articles training never touches (every reading level of each).

    ``onestop``: the corpus already read, to avoid reading it again.
    """
    news_all = onestop if onestop is not None else corpora.onestop(data_dir)
    news = [s for s in news_all if stable_fraction(s.group) >= ONESTOP_HELDOUT_FROM]
    news.sort(key=lambda s: stable_fraction("eval/" + s.id))
    return news[:max_texts]


def heldout_promoted(news: list[corpora.Sample], *, seed: int = 11) -> list[Page]:
    """Promoted versions of held-out news: the prose is clean, the promotion is spam."""
    from .train import promoted_spam

    return [page for page, _ in promoted_spam(news, seed=seed)]


def heldout_spun(clean: dict[str, list[corpora.Sample]], *, cap: int = SPUN_CAP, seed: int = 7) -> list[Page]:
    """Spun (and sometimes promoted, sometimes HTML) versions of held-out clean texts.

    Synthetic, like the spam the model trains on, but made from texts it never saw.
    """
    from .train import synthetic_spam

    half = cap // 2
    sources = clean["medquad"][:half] + clean["cochrane_pls"][: cap - half]
    return [page for page, _ in synthetic_spam(sources, seed=seed)]


def corpus_digests(data_dir: Path) -> dict[str, str]:
    """The same digests training records (``training_data.digests``), of the data read now."""
    from .train import corpus_digest

    return {
        "sondhi": corpus_digest(list(corpora.sondhi(data_dir))),
        "medquad": corpus_digest(list(corpora.medquad(data_dir))),
        "cochrane_pls": corpus_digest(list(corpora.cochrane(data_dir))),
        "cochrane_abstracts": corpus_digest(list(corpora.cochrane(data_dir, kinds=("source",)))),
        "onestop": corpus_digest(list(corpora.onestop(data_dir))),
        "labeled": corpus_digest(list(corpora.labeled_pages())),
        "medreadme": corpus_digest(list(corpora.medreadme(data_dir))),
    }


# -- scoring with the shipped model ----------------------------------------------------
@dataclass
class Scored:
    """The shipped model's output for a list of pages, as ``Scorer.score_page`` gives it."""

    p_low: np.ndarray
    scores: np.ndarray
    decisions: list[str]


def page_design_matrix(bundle, pages: Sequence[Page], *, n_jobs: int = 1) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The model input for pages, with the bundle's spin resources (as the Scorer builds it)."""
    from .features import signal_matrix
    from .pipeline import design_matrix

    feats = signal_matrix(list(pages), bundle.resources(), n_jobs=n_jobs)
    return design_matrix([p.text for p in pages], feats)


def word_counts(pages: Sequence[Page]) -> list[int]:
    """Each page's words as the signals count them (``Analysis.words``)."""
    from ..text import Doc

    return [Doc(p.text).word_count for p in pages]


def score_matrix(scorer, X: np.ndarray, words: Sequence[int], *, chunk: int = 500) -> Scored:  # type: ignore[no-untyped-def]
    """Scores and decisions for the rows of ``X``; ``words`` (``word_counts``) lets a short
    page be held back from ok as ``Scorer.decide_page`` does. Rows carry no findings, so a
    short page the score rejects stays rejected here (the Scorer makes it review when no
    signal quotes spam on it); the evaluation corpora hold no page that short."""
    parts = [scorer.bundle.model.predict_proba(X[i : i + chunk])[:, 1] for i in range(0, len(X), chunk)]
    p_low = np.concatenate(parts) if parts else np.zeros(0)
    scores = 100.0 * (1.0 - p_low)
    decisions = [scorer.decide_page(float(s), n) for s, n in zip(scores, words, strict=True)]
    return Scored(p_low=p_low, scores=scores, decisions=decisions)


def decision_rates(decisions: Sequence[str]) -> dict[str, Any]:
    n = len(decisions)
    out: dict[str, Any] = {"n": n}
    for d in ("ok", "review", "reject"):
        out[f"{d}_rate"] = sum(x == d for x in decisions) / n if n else None
    return out


def ok_rates(scorer, samples: dict[str, list[corpora.Sample]], *, n_jobs: int = 1) -> dict[str, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Decision rates per corpus for clean texts (``ok_rate`` is the headline)."""
    out: dict[str, dict[str, Any]] = {}
    for name, rows in samples.items():
        pages = [Page(text=s.content, source=s.id) for s in rows]
        scored = score_matrix(scorer, page_design_matrix(scorer.bundle, pages, n_jobs=n_jobs), word_counts(pages))
        out[name] = decision_rates(scored.decisions)
    return out


def _bootstrap_ci(stat: Callable[[np.ndarray], float], n: int, *, seed: int = 0) -> list[float]:
    rng = np.random.default_rng(seed)
    vals = [stat(rng.integers(0, n, n)) for _ in range(BOOTSTRAP_RESAMPLES)]
    vals = [v for v in vals if np.isfinite(v)]
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def healthstory_metrics(scores: np.ndarray, ratings: np.ndarray, decisions: Sequence[str]) -> dict[str, Any]:
    """Spearman of score with expert stars (bootstrap 95% CI), ROC-AUC for rating < 3."""
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    low = ratings < 3

    def rho(i: np.ndarray) -> float:
        return float(spearmanr(scores[i], ratings[i]).statistic)

    def auc(i: np.ndarray) -> float:
        return float(roc_auc_score(low[i], -scores[i])) if 0 < low[i].sum() < len(i) else float("nan")

    everything = np.arange(len(scores))
    by_band = {}
    for name, lo, hi in RATING_BANDS:
        m = (ratings >= lo) & (ratings < hi)
        by_band[name] = {
            "n": int(m.sum()),
            "median_score": float(np.median(scores[m])) if m.any() else None,
            "ok_rate": decision_rates([d for d, k in zip(decisions, m, strict=True) if k])["ok_rate"],
        }
    return {
        "n": len(scores),
        "spearman": rho(everything),
        "spearman_ci95": _bootstrap_ci(rho, len(scores)),
        "roc_auc": auc(everything),
        "roc_auc_ci95": _bootstrap_ci(auc, len(scores)),
        "low_rating_share": float(low.mean()),
        "by_rating": by_band,
    }


def healthstory_eval(scorer, data_dir: Path, *, n_jobs: int = 1) -> dict[str, Any] | None:  # type: ignore[no-untyped-def]
    rows = list(corpora.healthstory(data_dir))
    if not rows:
        return None
    pages = [Page(text=s.content, source=s.id) for s in rows]
    scored = score_matrix(scorer, page_design_matrix(scorer.bundle, pages, n_jobs=n_jobs), word_counts(pages))
    ratings = np.asarray([s.rating for s in rows], dtype=float)
    return healthstory_metrics(scored.scores, ratings, scored.decisions)


# -- calibration -----------------------------------------------------------------------
def calibration(y_true: np.ndarray, p: np.ndarray, *, bins: int = 10) -> dict[str, Any]:
    """Brier score, expected calibration error and a reliability table (uniform bins)."""
    y_true = np.asarray(y_true, dtype=float)
    p = np.asarray(p, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
    table = []
    ece = 0.0
    for b in range(bins):
        m = idx == b
        if not m.any():
            continue
        mean_p, frac = float(p[m].mean()), float(y_true[m].mean())
        ece += m.mean() * abs(mean_p - frac)
        table.append({"bin": [round(float(edges[b]), 3), round(float(edges[b + 1]), 3)], "n": int(m.sum()),
                      "mean_predicted": mean_p, "fraction_low": frac})
    return {"n": len(p), "brier": float(np.mean((p - y_true) ** 2)), "ece": float(ece), "bins": table}


def binary_metrics(y_true: np.ndarray, p_low: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, average_precision_score, f1_score, roc_auc_score

    y_true = np.asarray(y_true)
    out = {
        "accuracy": float(accuracy_score(y_true, p_low >= 0.5)),
        "f1_unreliable": float(f1_score(y_true, p_low >= 0.5, zero_division=0)),
    }
    if 0 < y_true.sum() < len(y_true):
        out["roc_auc"] = float(roc_auc_score(y_true, p_low))
        out["average_precision"] = float(average_precision_score(y_true, p_low))
    return out


# -- cross-validation and ablation -----------------------------------------------------
@dataclass(frozen=True)
class Variant:
    """A model variant for the ablation: which branches and which signal columns."""

    name: str
    label: str
    text: bool
    cols: tuple[int, ...]  # columns of the design matrix (1-based: 0 is the text)


def family_columns(names: Sequence[str]) -> dict[str, list[int]]:
    """Design-matrix columns of each signal family (``X[:, 1:]`` is ``names`` in order)."""
    out: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        out.setdefault(name.split(".", 1)[0], []).append(j + 1)
    return out


def ablation_variants(names: Sequence[str]) -> list[Variant]:
    every = tuple(range(1, len(names) + 1))
    out = [
        Variant("full", "words + all signals (shipped design)", True, every),
        Variant("words_only", "words only (TF-IDF + LR)", True, ()),
        Variant("signals_only", "signals only (HGB)", False, every),
    ]
    for fam, cols in family_columns(names).items():
        keep = tuple(c for c in every if c not in set(cols))
        out.append(Variant(f"without_{fam}", f"without {fam} ({len(cols)} features)", True, keep))
    return out


def vote_parameters(n_signals: int, seed: int = 0) -> tuple[float, float] | None:
    """(text_weight, signal_power) when the pipeline is the two-branch ``EvidenceVote``.

    Then a fold's word branch is fitted once and reused by every signal ablation (the
    vote is ``vote.combine(p_text, p_signals)``); otherwise each variant is fitted whole.
    """
    from .pipeline import build_pipeline
    from .vote import EvidenceVote

    ref = build_pipeline(n_signals, seed=seed)
    if not isinstance(ref, EvidenceVote):
        return None
    return float(ref.text_weight), float(ref.signal_power)


def _fit_fold(
    X: np.ndarray,
    y: np.ndarray,
    train: np.ndarray,
    tests: dict[str, np.ndarray],
    variants: Sequence[Variant],
    *,
    seed: int,
    vote: tuple[float, float] | None,
    corpus: np.ndarray | None = None,
    importance_on: str | None = None,
    families: dict[str, list[int]] | None = None,
) -> dict[str, Any]:
    """Fit every variant on ``train`` rows, predict each test set; optional permutation importance.

    ``corpus``: the corpus of every row of ``X`` (the word branch learns from
    ``train.text_rows`` of it); None means every row is a real page.
    """
    from threadpoolctl import threadpool_limits

    from .pipeline import build_pipeline
    from .train import fit_model, text_rows
    from .vote import combine

    if corpus is None:
        corpus = np.full(len(y), "page", dtype=object)
    words = train[text_rows(corpus[train])]

    n_signals = X.shape[1] - 1
    preds: dict[str, dict[str, np.ndarray]] = {v.name: {} for v in variants}
    full_fn: Callable[[np.ndarray], np.ndarray] | None = None
    with threadpool_limits(1):
        if vote is not None:
            p_text: dict[str, np.ndarray] = {}
            text_model = None
            if any(v.text for v in variants):
                text_model = build_pipeline(n_signals, signal_branch=False, seed=seed).fit(X[words], y[words])
                p_text = {k: text_model.predict_proba(X[rows])[:, 1] for k, rows in tests.items()}
            signal_models = {}
            for cols in {v.cols for v in variants if v.cols}:
                sel = [0, *cols]
                m = build_pipeline(len(cols), text_branch=False, seed=seed)
                signal_models[cols] = m.fit(X[train][:, sel], y[train])
            for v in variants:
                for k, rows in tests.items():
                    ps = signal_models[v.cols].predict_proba(X[rows][:, [0, *v.cols]])[:, 1] if v.cols else None
                    if v.text and ps is not None:
                        preds[v.name][k] = combine(p_text[k], ps, *vote)
                    else:
                        preds[v.name][k] = p_text[k] if v.text else ps  # type: ignore[assignment]
            full = next((v for v in variants if v.name == "full"), None)
            if full is not None and text_model is not None and importance_on:
                sig, sel = signal_models[full.cols], [0, *full.cols]
                # Shuffling a signal leaves the text branch's output unchanged: compute it once.
                p_text_rows = p_text[importance_on]

                def full_fn(Xr: np.ndarray) -> np.ndarray:
                    return combine(p_text_rows, sig.predict_proba(Xr[:, sel])[:, 1], *vote)
        else:
            for v in variants:
                sel = [0, *v.cols]
                m = build_pipeline(len(v.cols), text_branch=v.text, signal_branch=bool(v.cols), seed=seed)
                # A words-only variant learns from the word branch's rows, as in the model.
                rows = words if v.text and not v.cols else train
                fit_model(m, X[rows][:, sel], y[rows], corpus[rows])
                for k, rows in tests.items():
                    preds[v.name][k] = m.predict_proba(X[rows][:, sel])[:, 1]
                if v.name == "full":
                    full_fn = lambda Xr, m=m: m.predict_proba(Xr)[:, 1]  # noqa: E731
        importance = None
        if importance_on and full_fn is not None and families is not None:
            importance = _permutation(full_fn, X[tests[importance_on]], families, seed=seed)
    return {"preds": preds, "importance": importance}


def _permutation(
    predict: Callable[[np.ndarray], np.ndarray], Xt: np.ndarray, families: dict[str, list[int]], *, seed: int,
) -> dict[str, Any]:
    """Held-out predictions with one feature (or one family) shuffled among the test rows."""
    rng = np.random.default_rng(seed)
    n_signals = Xt.shape[1] - 1
    Xt = Xt.copy()
    per_feature = np.zeros((n_signals, PERMUTATION_REPEATS, len(Xt)))
    for j in range(1, n_signals + 1):
        orig = Xt[:, j].copy()
        for r in range(PERMUTATION_REPEATS):
            Xt[:, j] = orig[rng.permutation(len(Xt))]
            per_feature[j - 1, r] = predict(Xt)
        Xt[:, j] = orig
    per_family = np.zeros((len(families), PERMUTATION_REPEATS, len(Xt)))
    for f, cols in enumerate(families.values()):
        orig = Xt[:, cols].copy()
        for r in range(PERMUTATION_REPEATS):
            Xt[:, cols] = orig[rng.permutation(len(Xt))]
            per_family[f, r] = predict(Xt)
        Xt[:, cols] = orig
    return {"per_feature": per_feature, "per_family": per_family}


def _sondhi_cv_task(ts_light, X: np.ndarray, y: np.ndarray, grouping, seed: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from threadpoolctl import threadpool_limits

    from .train import sondhi_cv

    with threadpool_limits(1):
        return sondhi_cv(ts_light, X, y, folds=FOLDS, seed=seed, grouping=grouping)


def sondhi_splits(ts, y: np.ndarray, *, seed: int = 0, grouping=None):  # type: ignore[no-untyped-def]
    """The folds ``train.sondhi_cv`` uses: (train rows, {test set: rows}) per fold."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    corpus = np.asarray(ts.corpus)
    groups = np.asarray(ts.groups)
    html_idx = np.flatnonzero(corpus == "sondhi")
    page_groups = groups[html_idx]
    if grouping is None:
        splits = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(html_idx, y[html_idx])
    else:
        splits = StratifiedGroupKFold(n_splits=FOLDS, shuffle=True, random_state=seed).split(
            html_idx, y[html_idx], [grouping(g) for g in page_groups])
    text_pos = {g: i for i, (c, g) in enumerate(zip(ts.corpus, ts.groups, strict=True)) if c == "sondhi_text"}
    for _, test in splits:
        held = list(set(page_groups[test]))
        train = np.flatnonzero(~np.isin(groups, held) | ~np.isin(corpus, ["sondhi", "sondhi_text"]))
        yield test, train, {"sondhi": html_idx[test],
                            "sondhi_text": np.asarray([text_pos[g] for g in page_groups[test]])}


def _light(ts):  # type: ignore[no-untyped-def]
    """The TrainingSet without its pages: all that CV needs, cheap to send to a worker."""
    from .train import TrainingSet

    return TrainingSet(labels=list(ts.labels), corpus=list(ts.corpus), groups=list(ts.groups))


def run_cross_validation(
    ts, X: np.ndarray, y: np.ndarray, grouping, *, ablation: bool, n_jobs: int, seed: int = 0,  # type: ignore[no-untyped-def]
    log: Log = _quiet,
) -> dict[str, Any]:
    """Sondhi CV (stratified and site-grouped) and, optionally, the ablation; in parallel."""
    from joblib import Parallel, delayed

    from ..signals import feature_names

    names = feature_names()
    light = _light(ts)
    jobs: list[tuple[str, Any]] = []
    if ablation:
        variants = ablation_variants(names)
        families = family_columns(names)
        vote = vote_parameters(len(names), seed)
        corpus = np.asarray(ts.corpus)
        fold_keys = []
        for scheme, grp in (("stratified", None), ("site", grouping)):
            for f, (test, train, tests) in enumerate(sondhi_splits(ts, y, seed=seed, grouping=grp)):
                fold_keys.append((scheme, f, test))
                jobs.append((f"{scheme}/{f}", delayed(_fit_fold)(
                    X, y, train, tests, variants, seed=seed, vote=vote, corpus=corpus,
                    importance_on="sondhi" if scheme == "stratified" else None, families=families)))
        lab_tests = {k: np.flatnonzero(corpus == k) for k in ("labeled", "labeled_text")}
        lab_train = np.flatnonzero(~np.isin(corpus, ["labeled", "labeled_text"]))
        jobs.append(("labeled", delayed(_fit_fold)(X, y, lab_train, lab_tests, variants, seed=seed, vote=vote,
                                                   corpus=corpus)))
    jobs.append(("sondhi_cv", delayed(_sondhi_cv_task)(light, X, y, None, seed)))
    jobs.append(("sondhi_site_cv", delayed(_sondhi_cv_task)(light, X, y, grouping, seed)))
    log(f"cross-validation: {len(jobs)} jobs on {n_jobs} processes ...")
    results = dict(zip([k for k, _ in jobs], Parallel(n_jobs=n_jobs)(j for _, j in jobs), strict=True))
    out: dict[str, Any] = {"sondhi_cv": results["sondhi_cv"], "sondhi_site_cv": results["sondhi_site_cv"]}
    if ablation:
        out["ablation"] = _assemble_ablation(results, fold_keys, variants, y, ts, names, families)
    return out


def _assemble_ablation(results, fold_keys, variants, y, ts, names, families) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from sklearn.metrics import log_loss, roc_auc_score

    corpus = np.asarray(ts.corpus)
    html_idx = np.flatnonzero(corpus == "sondhi")
    y_sondhi = y[html_idx]
    oof = {s: {v.name: np.zeros(len(html_idx)) for v in variants} for s in ("stratified", "site")}
    n_rep = PERMUTATION_REPEATS
    perm_feat = np.zeros((len(names), n_rep, len(html_idx)))
    perm_fam = np.zeros((len(families), n_rep, len(html_idx)))
    for scheme, f, test in fold_keys:
        res = results[f"{scheme}/{f}"]
        for v in variants:
            oof[scheme][v.name][test] = res["preds"][v.name]["sondhi"]
        if res["importance"] is not None:
            perm_feat[:, :, test] = res["importance"]["per_feature"]
            perm_fam[:, :, test] = res["importance"]["per_family"]
    lab = results["labeled"]["preds"]
    y_lab = {k: y[np.flatnonzero(corpus == k)] for k in ("labeled", "labeled_text")}
    rows = []
    for v in variants:
        row: dict[str, Any] = {"variant": v.name, "label": v.label, "n_signals": len(v.cols), "words": v.text}
        for scheme in ("stratified", "site"):
            m = binary_metrics(y_sondhi, oof[scheme][v.name])
            row[f"sondhi_{scheme}_cv_accuracy"] = m["accuracy"]
            row[f"sondhi_{scheme}_cv_roc_auc"] = m.get("roc_auc")
        for k in ("labeled", "labeled_text"):
            row[f"{k}_heldout_accuracy"] = binary_metrics(y_lab[k], lab[v.name][k])["accuracy"]
        rows.append(row)
    base = oof["stratified"]["full"]
    base_loss = log_loss(y_sondhi, np.clip(base, 1e-6, 1 - 1e-6))
    base_auc = roc_auc_score(y_sondhi, base)

    def effect(perm: np.ndarray) -> dict[str, float]:
        losses = [log_loss(y_sondhi, np.clip(perm[r], 1e-6, 1 - 1e-6)) - base_loss for r in range(n_rep)]
        aucs = [base_auc - roc_auc_score(y_sondhi, perm[r]) for r in range(n_rep)]
        return {"log_loss_increase": float(np.mean(losses)), "log_loss_increase_sd": float(np.std(losses)),
                "roc_auc_drop": float(np.mean(aucs))}

    features = sorted(({"feature": n, **effect(perm_feat[j])} for j, n in enumerate(names)),
                      key=lambda r: -r["log_loss_increase"])
    fams = sorted(({"family": fam, **effect(perm_fam[f])} for f, fam in enumerate(families)),
                  key=lambda r: -r["log_loss_increase"])
    lab_scores = 100.0 * (1.0 - np.asarray(lab["full"]["labeled"]))
    return {
        "rows": rows,
        "labeled_scores": {"labeled high quality": lab_scores[y_lab["labeled"] == 0],
                           "labeled low quality": lab_scores[y_lab["labeled"] == 1]},
        "permutation_importance": {
            "on": "Sondhi pages, out-of-fold (stratified CV), full model; shuffled among each test fold",
            "repeats": n_rep,
            "features": features,
            "families": fams,
        },
    }


# -- words the shipped model leans on --------------------------------------------------
def top_words(bundle, k: int = 15) -> dict[str, list[list[Any]]] | None:  # type: ignore[no-untyped-def]
    """The heaviest n-grams of the shipped text branch (logistic-regression weights)."""
    from .runtime import CompiledVote

    model = bundle.model
    if isinstance(model, CompiledVote):  # the runtime file
        terms, coef = model.text.terms, model.text.coef
    else:
        text = getattr(model, "text_", None)  # vote.EvidenceVote's word branch
        if text is None:
            return None
        try:
            vec = text.named_steps["select"].transformers_[0][1]
            coef = text.named_steps["clf"].coef_[0]
            terms = vec.get_feature_names_out()
        except (AttributeError, KeyError, IndexError):
            return None
    order = np.argsort(coef)
    return {
        "toward_low_quality": [[str(terms[i]), float(coef[i])] for i in order[::-1][:k]],
        "toward_high_quality": [[str(terms[i]), float(coef[i])] for i in order[:k]],
    }


# -- the run ---------------------------------------------------------------------------
def run_evaluation(
    data_dir: Path,
    *,
    model_path: Path | None = None,
    out_dir: Path | None = None,
    n_jobs: int = 2,
    run_cv: bool = True,
    ablation: bool = True,
    plots: bool = True,
    quick: bool = False,
    update_card: bool = False,
    seed: int = 0,
    log: Log = _quiet,
) -> dict[str, Any]:
    """Evaluate the shipped (or given) model; write summary.json and plots to ``out_dir``."""
    from ..scorer import Scorer
    from .bundle import default_model_path

    started = time.monotonic()
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> None:
        timings[name] = round(time.monotonic() - t0, 1)

    if quick:
        run_cv = ablation = False
    model_file = Path(model_path) if model_path else default_model_path()
    scorer = Scorer.load(model_file)
    bundle = scorer.bundle
    meta = bundle.metadata
    summary: dict[str, Any] = {
        "model_version": bundle.version,
        "model_created": meta.get("created"),
        "generated": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "mode": {"cross_validation": run_cv, "ablation": run_cv and ablation, "quick": quick},
        "thresholds": {k: meta.get("thresholds", {}).get(k) for k in
                       ("reject_below", "review_below", "reject_precision_target", "review_recall_target")},
    }

    t0 = time.monotonic()
    digests = corpus_digests(data_dir)
    trained_on = meta.get("training_data", {}).get("digests", {})
    summary["corpus_digests"] = digests
    summary["digests_match_training"] = all(trained_on.get(k) == v for k, v in digests.items())
    lap("digests", t0)

    # The shipped model on text it never trained on.
    t0 = time.monotonic()
    cap = QUICK_CAP if quick else FULL_CAP
    clean = heldout_clean(data_dir, max_per_corpus=cap)
    spun = heldout_spun(clean, cap=QUICK_CAP if quick else SPUN_CAP)
    stories = list(corpora.healthstory(data_dir))
    if quick:
        stories = sorted(stories, key=lambda s: stable_fraction("eval/" + s.id))[:QUICK_CAP]
    pages = [Page(text=s.content, source=s.id) for name in ("medquad", "cochrane_pls") for s in clean[name]]
    news = heldout_news(data_dir, max_texts=cap)
    promoted = heldout_promoted(news)
    pages += spun + [Page(text=s.content, source=s.id) for s in stories]
    pages += [Page(text=s.content, source=s.id) for s in news] + promoted
    log(f"scoring {len(pages)} held-out texts with the shipped model ...")
    scored = score_matrix(scorer, page_design_matrix(bundle, pages, n_jobs=n_jobs), word_counts(pages))
    n_med, n_coch, n_spun = len(clean["medquad"]), len(clean["cochrane_pls"]), len(spun)
    cuts = np.cumsum([0, n_med, n_coch, n_spun, len(stories), len(news), len(promoted)])

    def part(i: int) -> Scored:
        a, b = cuts[i], cuts[i + 1]
        return Scored(scored.p_low[a:b], scored.scores[a:b], scored.decisions[a:b])

    med, coch, spun_s, hs, news_s, promoted_s = part(0), part(1), part(2), part(3), part(4), part(5)
    summary["heldout_clean"] = {"medquad": decision_rates(med.decisions), "cochrane_pls": decision_rates(coch.decisions)}
    summary["medquad_ok_rate"] = summary["heldout_clean"]["medquad"]["ok_rate"]
    summary["cochrane_ok_rate"] = summary["heldout_clean"]["cochrane_pls"]["ok_rate"]
    if news:
        summary["heldout_clean"]["onestop"] = {
            **decision_rates(news_s.decisions),
            "articles": len({s.group for s in news}),
            "note": "general news (not health), every reading level of each held-out article",
        }
        summary["onestop_ok_rate"] = summary["heldout_clean"]["onestop"]["ok_rate"]
        summary["heldout_promoted_news"] = {
            **decision_rates(promoted_s.decisions),
            "flagged_rate": sum(d != "ok" for d in promoted_s.decisions) / len(promoted),
            "note": "synthetic: the same held-out news with calls to action, uncited claims "
                    "and blog residue added by spinner.promote (a third as spam HTML)",
        }
    clean_p = np.concatenate([med.p_low, coch.p_low])
    pool_y = np.concatenate([np.zeros(len(clean_p)), np.ones(n_spun)])
    pool_p = np.concatenate([clean_p, spun_s.p_low])
    summary["heldout_spun"] = {
        **decision_rates(spun_s.decisions),
        "flagged_rate": (sum(d != "ok" for d in spun_s.decisions) / n_spun) if n_spun else None,
        "clean_vs_spun": binary_metrics(pool_y, pool_p),
        "note": "synthetic: spinner output made from held-out NIH/Cochrane texts",
    }
    ratings = np.asarray([s.rating for s in stories], dtype=float)
    if len(stories):
        summary["healthstory"] = healthstory_metrics(hs.scores, ratings, hs.decisions)
    summary["calibration"] = {
        "heldout_clean": {"n": len(clean_p), "brier": float(np.mean(clean_p**2)),
                          "mean_probability_low": float(np.mean(clean_p))},
        "heldout_clean_and_spun": calibration(pool_y, pool_p),
    }
    lap("shipped_model_scoring", t0)

    cv_out: dict[str, Any] = {}
    site_grouping = None
    if run_cv:
        t0 = time.monotonic()
        from .features import PageCache
        from .sites import group_sites
        from .train import build_training_set, matrices

        cache = PageCache(corpora.project_root() / "evaluation" / "cache" / "pages.jsonl")
        ts = build_training_set(data_dir, seed=seed, cache=cache, log=log)
        log("computing signals for the training set ...")
        X, y = matrices(ts, n_jobs=n_jobs)
        lap("training_matrices", t0)
        t0 = time.monotonic()
        sondhi_pages = {s.group: s.content for s in corpora.sondhi(data_dir)}
        site_grouping = group_sites(sondhi_pages)
        lap("site_grouping", t0)
        t0 = time.monotonic()
        cv_out = run_cross_validation(ts, X, y, site_grouping, ablation=ablation, n_jobs=n_jobs,
                                      seed=seed, log=log)
        lap("cross_validation", t0)
        for key in ("sondhi_cv", "sondhi_site_cv"):
            cv = dict(cv_out[key])
            oof, y_true = np.asarray(cv.pop("oof_probability")), np.asarray(cv.pop("y_true"))
            cv_out[key + "_oof"] = (y_true, oof)
            cv["brier"] = float(np.mean((oof - y_true) ** 2))
            cv["average_precision"] = binary_metrics(y_true, oof).get("average_precision")
            cv["folds"] = FOLDS
            summary[key] = cv
        summary["sondhi_cv"]["protocol"] = "5-fold stratified over the 360 pages as given (published protocol)"
        summary["sondhi_site_cv"]["protocol"] = (
            "5-fold stratified group k-fold; groups = sites derived from each page's HTML "
            "(qualityscore/model/sites.py); no site on both sides")
        summary["sondhi_site_cv"]["grouping"] = {
            **site_grouping.stats, "contiguous_groups": _contiguous_groups(site_grouping.group)}
        y_true, oof = cv_out["sondhi_cv_oof"]
        summary["brier"] = summary["sondhi_cv"]["brier"]
        summary["calibration"]["sondhi_oof"] = calibration(y_true, oof)
        summary["calibration"]["sondhi_site_oof"] = calibration(*cv_out["sondhi_site_cv_oof"])
        if "ablation" in cv_out:
            ab = cv_out["ablation"]
            full = next(r for r in ab["rows"] if r["variant"] == "full")
            summary["ablation"] = {
                "rows": ab["rows"],
                "full_reproduces_sondhi_cv": abs(full["sondhi_stratified_cv_accuracy"] - summary["sondhi_cv"]["accuracy"]) < 1e-9,
                "how": "each variant refitted inside the same folds as sondhi_cv / sondhi_site_cv; "
                       "labeled_* columns: trained without the project's labeled pages, tested on them "
                       "(an unseen source), as given and as text only",
            }
            summary["permutation_importance"] = ab["permutation_importance"]
    else:
        recorded = meta.get("metrics", {}).get("sondhi_cv")
        if recorded:
            summary["sondhi_cv"] = {**recorded, "source": "recorded in the model at training (not re-run)"}
        summary["brier"] = None
    summary["published"] = PUBLISHED
    words = top_words(bundle)
    if words:
        summary["top_words"] = words

    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        if plots:
            t0 = time.monotonic()
            summary["plots"] = _make_plots(out_dir, summary, cv_out, med, coch, spun_s, hs, ratings, log=log)
            lap("plots", t0)
    timings["total"] = round(time.monotonic() - started, 1)
    summary["runtime_seconds"] = timings
    if out_dir is not None:
        (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
        log(f"wrote {out_dir / 'summary.json'}")
    if update_card:
        from .card import write_card

        write_card(meta, model_file, evaluation=card_evaluation(summary))
        log(f"updated the model card beside {model_file}")
    return summary


def _contiguous_groups(group: dict[str, str]) -> str:
    """How many site groups are one run of consecutive file numbers (a sanity check only:
    the crawl saved each site's pages together, and grouping never looks at numbers)."""
    members: dict[str, list[tuple[str, int]]] = {}
    for page_id, g in group.items():
        sub, num = page_id.rsplit("/", 2)[-2:]
        if num.isdigit():
            members.setdefault(g, []).append((sub, int(num)))
    runs = sum(1 for ms in members.values()
               if len({s for s, _ in ms}) == 1 and max(n for _, n in ms) - min(n for _, n in ms) + 1 == len(ms))
    return f"{runs}/{len(members)}"


def card_evaluation(summary: dict[str, Any]) -> dict[str, Any]:
    """The part of summary.json that goes into the model card."""
    keys = ("model_version", "model_created", "generated", "sondhi_cv", "sondhi_site_cv", "healthstory",
            "medquad_ok_rate", "cochrane_ok_rate", "onestop_ok_rate", "heldout_clean", "heldout_spun",
            "heldout_promoted_news", "brier",
            "digests_match_training", "published")
    out = {k: summary[k] for k in keys if k in summary}
    for k in ("sondhi_cv", "sondhi_site_cv"):
        if k in out:
            out[k] = {kk: vv for kk, vv in out[k].items() if kk != "grouping"}
    if "sondhi_site_cv" in summary and "grouping" in summary["sondhi_site_cv"]:
        g = summary["sondhi_site_cv"]["grouping"]
        out["site_grouping"] = {k: g[k] for k in ("pages", "keyed", "key_coverage", "groups", "largest_group", "unknown")}
    if "ablation" in summary:
        out["ablation"] = [
            {k: r[k] for k in ("variant", "sondhi_stratified_cv_accuracy", "sondhi_site_cv_accuracy",
                               "labeled_heldout_accuracy", "labeled_text_heldout_accuracy")}
            for r in summary["ablation"]["rows"]
        ]
    if "healthstory" in out:
        out["healthstory"] = {k: v for k, v in out["healthstory"].items() if k != "by_rating"}
    return out


def _make_plots(out_dir: Path, summary, cv_out, med, coch, spun, hs, ratings, *, log: Log) -> list[str]:  # type: ignore[no-untyped-def]
    try:
        from . import plots
    except ImportError:
        log("matplotlib is not installed (pip install 'qualityscore[eval]'): no plots")
        return []
    made: list[str] = []
    th = summary["thresholds"]
    curves = []
    if "sondhi_cv_oof" in cv_out:
        curves.append(("Sondhi, stratified CV (out-of-fold)", *cv_out["sondhi_cv_oof"]))
        curves.append(("Sondhi, site-grouped CV (out-of-fold)", *cv_out["sondhi_site_cv_oof"]))
    n_clean = len(med.p_low) + len(coch.p_low)
    if len(spun.p_low):
        curves.append(("held-out NIH/Cochrane vs spun versions (shipped model)",
                       np.r_[np.zeros(n_clean), np.ones(len(spun.p_low))],
                       np.r_[med.p_low, coch.p_low, spun.p_low]))
    if len(hs.p_low):
        curves.append(("HealthStory, rating < 3 (shipped model)", (ratings < 3).astype(int), hs.p_low))
    made.append(plots.roc_curves(curves, out_dir / "roc.png"))
    made.append(plots.pr_curves(curves, out_dir / "pr.png"))
    cal = [c for c in curves if not c[0].startswith("HealthStory")]
    made.append(plots.calibration_curves(cal, out_dir / "calibration.png"))

    panels: list[tuple[str, dict[str, np.ndarray]]] = []
    if "sondhi_cv_oof" in cv_out:
        y_true, oof = cv_out["sondhi_cv_oof"]
        s = 100 * (1 - oof)
        panels.append(("Sondhi pages (out-of-fold, stratified CV)",
                       {"reliable": s[y_true == 0], "unreliable": s[y_true == 1]}))
    panels.append(("Held-out clean text and spun versions (shipped model)",
                   {"MedQuAD (NIH)": med.scores, "Cochrane summaries": coch.scores, "spun (synthetic)": spun.scores}))
    if len(hs.scores):
        rho = summary.get("healthstory", {}).get("spearman", float("nan"))
        panels.append((f"HealthStory news by expert rating (shipped model; Spearman {rho:.2f})",
                       {name: hs.scores[(ratings >= lo) & (ratings < hi)] for name, lo, hi in RATING_BANDS}))
    if "ablation" in cv_out:
        panels.append(("Project's labeled pages (held out of training)", cv_out["ablation"]["labeled_scores"]))
    made.append(plots.score_distributions(panels, th, out_dir / "score_distributions.png"))
    if "permutation_importance" in summary:
        made.append(plots.feature_importance(summary["permutation_importance"], summary.get("top_words"),
                                             out_dir / "feature_importance.png"))
    if "ablation" in summary:
        made.append(plots.ablation_chart(summary["ablation"]["rows"], out_dir / "ablation.png"))
    return [Path(m).name for m in made]




def headline(summary: dict[str, Any]) -> dict[str, Any]:
    """The figures the issue asks for, as the CLI prints them."""
    out: dict[str, Any] = {"model_version": summary.get("model_version")}
    for key in ("sondhi_cv", "sondhi_site_cv"):
        if key in summary:
            out[key] = {k: summary[key].get(k) for k in ("accuracy", "roc_auc", "f1_unreliable")}
    if "healthstory" in summary:
        out["healthstory"] = {k: summary["healthstory"].get(k) for k in ("spearman", "spearman_ci95", "roc_auc")}
    for key in ("medquad_ok_rate", "cochrane_ok_rate", "onestop_ok_rate", "brier"):
        out[key] = summary.get(key)
    return out
