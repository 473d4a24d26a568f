"""evaluation/foreign_spinner.py: what it reads from the thesaurus, and a clean skip
without it (CI has no Debian thesaurus)."""

from __future__ import annotations

import sys

from qs_testkit import evaluation_script


def test_foreign_spinner_swaps_only_synonyms_and_skips_without_its_thesaurus(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    fs = evaluation_script("foreign_spinner")
    coverage = sys.modules["thesaurus_coverage"]
    dat = tmp_path / "th.dat"
    dat.write_text(
        "UTF-8\ncondition|2\n(noun)|status|shape|circumstance (generic term)|term (related term)\n"
        "(verb)|train|uncondition (antonym)\n", "utf-8")
    assert coverage.read_mythes(dat, synonyms_only=True)["condition"] == {"status", "shape", "train"}
    assert {"circumstance", "term", "uncondition"} <= coverage.read_mythes(dat)["condition"]

    monkeypatch.setattr(fs, "MYTHES", tmp_path / "absent.dat")
    out = tmp_path / "report.json"
    assert fs.main(["--out", str(out)]) == 0
    assert "apt-get install mythes-en-us" in capsys.readouterr().err
    assert not out.exists()
