"""batch --label-field: a labeled queue's summary says how scores and decisions agree
with the labels, the same whatever the formats, and nothing is guessed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from batch_testkit import WRITERS, make_records, read_rows, run_batch

from qualityscore.batch.summary import LabelStats
from qualityscore.labels import label_class

LABELS = ("high", "low", "high", "low")  # GOOD, SPUN, GOOD_HTML, SPAM_HTML (batch_testkit.TEXTS)


def _labeled(n: int) -> list[dict[str, Any]]:
    records = make_records(n)
    for i, r in enumerate(records):
        r["label"] = LABELS[i % len(LABELS)]
    # One record of each kind the summary must count apart: an unknown label, no label,
    # and a low-labeled record that cannot be scored.
    records[3]["label"] = "perhaps"
    del records[5]["label"]
    records[7] = {"id": records[7]["id"], "label": "low", "title": "t", "n": 7}
    return records


def _auc(low: list[float], high: list[float]) -> float:
    """P(low < high) + P(tie) / 2, the long way."""
    pairs = [(a < b) + 0.5 * (a == b) for a in low for b in high]
    return sum(pairs) / len(pairs)


@pytest.mark.parametrize(("in_fmt", "out_fmt"), [("jsonl", "jsonl"), ("csv", "csv"), ("parquet", "parquet"),
                                                 ("jsonl", "parquet")])
def test_labeled_summary_agrees_with_the_output_rows(tmp_path: Path, in_fmt: str, out_fmt: str) -> None:
    records = _labeled(20)
    src = WRITERS[in_fmt](tmp_path / f"in.{in_fmt}", records)
    out, summary_path = tmp_path / f"out.{out_fmt}", tmp_path / "summary.json"
    res = run_batch(str(src), "-o", str(out), "--label-field", "label", "--summary-json", str(summary_path),
                    "--chunk-size", "6")
    assert res.exit_code == 2, res.output  # the record with no content is an error row
    rows = read_rows(out)
    assert [r["label"] or None for r in rows] == [r.get("label") for r in records]  # kept in the output
    labels = json.loads(summary_path.read_text("utf-8"))["labels"]

    scored = [(label_class(r["label"]), float(r["score"]), r["decision"]) for r in rows if r["score"] not in (None, "")]
    low = [s for c, s, _ in scored if c == "low"]
    high = [s for c, s, _ in scored if c == "high"]
    assert labels["field"] == "label"
    assert labels["rows"] == {"low": 8, "high": 10, "unknown": 1, "missing": 1}
    assert labels["error_rows"] == {"low": 1, "high": 0}
    assert labels["roc_auc"] == pytest.approx(_auc(low, high))
    for cls in ("low", "high"):
        for d in ("ok", "review", "reject"):
            assert labels["decisions"][cls][d] == sum(c == cls and dd == d for c, _, dd in scored)
    flagged_low = sum(c == "low" and d != "ok" for c, _, d in scored)
    flagged = sum(c in ("low", "high") and d != "ok" for c, _, d in scored)
    f = labels["review_or_reject"]
    assert f["flagged"] == flagged and f["recall"] == pytest.approx(flagged_low / len(low))
    assert f["precision"] == pytest.approx(flagged_low / flagged)
    assert "vs labels   ROC-AUC" in res.output and "labels      low 8 · high 10 · unknown 1 · missing 1" in res.output


def test_without_label_field_the_summary_has_no_label_section(tmp_path: Path) -> None:
    src = WRITERS["jsonl"](tmp_path / "in.jsonl", _labeled(8))
    summary_path = tmp_path / "summary.json"
    res = run_batch(str(src), "-o", str(tmp_path / "out.jsonl"), "--summary-json", str(summary_path))
    assert "labels" not in json.loads(summary_path.read_text("utf-8"))
    assert "vs labels" not in res.output
    assert "label" not in read_rows(tmp_path / "out.jsonl")[0]  # not kept unless asked


@pytest.mark.parametrize(("value", "expected"), [
    ("low", "low"), (" SPAM ", "low"), ("unreliable", "low"), (1, "low"), (1.0, "low"), (True, "low"), ("1", "low"),
    ("high", "high"), ("ham", "high"), ("Reliable", "high"), (0, "high"), (0.0, "high"), (False, "high"),
    ("perhaps", None), (2, None), (0.5, None), ("", None), (None, None),
])
def test_label_values_are_read_never_guessed(value: Any, expected: str | None) -> None:
    assert label_class(value) == expected


def test_auc_from_score_bins_counts_ties_as_half() -> None:
    stats = LabelStats()
    for label, score in (("low", 10.0), ("low", 50.0), ("high", 50.0), ("high", 90.0), ("high", 5.0)):
        stats.add(label, score, "ok", error=False)
    assert stats.roc_auc() == pytest.approx(_auc([10.0, 50.0], [50.0, 90.0, 5.0]))
    assert LabelStats().roc_auc() is None


def _brute_cuts(low: list[float], high: list[float]) -> dict[str, dict[str, float] | None]:
    """The cuts by their definition, trying every cut on the 0.1 grid."""
    points = []
    for k in range(1, 1002):
        c = k / 10
        tp, fp = sum(s < c for s in low), sum(s < c for s in high)
        if tp + fp:
            points.append((round(c, 1), tp / (tp + fp), tp / len(low), tp + fp))
    out: dict[str, dict[str, float] | None] = {}
    for p in (0.95, 0.99):
        ok = [x for x in points if x[1] >= p and x[3] >= 5]
        out[f"precision_{p}"] = {"below": ok[-1][0], "precision": ok[-1][1], "recall": ok[-1][2]} if ok else None
    for r in (0.9, 0.97):
        ok = [x for x in points if x[2] >= r]
        out[f"recall_{r}"] = {"below": ok[0][0], "precision": ok[0][1], "recall": ok[0][2]} if ok else None
    return out


def test_suggested_cuts_are_the_highest_precise_and_the_lowest_covering_cut() -> None:
    import random

    rng = random.Random(3)
    low = [round(min(max(rng.gauss(35, 20), 0), 100), 1) for _ in range(300)]
    high = [round(min(max(rng.gauss(80, 12), 0), 100), 1) for _ in range(500)]
    stats = LabelStats()
    for s in low:
        stats.add("low", s, "ok", error=False)
    for s in high:
        stats.add("high", s, "ok", error=False)
    got, want = stats.cuts(), _brute_cuts(low, high)
    assert got.keys() == want.keys()
    for key in want:
        assert (got[key] is None) == (want[key] is None), key
        if want[key] is not None:
            assert got[key] == pytest.approx(want[key]), key  # type: ignore[arg-type]
    # A target no cut reaches is None, not a made-up cut.
    mixed = LabelStats()
    for s in (10.0, 20.0, 30.0):
        mixed.add("low", s, "ok", error=False)
        mixed.add("high", s, "ok", error=False)
    assert mixed.cuts()["precision_0.95"] is None and mixed.cuts()["recall_0.97"] is not None


def test_a_label_column_named_like_an_output_column_is_a_usage_error(tmp_path: Path) -> None:
    src = WRITERS["jsonl"](tmp_path / "in.jsonl", _labeled(8))
    res = run_batch(str(src), "-o", str(tmp_path / "out.jsonl"), "--label-field", "score")
    assert res.exit_code == 2 and "--label-field score would clash" in res.output
