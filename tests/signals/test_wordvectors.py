"""Word vectors: the packaged file, the context cosines the spin tagger reads, the builder."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from qs_testkit import token_rows

from qualityscore.signals.spin_model import (
    TOKEN_FEATURES,
    candidate_positions,
    token_features,
)
from qualityscore.text import Doc
from qualityscore.wordvectors import (
    WordVectors,
    build,
    context_cosines,
    load_word_vectors,
    reset_word_vectors,
    use_word_vectors,
)

COS = TOKEN_FEATURES.index("context_cosine")
MAX_COS = TOKEN_FEATURES.index("context_max_cosine")


def _sim(wv: WordVectors, a: str, b: str) -> float:
    idx = wv.index
    return float(wv.unit[idx[a]] @ wv.unit[idx[b]])


def test_packaged_vectors_are_unit_length_and_know_medical_words(wv: WordVectors) -> None:
    assert len(wv.vocab) > 50_000
    norms = np.linalg.norm(wv.unit[:1000], axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)
    for word in ("depression", "symptoms", "cancer", "placebo", "cataract", "insulin"):
        assert word in wv.index
    # Related words are closer than a sense-blind swap is to the word it replaced.
    assert _sim(wv, "surgery", "hospital") > _sim(wv, "cob", "ear") + 0.3
    assert _sim(wv, "cough", "fever") > _sim(wv, "hem", "fever") + 0.3


# My own sentences: a sense-blind swap against the original word in the same slot.
# Not every swap is caught this way: "cascade" for "cataract" beside "clouds", "eye" and
# "vision" scores as related as the original does (GloVe is trained on news and
# Wikipedia, where "cataract" is rare); the tagger weighs this with its other features.
SWAPS = [
    ("Inflammation of the inner {} causes pain, dizziness and hearing loss.", "ear", "cob"),
    ("A dry {} and a fever are common signs of a chest infection.", "cough", "hem"),
    ("Patients with {} were given antibiotics and rested in hospital.", "pneumonia", "envy"),
]


@pytest.mark.parametrize(("template", "original", "swap"), SWAPS, ids=[s[2] for s in SWAPS])
def test_swapped_word_is_less_related_to_its_context(template: str, original: str, swap: str) -> None:
    orig = token_rows(template.format(original))[original]
    spun = token_rows(template.format(swap))[swap]
    assert spun[COS] < orig[COS] - 0.2
    assert spun[MAX_COS] < orig[MAX_COS]


def test_words_without_vectors_or_context_are_missing_not_zero() -> None:
    f = token_rows("Zorblaxian flumphs. Symptoms.")
    assert math.isnan(f["zorblaxian"][COS]) and math.isnan(f["zorblaxian"][MAX_COS])
    # "symptoms" has a vector, but its only neighbours have none.
    assert math.isnan(f["symptoms"][COS])


def test_context_window_is_bounded(wv: WordVectors) -> None:
    words = ["fever"] + ["table"] * 20 + ["cough"]
    near = context_cosines(words, np.array([0]), wv, window=3)
    wide = context_cosines(words, np.array([0]), wv, window=30)
    # With a window of 3, "cough" (21 words away) is out of the context.
    assert near[0, 1] == pytest.approx(_sim(wv, "fever", "table"), abs=1e-5)
    assert wide[0, 1] == pytest.approx(_sim(wv, "fever", "cough"), abs=1e-5)


def test_without_vectors_the_columns_are_constant_and_a_tagger_still_trains() -> None:
    """All-NaN columns would break the trees' binning: no vectors means a constant 0."""
    from qualityscore.model.resources import learn_spin_resources
    from qualityscore.model.train import train_spin_tagger

    out = context_cosines(["fever", "cough"], np.array([0, 1]), None)
    assert out.shape == (2, 2) and (out == 0).all()
    texts = [
        f"Adults {i} with depression often have trouble sleeping. Blood pressure checks and a "
        "clinical trial of the treatment showed fewer side effects than placebo in most patients."
        for i in range(30)
    ]
    use_word_vectors(None)
    try:
        res = train_spin_tagger(learn_spin_resources(texts), texts, seed=0)
        doc = Doc(texts[0])
        X = token_features(doc, candidate_positions(doc), res.stats, res.anchors)
    finally:
        reset_word_vectors()
    assert res.tagger is not None
    assert (X[:, COS] == 0).all() and (X[:, MAX_COS] == 0).all()
    assert load_word_vectors() is not None  # the override is gone


