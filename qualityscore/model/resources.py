"""Learn the spin detector's resources from clean health text (see ``SpinResources``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..signals.context_model import ContextModel
from ..signals.domain_model import DomainModel
from ..signals.spin import Lexicon, SpinResources, load_lexicon, zipf_of_counts
from ..signals.spin_model import HealthStats
from ..text import STOPWORDS, TOKEN_RE
from ..wordvectors import load_word_vectors


def learn_health_stats(
    texts: Sequence[str], *, context: bool = True, log: Callable[[str], None] = lambda _m: None, **kw: Any
) -> HealthStats:
    """``HealthStats`` of ``texts``, with a context model trained on the same texts
    (``model/context_training.py``, about a minute for the shipped slices) unless
    ``context`` is False or no word vectors are installed, and with the domain model of
    words (``signals/domain_model.py``) whenever vectors are installed.
    ``kw``: ``train_context_model``'s."""
    stats = _with_domain(HealthStats.learn(texts))
    vectors = load_word_vectors()
    if context and vectors is not None:
        from .context_training import train_context_model

        stats.context = train_context_model(texts, vectors, log=log, **kw)
    return stats


def _with_domain(stats: HealthStats) -> HealthStats:
    """``stats`` with the domain model of words learned from them (none without vectors)."""
    vectors = load_word_vectors()
    if vectors is not None:
        stats.domain = DomainModel.learn(stats, vectors)
    return stats


def health_stats_with(texts: Sequence[str], context_model: str, *,
                      log: Callable[[str], None] = print) -> HealthStats:
    """For evaluation scripts' ``--context-model``: ``trained`` (trained on ``texts``, as
    ``qualityscore train`` does), ``none``, or a file written by ``save_context_model``."""
    if context_model == "trained":
        return learn_health_stats(texts, log=log)
    stats = _with_domain(HealthStats.learn(texts))
    if context_model != "none":
        stats.context = load_context_model(Path(context_model))
    return stats


def load_context_model(path: Path) -> ContextModel:
    """A context model saved by ``save_context_model`` (evaluation scripts reuse one)."""
    with np.load(path, allow_pickle=False) as z:
        model = ContextModel.from_plain({k: z[k] for k in z.files}, load_word_vectors())
    if model is None:
        raise ValueError(f"{path} holds no context model")
    return model


def save_context_model(model: ContextModel, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **model.to_plain())


def learn_spin_resources(
    texts: Sequence[str],
    *,
    stats: HealthStats | None = None,
    lexicon: Lexicon | None = None,
    min_word_count: int = 3,
    anchor_min_count: int = 30,
    anchor_min_specificity: float = 1.0,
    collocate_window: int = 3,
    collocate_min_count: int = 2,
    attested_min_count: int = 2,
    common_word_zipf: float = 4.5,
) -> SpinResources:
    """Unigram frequencies, medical anchor words and collocates of the lexicon's terms.

    An *anchor* is a word that clean health text uses much more than general English
    (``anchor_min_specificity`` Zipf units above wordfreq): "symptoms", "diagnosis".

    A variant is *attested*, and never reported by the lexicon on its own, when clean
    health text uses it (``attested_min_count``), or when it is a single medical-swap word
    that is common in general English: wordfreq Zipf >= ``common_word_zipf`` (about 30
    uses per million words: "professor", "members", "finds"). Such words have senses of
    their own that news and reliable pages use every day; whether one stands where a
    medical term belonged is left to the context tagger. Multi-word and hyphenated
    variants ("blood force", "over-the-table") keep firing: wordfreq scores a phrase by
    its parts, and a medical term broken into common words is the spinner's signature.
    """
    from wordfreq import zipf_frequency

    lexicon = lexicon or load_lexicon()
    canon_first: dict[str, list[tuple[str, ...]]] = {}
    for e in lexicon.entries:
        words = tuple(e.canonical.split())
        canon_first.setdefault(words[0], [])
        if words not in canon_first[words[0]]:
            canon_first[words[0]].append(words)

    variant_first: dict[str, list[tuple[str, ...]]] = {}
    for e in lexicon.entries:
        vw = tuple(e.variant.split())
        variant_first.setdefault(vw[0], []).append(vw)
    variant_counts: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    colloc: dict[str, Counter[str]] = {}
    for text in texts:
        toks = [m.group().lower().replace("’", "'") for m in TOKEN_RE.finditer(text)]
        toks = [t for t in toks if not t[0].isdigit()]
        counts.update(toks)
        for i, t in enumerate(toks):
            for vw in variant_first.get(t, ()):
                if tuple(toks[i : i + len(vw)]) == vw:
                    variant_counts[" ".join(vw)] += 1
            for words in canon_first.get(t, ()):
                j = i + len(words)
                if tuple(toks[i:j]) != words:
                    continue
                lo, hi = max(0, i - collocate_window), min(len(toks), j + collocate_window)
                c = colloc.setdefault(" ".join(words), Counter())
                c.update(w for w in toks[lo:i] + toks[j:hi] if w not in STOPWORDS and len(w) > 2)
                break

    total = sum(counts.values())
    anchors = {
        w
        for w, c in counts.items()
        if c >= anchor_min_count
        and w not in STOPWORDS
        and len(w) > 3
        and zipf_of_counts(c, total) - zipf_frequency(w, "en") >= anchor_min_specificity
    }
    anchors |= set(lexicon.canonical_words)
    collocates = {
        term: frozenset(w for w, c in ctr.items() if c >= collocate_min_count)
        for term, ctr in colloc.items()
    }
    # Never let a variant count as evidence of its own medical context.
    variants = {e.variant for e in lexicon.entries}
    anchors -= variants
    return SpinResources(
        collocates={k: v - variants for k, v in collocates.items() if v},
        stats=stats if stats is not None else HealthStats.learn(texts, min_count=min_word_count),
        anchors=frozenset(anchors),
        attested_variants=frozenset(
            v for v, c in variant_counts.items() if c >= attested_min_count
        )
        | common_medical_variants(lexicon, common_word_zipf),
    )


def common_medical_variants(lexicon: Lexicon, min_zipf: float) -> frozenset[str]:
    """One-word medical-swap variants that general English uses often (wordfreq Zipf)."""
    from wordfreq import zipf_frequency

    return frozenset(
        e.variant
        for e in lexicon.entries
        if e.kind == "medical"
        and " " not in e.variant
        and "-" not in e.variant
        and zipf_frequency(e.variant, "en") >= min_zipf
    )


def resources_digest(res: SpinResources) -> str:
    import hashlib

    h = hashlib.sha256()
    for w in sorted(res.anchors):
        h.update(w.encode())
    h.update(str(len(res.stats.vocab)).encode())
    h.update(str(len(res.stats.pair_keys)).encode())
    h.update(str(sum(len(v) for v in res.collocates.values())).encode())
    return h.hexdigest()[:16]


__all__ = ["common_medical_variants", "health_stats_with", "learn_health_stats", "learn_spin_resources", "load_context_model",
           "resources_digest", "save_context_model"]
