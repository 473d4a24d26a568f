"""Helpers shared by test modules (importable because pytest's `pythonpath` has tests/)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "labeled" / "examples"


def assert_offsets_round_trip(text: str, findings) -> None:  # type: ignore[no-untyped-def]
    for f in findings:
        assert 0 <= f.start < f.end <= len(text), f
        assert text[f.start : f.end] == f.text, f
        assert f.rule.startswith(f.family + "."), f
