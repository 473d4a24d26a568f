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


REPORTS = ROOT / "evaluation" / "reports"


def _report(name: str) -> dict:
    return json.loads((REPORTS / f"{name}.json").read_text("utf-8"))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_the_readme_spin_section_quotes_the_committed_spin_heldout_report() -> None:
    """The issue's headline figures for spin on unseen vocabulary come from its report."""
    r = _report("spin_heldout")
    section = README.split("### Spin detection", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    expected = {
        "span recall": f"**{r['span_recall']:.3f}**",
        "document false-positive rate": f"**{r['doc_fpr']:.3f}**",
        "flagged spans per 2,000 words": f"**{r['flags_per_2000_words']:.2f}**",
        "the `suggestion`": f"**{r['suggestion_precision']:.3f}**",
        "spin findings on the spun texts": _pct(r["finding_precision_on_spun_pages"]),
        "spun texts with at least one": _pct(r["spun_doc_recall"]),
        "*ceiling*": f"{r['tagger_evidence']['ceiling_tuned_on_evaluation']['span_recall']:.3f}",
    }
    wrong = {}
    for label, value in expected.items():
        [row] = [x for x in rows if x.startswith(f"| {label}")]
        if not row.split("|")[2].strip().startswith(value):
            wrong[label] = (row.split("|")[2].strip()[:40], value)
    assert not wrong, f"README spin section disagrees with spin_heldout.json: {wrong}"
    assert f"{100 * r['suggestion_coverage']:.1f}% do" in section


def test_the_readme_results_quote_the_committed_spinner_reports() -> None:
    """Each spun-page row of the Results table starts with its report's figure at the
    middle rate, and names the other two rates' figures."""
    rows = _results_rows()
    cases = {
        "held-out NIH/Cochrane texts spun with the held-out half": "foreign_spinner",
        "… the same, spun with a Moby thesaurus": "foreign_spinner_aiksaurus",
        "… HealthStory's 4–5-star stories spun": "foreign_spinner_healthstory",
        "… the same stories spun with Moby": "foreign_spinner_aiksaurus_healthstory",
        "… held-out general news spun": "foreign_spinner_news",
    }
    wrong = {}
    for label, name in cases.items():
        rates = list(_report(name)["rates"].values())
        shown = _row(rows, label)
        light, medium, heavy = (_pct(x["not_ok"]) for x in rates)
        if not (shown.lstrip("*").startswith(medium) and heavy in shown and light in shown):
            wrong[label] = (shown[:60], (light, medium, heavy))
    assert not wrong, f"README Results rows disagree with the foreign_spinner reports: {wrong}"
