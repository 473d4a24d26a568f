"""Counts over a finished batch: per decision, per error type, per reason (rule code),
and, for a labeled queue (``--label-field``), how the scores and decisions agree with
the labels.

Built from the output rows themselves while they are assembled, so a resumed run's
summary covers every row, including those scored before the interruption.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..labels import label_class

DECISIONS = ("ok", "review", "reject")
# Rules listed in the text summary (the JSON summary has them all).
TEXT_TOP_RULES = 10
# Targets of the score cuts suggested for a labeled queue (LabelStats.cuts), and the
# fewest flags a precision is trusted on (as train.choose_thresholds).
PRECISION_TARGETS = (0.95, 0.99)
RECALL_TARGETS = (0.9, 0.97)
MIN_FLAGGED = 5


@dataclass
class LabelStats:
    """Scores and decisions against the labels, in constant memory.

    Scores are counted per label in 0.1-point bins (the output's own rounding), so the
    ROC-AUC is the exact Mann-Whitney statistic of the scores as written."""

    rows: Counter[str] = field(default_factory=Counter)  # low / high / unknown / missing
    errors: Counter[str] = field(default_factory=Counter)  # error rows per label class
    decisions: Counter[tuple[str, str]] = field(default_factory=Counter)  # (label, decision)
    bins: dict[str, list[int]] = field(default_factory=lambda: {"low": [0] * 1001, "high": [0] * 1001})

    def add(self, label: Any, score: float | None, decision: str | None, error: bool) -> None:
        cls = label_class(label)
        key = cls or ("missing" if label is None or str(label).strip() == "" else "unknown")
        self.rows[key] += 1
        if cls is None:
            return
        if error or score is None:
            self.errors[cls] += 1
            return
        self.bins[cls][min(max(round(float(score) * 10), 0), 1000)] += 1
        if decision:
            self.decisions[cls, decision] += 1

    def roc_auc(self) -> float | None:
        """P(a low page scores below a high one), ties counting half."""
        low, high = self.bins["low"], self.bins["high"]
        n_low, n_high = sum(low), sum(high)
        if not n_low or not n_high:
            return None
        above, total = n_high, 0.0
        for b in range(1001):
            above -= high[b]
            total += low[b] * (above + 0.5 * high[b])
        return total / (n_low * n_high)

    def flagging(self, flagged: tuple[str, ...]) -> dict[str, Any]:
        """Precision and recall of treating ``flagged`` decisions as "low quality"."""
        tp = sum(self.decisions["low", d] for d in flagged)
        fp = sum(self.decisions["high", d] for d in flagged)
        low = sum(self.decisions["low", d] for d in DECISIONS)
        return {"flagged": tp + fp, "precision": tp / (tp + fp) if tp + fp else None,
                "recall": tp / low if low else None}

    def cuts(self) -> dict[str, dict[str, float] | None]:
        """Score cuts for your queue: flagging every page that scores below ``below``,

        * ``precision_P``: the highest cut whose flags are low quality with precision >= P
          (at least MIN_FLAGGED flags), for ``--reject-below``;
        * ``recall_R``: the lowest cut that flags >= R of the low-quality pages, for
          ``--review-below``;

        each with the precision and recall it gives. None when no cut reaches the target.
        Computed on the written scores (0.1 points), as ``roc_auc``."""
        low, high = self.bins["low"], self.bins["high"]
        n_low = sum(low)
        out: dict[str, dict[str, float] | None] = {}
        if not n_low:
            return {f"precision_{p}": None for p in PRECISION_TARGETS} | {f"recall_{r}": None for r in RECALL_TARGETS}
        points = []  # (cut, precision, recall) for "score < cut", cut = 0.1 .. 100.1
        tp = fp = 0
        for b in range(1001):
            tp, fp = tp + low[b], fp + high[b]
            if tp + fp:
                points.append((round((b + 1) / 10, 1), tp / (tp + fp), tp / n_low, tp + fp))
        for p in PRECISION_TARGETS:
            ok = [pt for pt in points if pt[1] >= p and pt[3] >= MIN_FLAGGED]
            out[f"precision_{p}"] = _cut(ok[-1]) if ok else None
        for r in RECALL_TARGETS:
            ok = [pt for pt in points if pt[2] >= r]
            out[f"recall_{r}"] = _cut(ok[0]) if ok else None
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": {k: self.rows.get(k, 0) for k in ("low", "high", "unknown", "missing")},
            "error_rows": {k: self.errors.get(k, 0) for k in ("low", "high")},
            "roc_auc": self.roc_auc(),
            "decisions": {lab: {d: self.decisions.get((lab, d), 0) for d in DECISIONS} for lab in ("low", "high")},
            "review_or_reject": self.flagging(("review", "reject")),
            "reject": self.flagging(("reject",)),
            "cuts": self.cuts(),
        }


def _cut(point: tuple[float, float, float, int]) -> dict[str, float]:
    below, precision, recall, _ = point
    return {"below": below, "precision": precision, "recall": recall}


@dataclass
class Summary:
    records: int = 0
    scored: int = 0
    errors: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    error_types: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    info: dict[str, Any] = field(default_factory=dict)
    label_field: str | None = None  # the kept column that holds each record's label
    labels: LabelStats = field(default_factory=LabelStats)

    def add(self, decision: str | None, error_type: str | None, reasons: Any,
            score: float | None = None, label: Any = None) -> None:
        self.records += 1
        if self.label_field is not None:
            self.labels.add(label, score, decision, bool(error_type))
        if error_type:
            self.errors += 1
            self.error_types[error_type] += 1
            return
        self.scored += 1
        if decision:
            self.decisions[decision] += 1
        for rule in reasons or ():
            self.rules[rule] += 1

    def to_dict(self) -> dict[str, Any]:
        observe_only = bool(self.info.get("observe_only"))
        return {
            "records": self.records,
            "scored": self.scored,
            "errors": self.errors,
            "decisions": {} if observe_only else {d: self.decisions.get(d, 0) for d in DECISIONS},
            "error_types": dict(_ranked(self.error_types)),
            "top_rules": dict(_ranked(self.rules)),
            **({"labels": {"field": self.label_field, **self.labels.to_dict()}}
               if self.label_field is not None else {}),
            **self.info,
        }

    def to_text(self) -> str:
        info = self.info
        elapsed = float(info.get("elapsed_seconds") or 0.0)
        rate = f", {self.records / elapsed:,.1f} records/s" if elapsed > 0 else ""
        lines = [
            f"qualityscore batch: {self.records:,} records in {elapsed:.1f} s{rate}"
            f" -> {info.get('output', '')}"
        ]
        if info.get("resumed_chunks"):
            lines.append(
                f"  resumed     {info['resumed_chunks']} of {info.get('chunks', '?')} chunks "
                "were already done"
            )
        if info.get("observe_only"):
            lines.append(f"  scored      {self.scored:,} (observe only: no decisions)")
        else:
            lines.append(
                "  decisions   " + " · ".join(f"{d} {self.decisions.get(d, 0):,}" for d in DECISIONS)
            )
        if self.errors:
            detail = " · ".join(f"{t} {n:,}" for t, n in _ranked(self.error_types))
            lines.append(f"  errors      {self.errors:,}: {detail}")
        else:
            lines.append("  errors      0")
        if self.rules:
            top = _ranked(self.rules)[:TEXT_TOP_RULES]
            lines.append("  top rules   " + " · ".join(f"{r} {n:,}" for r, n in top))
        if self.label_field is not None:
            lines += self._label_lines()
        lines += [f"  warning     {w}" for w in info.get("warnings", ())]
        return "\n".join(lines)

    def _label_lines(self) -> list[str]:
        d = self.labels.to_dict()
        rows, errs = d["rows"], d["error_rows"]
        odd = "".join(f" · {k} {rows[k]:,}" for k in ("unknown", "missing") if rows[k])
        lines = [f"  labels      low {rows['low']:,} · high {rows['high']:,}{odd} (column {self.label_field!r})"]
        if errs["low"] or errs["high"]:
            lines.append(f"              errors: {errs['low']:,} of the low, {errs['high']:,} of the high")
        auc = d["roc_auc"]
        lines.append("  vs labels   ROC-AUC " + (f"{auc:.3f}" if auc is not None else "n/a (needs both labels)"))
        if not self.info.get("observe_only"):
            for name, key in (("review+reject", "review_or_reject"), ("reject", "reject")):
                f = d[key]
                lines.append(f"              {name}: precision {_share(f['precision'])}, "
                             f"recall {_share(f['recall'])} ({f['flagged']:,} flagged)")
        for i, (key, cut) in enumerate(d["cuts"].items()):
            kind, target = key.split("_")
            which = "highest" if kind == "precision" else "lowest"
            head = "  cuts        " if i == 0 else "              "
            if cut is None:
                lines.append(f"{head}no cut reaches {kind} {target}")
            else:
                lines.append(f"{head}{which} with {kind} >= {target}: score < {cut['below']:g} "
                             f"(precision {cut['precision']:.3f}, recall {cut['recall']:.3f})")
        return lines


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
