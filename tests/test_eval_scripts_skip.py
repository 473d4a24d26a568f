"""Evaluation scripts skip cleanly, with a message and exit status 0, without the corpora."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from qs_testkit import ROOT

from qualityscore.model.corpora import data_dir_with

SCRIPTS = ("cv_noise", "foreign_spinner", "lexicon_holdout", "pair_fluency", "repetitive_text", "research_prose", "short_pages",
           "spin_evidence", "spin_heldout", "spin_register", "vote_grid")


def test_data_dir_with_names_the_folder_or_says_why_not(tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALITYSCORE_DATA", str(tmp_path))
    (tmp_path / "medquad").mkdir()
    assert data_dir_with("medquad") == tmp_path
    assert capsys.readouterr().err == ""
    assert data_dir_with("medquad", "sondhi", nothing_to="evaluate") is None
    assert capsys.readouterr().err == f"corpora not found under {tmp_path}: nothing to evaluate\n"


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_without_corpora_says_so_and_exits_0(name: str, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALITYSCORE_DATA", str(tmp_path / "absent"))
    monkeypatch.syspath_prepend(str(ROOT / "evaluation"))
    spec = importlib.util.spec_from_file_location(f"_eval_{name}", ROOT / "evaluation" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    monkeypatch.setitem(sys.modules, spec.name, module)  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    out_file = tmp_path / "report.json"
    argv = ["--out", str(out_file)]
    if name == "foreign_spinner":
        argv = []  # its thesaurus check comes first and may skip on its own
    assert module.main(argv) == 0
    assert "nothing to" in capsys.readouterr().err
    assert not out_file.exists()
