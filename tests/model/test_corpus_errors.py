"""train and evaluate refuse a missing, partial or unreadable corpus, and an output they
could not write, before any work: one line and exit 3 (corpus) or 2 (usage)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualityscore.cli import main
from qualityscore.model import corpora


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_train_on_a_folder_without_the_corpora_names_them_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "data" / "sondhi").mkdir(parents=True)  # a partial corpus: one folder of five
    out = tmp_path / "m.skops"
    res = _run("train", "--data-dir", str(tmp_path / "data"), "--out", str(out), "--no-cv")
    assert res.exit_code == 3, res.output
    assert "lacks medquad, cochrane_pls, onestopenglish, medreadme" in res.output
    assert "Traceback" not in res.output and not out.exists()


def test_evaluate_on_a_folder_without_the_corpora_exits_3_and_so_does_the_gate(tmp_path: Path) -> None:
    for args in (["--quick", "--no-plots", "--out", str(tmp_path / "reports")], ["--gate"]):
        res = _run("evaluate", "--data-dir", str(tmp_path), *args)
        assert res.exit_code == 3, res.output
        assert "lacks sondhi" in res.output and "healthstory" in res.output


@pytest.mark.parametrize(("command", "out"), [
    ("train", "{file}/m.skops"),  # a path under a regular file
    ("train", "{tmp}/no/such/folder/m.skops"),
    ("evaluate", "{file}/reports"),
])
def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path: Path, command: str, out: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", "utf-8")
    res = _run(command, "--data-dir", str(tmp_path), "--out", out.format(file=a_file, tmp=tmp_path))
    assert res.exit_code == 2, res.output
    assert "--out" in res.output


def test_a_data_dir_that_is_a_file_is_named_as_such(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", "utf-8")
    res = _run("train", "--data-dir", str(a_file))
    assert res.exit_code == 3 and "is a file, not a corpus folder" in res.output


def test_a_corpus_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    (tmp_path / "cochrane_pls").mkdir()
    bad = tmp_path / "cochrane_pls" / "val.target"
    bad.write_bytes(b"a good summary\n\xff\xfe not text\n")
    with pytest.raises(corpora.CorpusError, match=re.escape(f"{bad} is not UTF-8 text")):
        list(corpora.cochrane(tmp_path))
    (tmp_path / "medreadme").mkdir()
    (tmp_path / "medreadme" / "readability.csv").write_bytes(b"Sentence,Source\n\xff,x\n")
    with pytest.raises(corpora.CorpusError, match=re.escape("readability.csv is not UTF-8 text")):
        list(corpora.medreadme(tmp_path))


def test_a_required_corpus_folder_with_no_records_stops_training_before_any_work(tmp_path: Path) -> None:
    from qualityscore.model.train import build_training_set

    for name in corpora.TRAINING_CORPORA:
        (tmp_path / name).mkdir()
    with pytest.raises(corpora.CorpusError, match="no readable records"):
        build_training_set(tmp_path, require=corpora.TRAINING_CORPORA)
