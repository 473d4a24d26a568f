"""evaluation/context_lm.py: the context model's features, and its clean skips."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from qs_testkit import ROOT

from qualityscore.signals.spin_model import candidate_positions
from qualityscore.text import Doc
from qualityscore.wordvectors import load_word_vectors


@pytest.fixture(scope="module")
def context_lm():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("_eval_context_lm", ROOT / "evaluation" / "context_lm.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    yield module
    sys.modules.pop(spec.name, None)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory, context_lm):  # type: ignore[no-untyped-def]
    """Random weights of the exported layout, small widths (the vocabulary is GloVe's)."""
    wv = load_word_vectors()
    if wv is None:
        pytest.skip("no packaged word vectors")
    rng = np.random.default_rng(0)
    V, d = wv.unit.shape
    hidden, dim = 16, 8
    path = tmp_path_factory.mktemp("ctx") / "tiny.npz"
    np.savez(path, table=np.vstack([wv.unit, rng.normal(size=(3, d))]).astype(np.float32),
             W1=rng.normal(size=(len(context_lm.OFFSETS) * d, hidden)).astype(np.float32),
             b1=np.zeros(hidden, np.float32), W2=rng.normal(size=(hidden, dim)).astype(np.float32),
             b2=np.zeros(dim, np.float32), O=rng.normal(size=(V, dim)).astype(np.float32),
             b=rng.normal(size=V).astype(np.float32), normalise=np.arange(V),
             general_logp=np.full(V, -10.0, np.float32))
    return context_lm.ContextLM(path)


def _features(lm, text: str):  # type: ignore[no-untyped-def]
    doc = Doc(text)
    pos = candidate_positions(doc)
    return {doc.tokens[k].lower: row for k, row in zip(pos, lm.features(doc, pos), strict=True)}


def test_features_are_probabilities_relative_to_the_page(tiny_model) -> None:  # type: ignore[no-untyped-def]
    f = _features(tiny_model, "Patients with asthma should avoid smoke and zzqxw dust in the house.")
    assert np.isnan(f["zzqxw"]).all()  # no vector: no evidence, not "unlikely"
    rows = np.array([r for w, r in f.items() if w != "zzqxw"])
    assert (rows[:, 0] < 0).all()  # log-probabilities over the whole vocabulary
    assert np.allclose(rows[:, 1], rows[:, 0] + 10.0)  # minus the general log frequency (-10)
    assert np.allclose(rows[:, 2], rows[:, 0] - np.median(rows[:, 0]))
    assert np.allclose(rows[:, 3], rows[:, 1] - np.median(rows[:, 1]))


def test_context_is_four_tokens_each_side_within_the_sentence(tiny_model) -> None:  # type: ignore[no-untyped-def]
    text = "Doctors often treat severe asthma with inhalers every day. Nurses explain dosage carefully."
    base = _features(tiny_model, text)
    near = _features(tiny_model, text.replace("inhalers", "steroids"))
    other_sentence = _features(tiny_model, text.replace("dosage", "timing"))
    assert base["asthma"][0] != near["asthma"][0]  # two tokens away: in its context
    assert base["every"][0] == other_sentence["every"][0]  # next sentence: not
    assert base["doctors"][0] == near["doctors"][0]  # six tokens away: outside the window


def test_commands_skip_cleanly_without_torch_data_or_model(context_lm, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("QUALITYSCORE_DATA", str(tmp_path / "absent"))
    assert context_lm.main(["train", "--model-file", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr()
    assert "needs torch" in out.out or "nothing to" in out.err
    assert not (tmp_path / "m.npz").exists()
    assert context_lm.main(["heldout", "--model-file", str(tmp_path / "m.npz")]) == 0
    assert "no model file" in capsys.readouterr().out
