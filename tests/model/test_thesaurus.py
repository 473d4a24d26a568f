"""The thesaurus spinner and its packaged training half (no corpus needed)."""

from __future__ import annotations

import random

from qualityscore.model.corpora import Sample
from qualityscore.model.spinner import ThesaurusSpinner
from qualityscore.model.train import NOT_FOR_WORDS, thesaurus_spam
from qualityscore.text import STOPWORDS
from qualityscore.thesaurus import (
    held_out,
    load_thesaurus,
    spinner_choices,
    thesaurus_digest,
    write,
)


def test_the_packaged_thesaurus_holds_only_the_training_half() -> None:
    """The held-out half is what evaluation/foreign_spinner.py spins with: a held-out
    headword in the training file would let the model see the swaps it is judged on."""
    thesaurus = load_thesaurus()
    assert len(thesaurus) > 10_000
    assert len(thesaurus_digest()) == 16
    assert not [w for w in thesaurus if held_out(w)]
    assert sum(held_out(w) for w in ("condition", "doctor", "treatment", "pain", "risk", "care",
                                     "likely", "present", "common", "people")) not in (0, 10)
    for head, syns in thesaurus.items():
        assert head not in STOPWORDS and head.isalpha() and len(head) >= 3
        assert syns and head not in syns


def test_spinner_choices_keep_what_a_spinner_swaps_in() -> None:
    raw = {
        "condition": {"status", "shape", "condition", "conditions", "experimental condition",
                      "force per unit area", "type-2", "Hague"},
        "the": {"that"},
        "ok": {"fine"},
        "Paris": {"capital"},
    }
    assert spinner_choices(raw, STOPWORDS) == {
        "condition": ("experimental condition", "shape", "status"),
    }


def test_thesaurus_spinner_swaps_listed_words_and_records_where() -> None:
    spinner = ThesaurusSpinner({"condition": ("shape",), "doctor": ("medico",), "likely": ("apt",)})
    text = "Condition A is likely. Ask your DOCTOR, or any doctor."
    out = spinner.spin(text, random.Random(0), 1.0)
    assert out.text == "Shape A is apt. Ask your MEDICO, or any medico."
    assert [(out.text[a:b], w) for a, b, w in out.substitutions] == [
        ("Shape", "condition"), ("apt", "likely"), ("MEDICO", "doctor"), ("medico", "doctor")]
    same = spinner.spin(text, random.Random(0), 0.0)
    assert same.text == text and same.substitutions == ()


def test_thesaurus_spam_is_plain_spun_text_for_the_signal_branch_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    text = ("People with a long-term condition should see a doctor who is likely to explain the "
            "usual treatment and its common side effects.")
    sources = [Sample(id=f"s{i}", corpus="medquad", content=text, is_html=False, label=None, group=f"g{i}")
               for i in range(40)]
    pages = thesaurus_spam(sources, seed=3, share=0.5)
    assert 10 < len(pages) < 30, "about half of the sources"
    assert all(not p.is_html and p.text != text for p, _ in pages)
    assert "synthetic_spun_thesaurus" in NOT_FOR_WORDS
    assert "synthetic_spun_news" in NOT_FOR_WORDS  # the training news spun the same way
    assert "synthetic_spun_research" in NOT_FOR_WORDS  # and the training research prose
    # write/load round trip of the file format
    path = tmp_path / "t.tsv"
    assert write({"b": ("y", "x z"), "a": ("q",)}, path) == 2
    assert path.read_text("utf-8") == "a\tq\nb\ty|x z\n"
