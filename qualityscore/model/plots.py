"""The evaluation plots (PNG, matplotlib's Agg backend): ROC, PR, calibration, score
distributions, feature importance, ablation. Needs the ``eval`` extra (matplotlib).

Every function takes plain arrays, writes one file and returns its path; none reads data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# A curve: (label, y_true with 1 = low quality, predicted probability of low quality).
Curve = tuple[str, np.ndarray, np.ndarray]

COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")
REJECT_COLOR, REVIEW_COLOR = "#f4cccc", "#fde9c4"


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({
        "font.size": 11, "axes.titlesize": 13, "axes.labelsize": 11, "legend.fontsize": 9.5,
        "figure.dpi": 110, "savefig.dpi": 110, "axes.grid": True, "grid.alpha": 0.3,
    })
    return plt


def _save(fig, path: Path, *, layout: bool = True) -> str:  # type: ignore[no-untyped-def]
    path.parent.mkdir(parents=True, exist_ok=True)
    if layout:
        fig.tight_layout()
    fig.savefig(path, bbox_inches="tight", facecolor="white")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return str(path)


def roc_curves(curves: Sequence[Curve], path: Path) -> str:
    from sklearn.metrics import roc_auc_score, roc_curve

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    for (label, y, p), color in zip(curves, COLORS, strict=False):
        fpr, tpr, _ = roc_curve(y, p)
        ax.plot(fpr, tpr, color=color, lw=2, label=f"{label}\nAUC {roc_auc_score(y, p):.3f} (n = {len(y):,})")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="chance")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), xlabel="false-positive rate (good pages flagged)",
           ylabel="true-positive rate (low-quality pages flagged)",
           title="ROC: low quality as the positive class")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, framealpha=0.95)
    return _save(fig, path)


def pr_curves(curves: Sequence[Curve], path: Path) -> str:
    from sklearn.metrics import average_precision_score, precision_recall_curve

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    for (label, y, p), color in zip(curves, COLORS, strict=False):
        prec, rec, _ = precision_recall_curve(y, p)
        ax.plot(rec, prec, color=color, lw=2,
                label=f"{label}\nAP {average_precision_score(y, p):.3f} (low-quality share {np.mean(y):.0%})")
        ax.axhline(np.mean(y), color=color, lw=0.8, ls=":")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), xlabel="recall (share of low-quality pages flagged)",
           ylabel="precision (share of flagged pages that are low quality)",
           title="Precision-recall: low quality as the positive class\n(dotted: precision of flagging everything)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, framealpha=0.95)
    return _save(fig, path)


def calibration_curves(curves: Sequence[Curve], path: Path, *, bins: int = 10) -> str:
    plt = _plt()
    fig, (ax, axh) = plt.subplots(2, 1, figsize=(8.5, 10), height_ratios=(3, 1.4), sharex=True)
    edges = np.linspace(0, 1, bins + 1)
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="perfectly calibrated")
    for (label, y, p), color in zip(curves, COLORS, strict=False):
        y, p = np.asarray(y, float), np.asarray(p, float)
        idx = np.clip(np.digitize(p, edges[1:-1]), 0, bins - 1)
        xs, ys, ns = [], [], []
        for b in range(bins):
            m = idx == b
            if m.any():
                xs.append(p[m].mean())
                ys.append(y[m].mean())
                ns.append(m.sum())
        brier = float(np.mean((p - y) ** 2))
        ax.plot(xs, ys, marker="o", color=color, lw=2, label=f"{label}\nBrier {brier:.3f} (n = {len(y):,})")
        axh.hist(p, bins=edges, color=color, histtype="step", lw=2, label=label)
    ax.set(xlim=(0, 1), ylim=(-0.02, 1.02), ylabel="observed share of low-quality pages",
           title=f"Reliability: predicted vs observed ({bins} equal-width bins)")
    handles, labels = ax.get_legend_handles_labels()
    axh.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2, framealpha=0.95)
    axh.set(yscale="log", xlabel="predicted probability of low quality", ylabel="pages (log scale)")
    return _save(fig, path)


def score_distributions(
    panels: Sequence[tuple[str, Mapping[str, np.ndarray]]], thresholds: Mapping[str, Any], path: Path,
) -> str:
    """Box plot plus every page as a dot, per group, with the decision zones shaded."""
    plt = _plt()
    n = len(panels)
    cols = 2 if n > 1 else 1
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(7.2 * cols, 3.6 * rows), squeeze=False)
    reject, review = thresholds.get("reject_below"), thresholds.get("review_below")
    rng = np.random.default_rng(0)
    for ax, (title, groups) in zip(axes.flat, panels, strict=False):
        names = [k for k, v in groups.items() if len(v)]
        data = [np.asarray(groups[k], float) for k in names]
        if reject is not None:
            ax.axvspan(0, reject, color=REJECT_COLOR, zorder=0, label=f"reject (< {reject:g})")
        if review is not None and reject is not None:
            ax.axvspan(reject, review, color=REVIEW_COLOR, zorder=0, label=f"review (< {review:g})")
        if data:
            style = {"widths": 0.55, "showfliers": False, "medianprops": {"color": "black", "lw": 2},
                     "boxprops": {"lw": 1.2}, "whiskerprops": {"lw": 1.2}}
            try:
                ax.boxplot(data, orientation="horizontal", **style)
            except TypeError:  # matplotlib < 3.10
                ax.boxplot(data, vert=False, **style)
        for i, d in enumerate(data):
            jitter = rng.uniform(-0.18, 0.18, len(d))
            ax.scatter(d, i + 1 + jitter, s=6 if len(d) > 300 else 12, alpha=0.35 if len(d) > 300 else 0.6,
                       color=COLORS[i % len(COLORS)], zorder=3, linewidths=0)
        ax.set_yticks(range(1, len(names) + 1))
        ax.set_yticklabels([f"{k}\n(n = {len(d):,})" for k, d in zip(names, data, strict=True)])
        ax.set(xlim=(-1, 101), xlabel="score (0 = spam, 100 = sound)", title=title)
        ax.grid(axis="y", visible=False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.suptitle("Scores by corpus (each dot a page; box: quartiles and median)", fontsize=14)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    if handles:
        fig.legend(handles, labels, loc="lower center", ncol=3, bbox_to_anchor=(0.5, 0.0), framealpha=0.95,
                   title="shaded: decision zones of the shipped model (unshaded: ok)")
    return _save(fig, path, layout=False)


def feature_importance(importance: Mapping[str, Any], words: Mapping[str, Any] | None, path: Path, *, top: int = 15) -> str:
    """Left: permutation importance of signals; right: the text branch's heaviest n-grams."""
    plt = _plt()
    panels = 2 if words else 1
    fig, axes = plt.subplots(1, panels, figsize=(7.2 * panels, 7.0), squeeze=False)
    ax = axes[0, 0]
    feats = list(importance["features"])[:top][::-1]
    vals = [f["log_loss_increase"] for f in feats]
    sds = [f["log_loss_increase_sd"] for f in feats]
    from ..page import FAMILIES

    # One colour per family, the same in every report.
    palette = {fam: COLORS[i % len(COLORS)] for i, fam in enumerate(FAMILIES)}
    colors = [palette.get(f["feature"].split(".")[0], "grey") for f in feats]
    shown = {f["feature"].split(".")[0] for f in feats}
    fam_colors = {fam: c for fam, c in palette.items() if fam in shown}
    ax.barh(range(len(feats)), vals, xerr=sds, color=colors, alpha=0.85, capsize=2)
    ax.set_yticks(range(len(feats)))
    ax.set_yticklabels([f["feature"] for f in feats])
    ax.axvline(0, color="black", lw=0.8)
    ax.set(xlabel="increase in log-loss when the signal is shuffled",
           title=f"Signals: permutation importance (top {len(feats)})\nSondhi, out-of-fold, "
                 f"{importance.get('repeats', 1)} shuffles")
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(color=c, label=f) for f, c in fam_colors.items()], title="family", loc="lower right")
    if words:
        axw = axes[0, 1]
        low = words["toward_low_quality"][:top]
        high = words["toward_high_quality"][:top]
        items = [*high[::-1], *low[::-1]][::-1]
        terms = [t for t, _ in items]
        coefs = [c for _, c in items]
        axw.barh(range(len(items)), coefs, color=[COLORS[1] if c > 0 else COLORS[0] for c in coefs], alpha=0.85)
        axw.set_yticks(range(len(items)))
        axw.set_yticklabels(terms)
        axw.axvline(0, color="black", lw=0.8)
        axw.set(xlabel="logistic-regression weight (> 0: toward low quality)",
                title=f"Words: heaviest n-grams of the shipped text branch\n(top {len(low)} each way)")
        axw.legend(handles=[Patch(color=COLORS[1], label="toward low quality"),
                            Patch(color=COLORS[0], label="toward high quality")], loc="upper right")
    return _save(fig, path)


