"""train --labeled FILE: the user's own labeled pages join training, or training stops
at once with the file and line that cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qualityscore.cli import main
from qualityscore.model.corpora import HIGH, LOW, LabeledFileError, user_labeled

LEAFLET = ("Asthma is a long-term condition of the airways. Use your preventer inhaler every day, "
           "even when you feel well, and see your nurse once a year to review your plan.")
SPAM = "Cure asthma forever with our herbal drops! Order today and save 50%. Doctors hate it."


def _write(path: Path, rows: list[object]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), "utf-8")
    return path


def test_every_schema_is_read_with_its_label_and_kind(tmp_path: Path) -> None:
    f = _write(tmp_path / "ours.jsonl", [
        {"id": "a", "label": "high", "text": LEAFLET},
        {"id": "b", "label": "spam", "html": f"<html><body><p>{SPAM}</p></body></html>"},
        {"label": 0, "content": LEAFLET, "format": "text"},
        "",
        {"id": 7, "label": True, "content": f"<p>{SPAM}</p>", "format": "html"},
    ])
    rows = user_labeled(f)
    assert [(r.id, r.label, r.is_html, r.corpus) for r in rows] == [
        ("user/a", HIGH, False, "user"), ("user/b", LOW, True, "user"),
        ("user/ours.jsonl:3", HIGH, False, "user"), ("user/7", LOW, True, "user"),
    ]
    assert all(r.group == r.id for r in rows)


@pytest.mark.parametrize(("line", "message"), [
    ("{not json", ":1: not valid JSON"),
    (json.dumps(["a list"]), ":1: not a JSON object"),
    (json.dumps({"label": "maybe", "text": LEAFLET}), ":1: label 'maybe' is not one of"),
    (json.dumps({"text": LEAFLET}), ":1: label None is not one of"),
    (json.dumps({"label": "low", "text": "   "}), ":1: no page"),
    (json.dumps({"label": "low", "content": SPAM}), ":1: no page"),  # content without a format
])
def test_a_line_that_does_not_fit_stops_training_with_its_place(tmp_path: Path, line: str, message: str) -> None:
    f = _write(tmp_path / "bad.jsonl", [line])
    with pytest.raises(LabeledFileError, match=message.replace("(", r"\(")):
        user_labeled(f)


def test_duplicate_ids_and_empty_files_are_refused(tmp_path: Path) -> None:
    dup = _write(tmp_path / "dup.jsonl", [{"id": "x", "label": "low", "text": SPAM},
                                          {"id": "x", "label": "high", "text": LEAFLET}])
    with pytest.raises(LabeledFileError, match=":2: id 'x' appears twice"):
        user_labeled(dup)
    with pytest.raises(LabeledFileError, match="no labeled pages"):
        user_labeled(_write(tmp_path / "empty.jsonl", [""]))


def test_user_pages_join_the_training_set_as_html_and_as_text(tmp_path: Path) -> None:
    from qualityscore.model.train import build_training_set, corpus_digest

    f = _write(tmp_path / "ours.jsonl", [{"id": "a", "label": "high", "text": LEAFLET},
                                         {"id": "b", "label": "low", "html": f"<html><body><p>{SPAM}</p></body></html>"}])
    empty = tmp_path / "data"
    empty.mkdir()
    ts = build_training_set(empty, user=[f])
    users = [(c, y) for c, y in zip(ts.corpus, ts.labels, strict=True) if c.startswith("user")]
    assert sorted(users) == [("user", HIGH), ("user", LOW), ("user_text", LOW)]
    assert ts.digests["user:ours.jsonl"] == corpus_digest(user_labeled(f))
    without = build_training_set(empty)
    assert "user:ours.jsonl" not in without.digests and len(without.corpus) == len(ts.corpus) - 3


def test_train_refuses_a_bad_labeled_file_before_any_work(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", [{"id": "a", "label": "?", "text": LEAFLET}])
    res = CliRunner().invoke(main, ["train", "--data-dir", str(tmp_path), "--labeled", str(bad),
                                    "--out", str(tmp_path / "m.skops")])
    assert res.exit_code == 2, res.output
    assert "bad.jsonl:1: label '?' is not one of" in res.output
    assert not (tmp_path / "m.skops").exists()
