"""Helpers shared by test modules (importable because pytest's `pythonpath` has tests/)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "labeled" / "examples"


def assert_offsets_round_trip(text: str, findings) -> None:  # type: ignore[no-untyped-def]
    for f in findings:
        if f.family == "signals":  # a page signal: page-level evidence, no span
            assert f.start == f.end == 0 and f.text == "", f
        else:
            assert 0 <= f.start < f.end <= len(text), f
        assert text[f.start : f.end] == f.text, f
        assert f.rule.startswith(f.family + "."), f


def evaluation_script(name: str):  # type: ignore[no-untyped-def]
    """Import ``evaluation/<name>.py`` (a script, not a package) as module ``name``."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(name, ROOT / "evaluation" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = module
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def token_rows(text: str):  # type: ignore[no-untyped-def]
    """The spin tagger's feature row of each candidate word of ``text`` (no clean-health
    statistics, the packaged vectors and bigrams), by lower-cased word."""
    from qualityscore.signals.spin_model import HealthStats, candidate_positions, token_features
    from qualityscore.text import Doc

    doc = Doc(text)
    pos = candidate_positions(doc)
    X = token_features(doc, pos, HealthStats(), frozenset())
    return {doc.tokens[k].lower: X[r] for r, k in enumerate(pos)}