def ablation_chart(rows: Sequence[Mapping[str, Any]], path: Path) -> str:
    plt = _plt()
    measures = (
        ("sondhi_stratified_cv_accuracy", "Sondhi, stratified CV"),
        ("sondhi_site_cv_accuracy", "Sondhi, site-grouped CV"),
        ("labeled_heldout_accuracy", "labeled pages held out (as given)"),
        ("labeled_text_heldout_accuracy", "labeled pages held out (text only)"),
    )
    fig, ax = plt.subplots(figsize=(9.5, 0.75 * len(rows) + 2.2))
    height = 0.8 / len(measures)
    labels = [r["label"] for r in rows][::-1]
    for m, (key, name) in enumerate(measures):
        vals = [r.get(key) or 0.0 for r in rows][::-1]
        ys = np.arange(len(rows)) - (m - (len(measures) - 1) / 2) * height  # first measure on top
        ax.barh(ys, vals, height=height * 0.95, color=COLORS[m], label=name)
        for yv, v in zip(ys, vals, strict=True):
            ax.text(v + 0.003, yv, f"{v:.3f}", va="center", fontsize=8)
    for sep in np.arange(len(rows) - 1) + 0.5:
        ax.axhline(sep, color="grey", lw=0.6, alpha=0.5)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels(labels)
    lo = min((r.get(k) or 1.0) for r in rows for k, _ in measures)
    ax.set(xlim=(max(0.0, lo - 0.08), 1.04), xlabel="accuracy",
           title="Ablation: what each signal family and branch adds")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, framealpha=0.95)
    return _save(fig, path)
