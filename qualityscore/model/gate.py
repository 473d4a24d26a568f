"""The evaluation gate: minimum metrics pinned in ``evaluation/baseline.json`` beside the
digests of the corpora they were measured on; the shipped model must meet them.

Fast by design (well under a minute): it scores a fixed sample of the held-out NIH and
Cochrane texts and of the Sondhi pages with the model, and reads the cross-validation
figures recorded with the model (bundle metadata) and its card (``evaluate
--update-card``) instead of refitting. Lowering a pin is a deliberate change, recorded in
the baseline's ``changes`` (see evaluation/README.md).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..page import Page
from . import corpora
from .corpora import stable_fraction


def baseline_path() -> Path:
    return corpora.project_root() / "evaluation" / "baseline.json"


def load_baseline(path: Path | None = None) -> dict[str, Any]:
    return json.loads((path or baseline_path()).read_text("utf-8"))


def resources_key(bundle) -> str:  # type: ignore[no-untyped-def]
    """Features depend on the model only through its spin resources, made at training."""
    meta = bundle.metadata
    key = [meta.get("created"), meta.get("training_data", {}).get("spin_resources_digest")]
    return hashlib.sha1(json.dumps(key).encode()).hexdigest()


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "pass" | "fail" | "skip"
    measured: Any = None
    minimum: Any = None
    note: str = ""


@dataclass
class GateReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "fail"]

    def render(self) -> str:
        def fmt(v: Any) -> str:
            return f"{v:.4f}" if isinstance(v, float) else str(v)

        lines = [f"{c.status.upper():4}  {c.name}: {fmt(c.measured)} (minimum {fmt(c.minimum)})"
                 + (f"  {c.note}" if c.note else "") for c in self.checks]
        return "\n".join(lines)


@dataclass
class GateSample:
    """The fixed texts the gate scores, with their model input computed once."""

    resources: str
    inputs: dict[str, np.ndarray]  # sample name -> design matrix
    labels: dict[str, np.ndarray]  # sample name -> 1 = low quality
    digests: dict[str, str]  # digests of the corpora as read now
    words: dict[str, list[int]]  # sample name -> each page's words (Analysis.words)


def build_sample(bundle, baseline: dict[str, Any], data_dir: Path | None = None, *, n_jobs: int = 1) -> GateSample:  # type: ignore[no-untyped-def]
    """Read the corpora once, pick the fixed sample, compute its model input.

    One process by default: for a few hundred texts, starting workers costs more than it saves.
    """
    from .evaluate import heldout_clean, page_design_matrix, word_counts
    from .features import page_of
    from .train import corpus_digest

    data_dir = data_dir or corpora.default_data_dir()
    spec = baseline["sample"]
    med_all = list(corpora.medquad(data_dir))
    coch_all = list(corpora.cochrane(data_dir))
    sondhi_all = list(corpora.sondhi(data_dir))
    digests = {"medquad": corpus_digest(med_all), "cochrane_pls": corpus_digest(coch_all),
               "sondhi": corpus_digest(sondhi_all)}
    clean = heldout_clean(data_dir, max_per_corpus=max(spec["medquad"], spec["cochrane_pls"]),
                          medquad=med_all, cochrane=coch_all)
    chosen: dict[str, list[Page]] = {
        "medquad": [Page(text=s.content, source=s.id) for s in clean["medquad"][: spec["medquad"]]],
        "cochrane_pls": [Page(text=s.content, source=s.id) for s in clean["cochrane_pls"][: spec["cochrane_pls"]]],
    }
    if spec.get("onestop"):
        from .evaluate import heldout_news

        news_all = list(corpora.onestop(data_dir))
        digests["onestop"] = corpus_digest(news_all)
        chosen["onestop"] = [Page(text=s.content, source=s.id)
                             for s in heldout_news(data_dir, max_texts=spec["onestop"], onestop=news_all)]
    labels = {name: np.zeros(len(pages)) for name, pages in chosen.items()}
    per_class = spec["sondhi_per_class"]
    sondhi: list[corpora.Sample] = []
    for label in (corpora.HIGH, corpora.LOW):
        rows = sorted((s for s in sondhi_all if s.label == label), key=lambda s: stable_fraction("gate/" + s.id))
        sondhi += rows[:per_class]
    chosen["sondhi"] = [page_of(s) for s in sondhi]
    labels["sondhi"] = np.asarray([s.label for s in sondhi], dtype=float)
    names = list(chosen)
    X = page_design_matrix(bundle, [p for n in names for p in chosen[n]], n_jobs=n_jobs)
    inputs, start = {}, 0
    for n in names:
        inputs[n] = X[start : start + len(chosen[n])]
        start += len(chosen[n])
    return GateSample(resources=resources_key(bundle), inputs=inputs, labels=labels, digests=digests,
                      words={n: word_counts(chosen[n]) for n in names})


def _at_least(name: str, measured: float | None, minimum: float | None, note: str = "") -> Check:
    if minimum is None:
        return Check(name, "skip", measured, minimum, "no pin")
    if measured is None:
        return Check(name, "fail", measured, minimum, note or "not measured")
    return Check(name, "pass" if measured >= minimum else "fail", measured, minimum, note)


def check_gate(
    bundle,  # type: ignore[no-untyped-def]
    baseline: dict[str, Any],
    *,
    sample: GateSample | None = None,
    card: dict[str, Any] | None = None,
    data_dir: Path | None = None,
) -> GateReport:
    """Every pinned minimum against this bundle; ``sample`` is reused when its features fit."""
    from threadpoolctl import threadpool_limits

    from ..scorer import decision_for
    from ..settings import DEFAULT_SETTINGS

    if sample is None or sample.resources != resources_key(bundle):
        sample = build_sample(bundle, baseline, data_dir)
    mins = baseline["minimums"]
    report = GateReport()
    pinned = baseline["corpus_digests"]
    changed = sorted(k for k, v in sample.digests.items() if pinned.get(k) != v)
    report.checks.append(Check(
        "corpus_digests", "fail" if changed else "pass", ", ".join(changed) or "unchanged", "as pinned",
        f"corpora changed ({', '.join(changed)}): the pins no longer apply; re-measure and re-pin deliberately"
        if changed else ""))
    trained = bundle.metadata.get("training_data", {}).get("digests", {})
    differs = sorted(k for k, v in pinned.items() if trained.get(k) != v)
    report.checks.append(Check(
        "training_data_digests", "fail" if differs else "pass", ", ".join(differs) or "as pinned", "as pinned",
        "the model was trained on other data than the baseline was measured with" if differs else ""))

    # The Scorer's own decision rule, with the bundle's thresholds and the default
    # settings, without building its signal set (which the sample's precomputed features
    # make unnecessary).
    th = bundle.thresholds
    cuts = {"review_below": float(th.get("review_below", 50.0)),
            "reject_below": float(th.get("reject_below", 20.0)),
            "min_words_to_pass": DEFAULT_SETTINGS.min_words_to_pass}

    def decisions(name: str) -> tuple[np.ndarray, list[str]]:
        X = sample.inputs[name]
        with threadpool_limits(1):
            p = bundle.model.predict_proba(X)[:, 1] if len(X) else np.zeros(0)
        return p, [decision_for(100.0 * (1.0 - float(x)), n, **cuts)
                   for x, n in zip(p, sample.words[name], strict=True)]

    for name, key in (("medquad", "medquad_ok_rate"), ("cochrane_pls", "cochrane_ok_rate"),
                      ("onestop", "onestop_ok_rate")):
        if name not in sample.inputs:
            continue
        _, d = decisions(name)
        rate = sum(x == "ok" for x in d) / len(d) if d else None
        report.checks.append(_at_least(key, rate, mins.get(key), f"n = {len(d)} held-out texts"))
    p, _ = decisions("sondhi")
    y = sample.labels["sondhi"]
    acc = float(np.mean((p >= 0.5) == (y == 1))) if len(p) else None
    report.checks.append(_at_least("sondhi_sample_accuracy", acc, mins.get("sondhi_sample_accuracy"),
                                   f"n = {len(p)} Sondhi pages (training pages: a floor, not a CV figure)"))

    recorded = bundle.metadata.get("metrics", {}).get("sondhi_cv") or {}
    for key in ("accuracy", "roc_auc"):
        report.checks.append(_at_least(f"sondhi_cv_{key}", recorded.get(key), mins.get(f"sondhi_cv_{key}"),
                                       "recorded with the model at training" if recorded else
                                       "no CV recorded with the model: train with --cv"))
    ev = (card or {}).get("evaluation") or {}
    site = ev.get("sondhi_site_cv") or {}
    if ev and ev.get("model_created") == bundle.metadata.get("created") and site:
        report.checks.append(_at_least("sondhi_site_cv_accuracy", site.get("accuracy"),
                                       mins.get("sondhi_site_cv_accuracy"), "from the model card's evaluation"))
    else:
        report.checks.append(Check("sondhi_site_cv_accuracy", "skip", None, mins.get("sondhi_site_cv_accuracy"),
                                   "the model card has no evaluation of this model: run "
                                   "`qualityscore evaluate --update-card`"))
    return report


def pins_below_goals(baseline: dict[str, Any]) -> list[str]:
    """Pins lower than the issue's goals that no entry in ``changes`` explains."""
    explained = {c.get("pin") for c in baseline.get("changes", []) if c.get("why")}
    return [k for k, goal in baseline.get("goals", {}).items()
            if baseline["minimums"].get(k, goal) < goal and k not in explained]


def run_gate(data_dir: Path | None = None, model_path: Path | None = None, *, n_jobs: int = 1) -> GateReport:
    """The gate for a model file (default: the shipped one), as ``evaluate --gate`` runs it."""
    from .bundle import default_model_path, load_bundle
    from .card import read_card

    path = Path(model_path) if model_path else default_model_path()
    bundle = load_bundle(path)
    baseline = load_baseline()
    sample = build_sample(bundle, baseline, data_dir, n_jobs=n_jobs)
    return check_gate(bundle, baseline, sample=sample, card=read_card(path))
