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
