"""The README's example output is the shipped model's real output, not a stale copy.

After a retrain the scores in the README's first-command table and its JSON example can
drift (a page at 91.6 prints 92); these tests fail until the README is updated.
"""

from __future__ import annotations

import json
import re

from qs_testkit import ROOT

from qualityscore import Scorer

README = (ROOT / "README.md").read_text("utf-8")


def test_the_first_command_table_in_the_readme_is_the_real_output(scorer: Scorer) -> None:
    block = README.split("What the first command prints", 1)[1].split("```", 2)[1]
    rows = re.findall(r"│ (labeled/examples/\S+)\s*│\s*(\d+) │ (\w+)\s*│", block)
    assert [path for path, _, _ in rows] == ["labeled/examples/spun-remedy.html", "labeled/examples/leaflet.txt"]
    for path, shown, decision in rows:
        r = scorer.score_source(str(ROOT / path))
        assert (f"{r.score:.0f}", r.decision) == (shown, decision), path


def test_the_json_example_in_the_readme_is_the_real_output(scorer: Scorer) -> None:
    line = next(x for x in README.splitlines() if x.startswith('{"schema_version": 1, "source": "labeled/'))
    shown = json.loads(line)
    real = scorer.score_source(str(ROOT / shown["source"])).to_dict()
    for key in ("score", "probability_low_quality", "decision", "error", "model_version"):
        assert shown[key] == real[key], key
    for name, value in shown["signals"].items():  # the README shows the first few
        assert real["signals"][name] == value, name
    assert shown["findings"] == real["findings"][: len(shown["findings"])]


def _results_rows() -> list[str]:
    section = README.split("### Results", 1)[1].split("\n### ", 1)[0]
    return [line for line in section.splitlines() if line.startswith("| ")]


def _row(rows: list[str], label: str, *, after: int = 0) -> str:
    """The result column of the row that starts with ``label`` (or of the ``after``-th row below it)."""
    [i] = [i for i, r in enumerate(rows) if r.startswith(f"| {label}")]
    return rows[i + after].split("|")[2].strip()


def test_the_readme_results_table_quotes_the_committed_evaluation() -> None:
    """Each headline figure of evaluation/reports/summary.json is in its row of the
    README's Results table, and the section names the evaluated model."""
    summary = json.loads((ROOT / "evaluation" / "reports" / "summary.json").read_text("utf-8"))
    section = README.split("### Results", 1)[1].split("\n### ", 1)[0]
    assert f"`{summary['model_version']}`" in section
    assert summary["model_created"][:19] in section
    rows = _results_rows()
    cv, site, hs = summary["sondhi_cv"], summary["sondhi_site_cv"], summary["healthstory"]
    expected: dict = {
        "Sondhi 5-fold stratified CV": [f"**{cv['accuracy']:.3f}**"],
        "Sondhi 5-fold **site-grouped** CV": [f"**{site['accuracy']:.3f}**"],
        "held-out MedQuAD answers": [f"**{100 * summary['medquad_ok_rate']:.1f}%**"],
        "held-out Cochrane summaries": [f"**{100 * summary['cochrane_ok_rate']:.1f}%**"],
        "held-out **general news**": [f"**{100 * summary['onestop_ok_rate']:.1f}%**"],
        "spun versions of the held-out": [f"{100 * summary['heldout_spun']['flagged_rate']:.1f}%"],
        "promoted versions of the held-out news": [
            f"{100 * summary['heldout_promoted_news']['flagged_rate']:.1f}%"],
        "HealthStory: Spearman": [f"{hs['spearman']:.2f}"],
        "HealthStory: ROC-AUC": [f"{hs['roc_auc']:.3f}"],
    }
    # Each CV's ROC-AUC and F1 are on the row below its accuracy.
    expected["Sondhi 5-fold stratified CV", 1] = [f"{cv['roc_auc']:.3f} / {cv['f1_unreliable']:.3f}"]
    expected["Sondhi 5-fold **site-grouped** CV", 1] = [f"{site['roc_auc']:.3f} / {site['f1_unreliable']:.3f}"]
    wrong = {}
    for key, values in expected.items():
        label, after = key if isinstance(key, tuple) else (key, 0)
        shown = _row(rows, label, after=after)
        if not all(shown.startswith(v) for v in values):
            wrong[key] = (shown, values)
    assert not wrong, f"README Results rows disagree with summary.json: {wrong}"
