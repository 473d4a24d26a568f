"""Counts over a finished batch: per decision, per error type, per reason (rule code).

Built from the output rows themselves while they are assembled, so a resumed run's
summary covers every row, including those scored before the interruption.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

DECISIONS = ("ok", "review", "reject")
# Rules listed in the text summary (the JSON summary has them all).
TEXT_TOP_RULES = 10


@dataclass
class Summary:
    records: int = 0
    scored: int = 0
    errors: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    error_types: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    info: dict[str, Any] = field(default_factory=dict)

    def add(self, decision: str | None, error_type: str | None, reasons: Any) -> None:
        self.records += 1
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
        lines += [f"  warning     {w}" for w in info.get("warnings", ())]
        return "\n".join(lines)


def _ranked(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