def _toy_source(tmp_path, fmt: str):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    words = ["fever", "cough", "hospital", "table", "chair", "Paris", "x2", "zzqqxx"]
    vecs = rng.normal(size=(len(words), 8)).astype(np.float32)
    if fmt == "json":
        path = tmp_path / "vectors.json"
        table = {w: [*map(float, v), 1.0, i] for i, (w, v) in enumerate(zip(words, vecs, strict=True))}
        path.write_text(json.dumps({"dimensions": 8, "words": words, "vectors": table}))
    else:
        path = tmp_path / "glove.txt"
        path.write_text("".join(w + " " + " ".join(f"{x:.6f}" for x in v) + "\n" for w, v in zip(words, vecs, strict=True)))
    return path, dict(zip(words, vecs, strict=True))


@pytest.mark.parametrize("fmt", ["json", "txt"])
def test_build_keeps_common_lowercase_words_and_their_cosines(tmp_path, fmt: str) -> None:  # type: ignore[no-untyped-def]
    src, vecs = _toy_source(tmp_path, fmt)
    out = tmp_path / "glove.npz"
    info = build(src, out, min_zipf=2.0, dims=8)
    wv = WordVectors.from_file(out)
    # Capitalised, non-alphabetic and unknown (Zipf 0) words are left out.
    assert set(wv.vocab) == {"fever", "cough", "hospital", "table", "chair"} and info["words"] == 5
    # Centring and int8 move cosines only a little from the centred originals.
    kept = np.vstack([vecs[w] for w in wv.vocab]).astype(np.float64)
    centred = kept - kept.mean(axis=0)
    centred /= np.linalg.norm(centred, axis=1, keepdims=True)
    assert np.allclose(wv.unit @ wv.unit.T, centred @ centred.T, atol=0.03)


def test_digest_follows_the_vectors_not_the_archive(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A model records the digest of the vectors its tagger learned from; the same vectors
    in another archive (other zip times, no compression) must keep it, other vectors not."""
    src, _ = _toy_source(tmp_path, "txt")
    first = tmp_path / "a.npz"
    build(src, first, dims=8)
    with np.load(first, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    same = tmp_path / "b.npz"
    np.savez(same, **arrays)
    assert same.read_bytes() != first.read_bytes()
    assert WordVectors.from_file(same).digest == WordVectors.from_file(first).digest
    arrays["q"] = arrays["q"].copy()
    arrays["q"][0, 0] += 1
    other = tmp_path / "c.npz"
    np.savez(other, **arrays)
    assert WordVectors.from_file(other).digest != WordVectors.from_file(first).digest


def test_rows_are_the_unit_matrix_bit_for_bit_without_building_it() -> None:
    """Scoring gathers rows from the int8 codes; they must be the very float32 values the
    whole unit matrix holds (the tagger was trained on those), and loading must not build
    the matrix (89 MB a process for the packaged words)."""
    from importlib import resources

    from qualityscore.wordvectors import VECTORS_FILE

    with resources.as_file(resources.files("qualityscore.wordvectors").joinpath(VECTORS_FILE)) as path:
        wv = WordVectors.from_file(path)
        with np.load(path, allow_pickle=False) as z:
            q, scale = z["q"], z["scale"].astype(np.float32)
    ids = np.concatenate([[0, len(wv.vocab) - 1], np.random.default_rng(0).integers(0, len(wv.vocab), 3000)])
    got = wv.rows(ids)
    assert wv._unit is None, "from_file built the whole float32 matrix"
    x = q[ids].astype(np.float32) * scale
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    assert got.dtype == np.float32
    assert np.array_equal(got, x / np.where(norms > 0, norms, 1.0))
    assert np.array_equal(wv.unit[ids], got)
    assert wv.dim == q.shape[1] == got.shape[1]
