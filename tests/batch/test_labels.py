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
