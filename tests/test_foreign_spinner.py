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


def _aiksaurus_files(folder, words: list[str], groups: list[list[int]]) -> None:  # type: ignore[no-untyped-def]
    """Aiksaurus's two data files: each group's first two numbers are its title words."""
    import struct

    member_of: list[list[int]] = [[] for _ in words]
    for g, members in enumerate(groups):
        for m in members:
            member_of[m].append(g)
    folder.mkdir()
    (folder / "words.dat").write_bytes(b"".join(
        w.replace(" ", ":").encode("latin-1") + b"\0" + struct.pack(f">{len(gs) + 1}H", *gs, 0xFFFF)
        for w, gs in zip(words, member_of, strict=True)))
    (folder / "meanings.dat").write_bytes(b"".join(
        struct.pack(f">{len(m) + 3}H", m[0], m[1], *m, 0xFFFF) for m in groups))


def test_aiksaurus_reader_joins_every_group_a_word_belongs_to(tmp_path) -> None:  # type: ignore[no-untyped-def]
    evaluation_script("foreign_spinner")
    coverage = sys.modules["thesaurus_coverage"]
    words = ["Abaddon", "low spirits", "depression", "despair", "slump", "gloom"]
    folder = tmp_path / "aiksaurus"
    _aiksaurus_files(folder, words, [[2, 3, 1, 5], [4, 2]])
    thes = coverage.read_aiksaurus(folder)
    assert thes["depression"] == {"despair", "low spirits", "gloom", "slump"}  # both groups, not itself
    assert thes["slump"] == {"depression"}
    assert thes["low spirits"] == {"depression", "despair", "gloom"}  # ":" is a space
    assert "abaddon" not in thes  # in no group


def test_foreign_spinner_with_aiksaurus_skips_without_it(tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    fs = evaluation_script("foreign_spinner")
    monkeypatch.setattr(fs, "AIKSAURUS", tmp_path / "absent")
    monkeypatch.chdir(tmp_path)
    assert fs.main(["--thesaurus", "aiksaurus"]) == 0
    assert "apt-get install libaiksaurus-1.2-data" in capsys.readouterr().err
    assert not (tmp_path / "evaluation").exists()
