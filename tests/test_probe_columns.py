"""evaluation/probe_columns.py, the harness of the column probes: the columns it appends,
and that a run never writes over the shipped spin_heldout.json (nothing is trained here)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from qs_testkit import evaluation_script

from qualityscore.signals.spin_model import TOKEN_FEATURES, candidate_positions
from qualityscore.text import Doc


@pytest.fixture(scope="module")
def harness():  # type: ignore[no-untyped-def]
    import sys

    from qs_testkit import ROOT

    sys.path.insert(0, str(ROOT / "evaluation"))  # it imports spin_heldout, as the scripts run
    return evaluation_script("probe_columns")


def test_extra_columns_come_after_the_tagger_features(harness, spin_stats) -> None:  # type: ignore[no-untyped-def]
    def extra(doc, positions, stats):  # type: ignore[no-untyped-def]
        return np.asarray([[float(k), -1.0] for k in positions])

    features = harness.with_columns(extra, 2)
    doc = Doc("Blood pressure readings vary with temper and sleep.")
    pos = candidate_positions(doc)
    X = features(doc, pos, spin_stats, frozenset())
    assert X.shape == (len(pos), len(TOKEN_FEATURES) + 2)
    assert X[:, -2].tolist() == [float(k) for k in pos] and (X[:, -1] == -1).all()
    assert features(Doc(""), [], spin_stats, frozenset()).shape == (0, len(TOKEN_FEATURES) + 2)


def test_a_run_never_writes_over_the_shipped_report_and_says_what_it_added(harness, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    seen: list[list[str]] = []
    patched: list[object] = []
    monkeypatch.setattr(harness, "patch", patched.append)  # the real one patches this process's tagger

    def fake_main(argv):  # type: ignore[no-untyped-def]
        seen.append(argv)
        harness.spin_heldout_out(argv).write_text(json.dumps({"span_recall": 0.5}), encoding="utf-8")
        return 0

    monkeypatch.setattr(harness.spin_heldout, "main", fake_main)
    default = tmp_path / "probe.json"
    assert harness.run(["--docs", "2"], "features", default_out=default, key="probe", info=lambda: {"k": 1}) == 0
    assert harness.spin_heldout_out(seen[0]) == default and patched == ["features"]
    assert json.loads(default.read_text("utf-8")) == {"span_recall": 0.5, "probe": {"k": 1}}
    mine = tmp_path / "mine.json"
    harness.run([f"--out={mine}"], "features", default_out=default, key="probe", info=dict)
    assert seen[1] == [f"--out={mine}"] and json.loads(mine.read_text("utf-8"))["probe"] == {}
    assert harness.spin_heldout_out([]).name == "spin_heldout.json"
