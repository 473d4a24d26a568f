"""Spin: the artifacts article spinners leave when they swap words for synonyms.

Three kinds of evidence:

* **Lexicon hits.** ``lexicons/substitutions.toml`` maps canonical terms to the
  sense-blind synonyms spinners put in their place. A multi-word variant ("blood strain")
  is a broken fixed term and always counts. A one-word variant ("despair") counts only in
  medical context: next to a word that, in clean health English, keeps company with the
  canonical term ("symptoms of despair", "temper swings"), so that a patient's own account
  of despair or a "temper tantrum" stays quiet; and, once clean health text has been
  learned, only in a slot the canonical term fills there (one of the word's neighbours is
  seen beside the canonical term: "of despair" as "of depression"; "our newsletter" is
  not "our organ"). One-word variants that general English uses often ("professor",
  "members") never count alone (``learn_spin_resources``).
* **Off-register words.** Learned at train time from clean health text (see
  ``SpinResources``): a content word next to a medical anchor that clean health writing
  almost never uses, although general English uses it often (by wordfreq). This is what
  reaches substitutions no lexicon lists.
* **Mangled citations and numbers**: spelled-out years in citations ("et al. (twenty
  fourteen)"), the spinner's treatment of digits.
* **Pair fluency** (``pair_fluency``, a page signal for the classifier): how much
  ordinary English expects each word after its neighbour, on average over the page. A
  page with a word in five swapped drops; news and health sites' pages do not (dense
  technical writing, papers and abstracts, drops part of the way).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import tomllib

from ..ngrams import load_bigrams, mean_pair_ratio
from ..page import Page
from ..text import STOPWORDS, Doc
from ..wordvectors import load_word_vectors
from .base import SignalFamily, SignalOutput
from .spin_model import (
    HealthStats,
    bigram_ids,
    candidate_positions,
    context_vectors,
    general_zipf,
    page_context_medians,
    slot_scores,
    token_features,
)

# What a tagger finding suggests as the original word: among the words clean health text
# puts right after the left neighbour or right before the right one, the best by
# log(1 + left pair count) + log(1 + right pair count), plus SUGGESTION_CONTEXT_WEIGHT
# times the context model's log-score of the word in the whole slot, plus
# SUGGESTION_COSINE_WEIGHT times its vector cosine with the word found. Chosen on the
# validation draw of evaluation/spin_heldout.py (--seed 1) over a grid of the three
# weights (pair, context, cosine): (1, 0, 5), the old weights, 0.489; (1, 0.5, 5) 0.538;
# (1, 1, 5) 0.546; (1, 2, 10) 0.540; (0, 1, 8) 0.485; (1, 0, 8) 0.497; (1, 1, 8) 0.554.
# (The old rule, which took its candidates from the left neighbour alone when it had
# one, with the old weights: 0.477.)
SUGGESTION_CONTEXT_WEIGHT = 1.0
SUGGESTION_COSINE_WEIGHT = 8.0


@dataclass(frozen=True)
class Substitution:
    canonical: str
    variant: str
    kind: str  # "medical" | "everyday"
    category: str


@dataclass(frozen=True)
class Lexicon:
    """Variants indexed by their first word for a single pass over the tokens."""

    entries: tuple[Substitution, ...]
    by_first: dict[str, tuple[tuple[tuple[str, ...], Substitution], ...]] = field(
        default_factory=dict
    )
    canonical_words: frozenset[str] = frozenset()

    @classmethod
    def from_entries(cls, entries: list[Substitution], *, max_anchor_zipf: float = 4.8) -> Lexicon:
        """Index the entries for detection.

        A multi-word variant that contains a whole canonical term ("decrease blood
        pressure") reads as a real phrase, so it is kept for the spinner simulator but
        not used as evidence. Canonical words that are very common English
        (``max_anchor_zipf`` on wordfreq's scale: "common", "high") do not mark a context
        as medical.
        """
        from wordfreq import zipf_frequency

        canon_phrases = {f" {e.canonical} " for e in entries if " " in e.canonical}
        index: dict[str, list[tuple[tuple[str, ...], Substitution]]] = {}
        for e in entries:
            words = tuple(e.variant.lower().split())
            if len(words) > 1 and any(c in f" {e.variant} " for c in canon_phrases):
                continue
            index.setdefault(words[0], []).append((words, e))
        by_first = {
            k: tuple(sorted(v, key=lambda item: -len(item[0]))) for k, v in index.items()
        }
        canon = frozenset(
            w
            for e in entries
            if e.kind == "medical"
            for w in e.canonical.split()
            if w not in STOPWORDS and len(w) > 2 and zipf_frequency(w, "en") < max_anchor_zipf
        ) | medical_context_words()
        return cls(tuple(entries), by_first, canon)

    def without(self, canonicals: set[str]) -> Lexicon:
        """The lexicon minus whole canonical terms (for held-out evaluation)."""
        return Lexicon.from_entries([e for e in self.entries if e.canonical not in canonicals])


@lru_cache(maxsize=1)
def medical_context_words() -> frozenset[str]:
    """``lexicons/medical_context.txt``: generic clinical words that mark medical context."""
    raw = resources.files("qualityscore.lexicons").joinpath("medical_context.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower() for line in raw.splitlines() if line.strip() and not line.startswith("#")
    )


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Every ``lexicons/substitutions*.toml`` file, in name order, as one lexicon."""
    folder = resources.files("qualityscore.lexicons")
    files = sorted(
        (f for f in folder.iterdir() if f.name.startswith("substitutions") and f.name.endswith(".toml")),
        key=lambda f: f.name,
    )
    entries = []
    for f in files:
        data = tomllib.loads(f.read_text("utf-8"))
        entries += [
            Substitution(t["canonical"].lower(), v.lower(), t.get("kind", "medical"), t.get("category", ""))
            for t in data.get("term", [])
            for v in t["variants"]
        ]
    return Lexicon.from_entries(entries)


@lru_cache(maxsize=1)
def lexicon_digest() -> str:
    """What a model bundle records of the packaged lexicon (``load_lexicon``) and the
    medical context words: a digest of their entries, not of the files' bytes, so a
    comment or the order of the terms does not change it. The spin signals a model was
    trained on depend on every entry; a model trained with another lexicon is refused at
    load (``model.bundle.check_compatible``)."""
    import hashlib

    entries = sorted((e.canonical, e.variant, e.kind, e.category) for e in load_lexicon().entries)
    h = hashlib.sha256(repr(entries).encode("utf-8"))
    h.update(repr(sorted(medical_context_words())).encode("utf-8"))
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class SpinResources:
    """What the spin detector learns from clean health text at train time.

    ``collocates[term]``: content words seen near the canonical term in clean text.
    ``anchors``: words clean health text uses far more than general English.
    ``attested_variants``: lexicon variants that clean health text itself uses, or
    one-word medical swaps common in general English (not, by themselves, spin).
    ``stats``: unigram and adjacent-pair counts (see ``spin_model.HealthStats``).
    ``tagger``: per-token classifier over ``spin_model.TOKEN_FEATURES``, and the
    probability at which a token becomes a finding (``tagger_threshold``) on a page whose
    mean token probability reaches ``tagger_page_gate``. A spinner swaps words all over
    a page; one odd word in a page that otherwise reads like clean writing is not
    reported (the probabilities still reach the classifier through the page's means).
    On a page whose mean reaches the higher ``tagger_strong_gate`` (one that reads like
    heavy spin throughout, as about 1% of clean pages do) the lower
    ``tagger_strong_threshold`` applies instead; on a page whose *highest* token
    probability reaches ``tagger_peak_gate`` (one glaring swap), ``tagger_peak_threshold``
    does. A word is flagged at the lowest cut of the tiers its page reaches
    (``model/train.py: train_spin_tagger``).

    The page signal ``unlikely_words_per_100w`` counts the words of the first two tiers
    only. A clean technical page with one rare term (an orthopaedic review's "nailing")
    gets a few findings at the peak tier's low cut; counted in the signal, they taught the
    retrained classifier to reject 3 more of 307 held-out Cochrane summaries (97.7% ok,
    under the 98% goal; ``evaluation/RESULTS.md``, *A third operating tier*).
    """

    collocates: dict[str, frozenset[str]] = field(default_factory=dict)
    anchors: frozenset[str] = frozenset()
    attested_variants: frozenset[str] = frozenset()
    stats: HealthStats = field(default_factory=HealthStats)
    tagger: Any = None
    tagger_threshold: float = 1.01
    tagger_page_gate: float = 0.0
    tagger_strong_gate: float = 2.0  # above any mean: no second tier (bundles before it)
    tagger_strong_threshold: float = 1.01
    tagger_peak_gate: float = 2.0  # above any probability: no third tier (bundles before it)
    tagger_peak_threshold: float = 1.01

    def mean_tier_cut(self, mean: float) -> float | None:
        """The cut of the first two tiers for a page with this mean token probability, or
        None when it reaches neither gate. The words above it are the ones the page signal
        ``unlikely_words_per_100w`` counts."""
        if mean < self.tagger_page_gate:
            return None
        # The strong gate is a stricter page gate (never below it when trained).
        if mean >= self.tagger_strong_gate:
            return min(self.tagger_threshold, self.tagger_strong_threshold)
        return self.tagger_threshold

    def tagger_cut(self, mean: float, peak: float) -> float | None:
        """The probability at which a word of a page with this mean and highest token
        probability becomes a finding: the lowest cut of the tiers the page reaches, or
        None when it reaches none."""
        cut = self.mean_tier_cut(mean)
        if peak >= self.tagger_peak_gate:
            cut = self.tagger_peak_threshold if cut is None else min(cut, self.tagger_peak_threshold)
        return cut

    def to_plain(self) -> dict[str, object]:
        """The JSON-able part (the stats and the tagger are stored beside it)."""
        return {
            "collocates": {k: sorted(v) for k, v in self.collocates.items()},
            "anchors": sorted(self.anchors),
            "attested_variants": sorted(self.attested_variants),
            "tagger_threshold": float(self.tagger_threshold),
            "tagger_page_gate": float(self.tagger_page_gate),
            "tagger_strong_gate": float(self.tagger_strong_gate),
            "tagger_strong_threshold": float(self.tagger_strong_threshold),
            "tagger_peak_gate": float(self.tagger_peak_gate),
            "tagger_peak_threshold": float(self.tagger_peak_threshold),
        }

    @classmethod
    def from_plain(
        cls, data: dict[str, object] | None, *, stats: dict[str, object] | None = None, tagger: Any = None
    ) -> SpinResources:
        if not data:
            return cls()
        return cls(
            collocates={k: frozenset(v) for k, v in dict(data["collocates"]).items()},  # type: ignore[arg-type]
            anchors=frozenset(data["anchors"]),  # type: ignore[arg-type]
            attested_variants=frozenset(data.get("attested_variants", ())),  # type: ignore[arg-type]
            stats=HealthStats.from_plain(stats),
            tagger=tagger,
            tagger_threshold=float(data.get("tagger_threshold", 1.01)),  # type: ignore[arg-type]
            tagger_page_gate=float(data.get("tagger_page_gate", 0.0)),  # type: ignore[arg-type]
            tagger_strong_gate=float(data.get("tagger_strong_gate", 2.0)),  # type: ignore[arg-type]
            tagger_strong_threshold=float(data.get("tagger_strong_threshold", 1.01)),  # type: ignore[arg-type]
            tagger_peak_gate=float(data.get("tagger_peak_gate", 2.0)),  # type: ignore[arg-type]
            tagger_peak_threshold=float(data.get("tagger_peak_threshold", 1.01)),  # type: ignore[arg-type]
        )


# Fewest words outside clean health text's vocabulary that ``spin.unseen_word_domain`` averages.
MIN_DOMAIN_WORDS = 3

_SENTENCE_BREAK_RE = re.compile(r"[.!?;:]|\n")
_MANGLED_CITATION_RE = re.compile(
    r"(?:et\.?\s+al\.?|,)(?:\s*\()?\s*(?:nineteen|twenty|two\s+thousand)(?:[\s-]+(?:and\s+)?[a-z]+){0,3}\s*\)",
    re.I,
)
_SPELLED_PERCENT_RE = re.compile(
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety)(?:[\s-][a-z]+)?\s+(?:p\.c\.|per-cent|pc)(?!\w)",
    re.I,
)


class SpinSignals(SignalFamily):
    family = "spin"
    feature_names = (
        "substitutions_per_100w",
        "broken_terms_per_100w",
        "substituted_medical_share",
        "everyday_swaps_per_100w",
        "off_register_per_100w",
        "off_register_mean",
        "unlikely_words_per_100w",
        "tagger_top5_mean",
        "tagger_mean",
        "mangled_citations",
        "context_logp_median",
        "context_logp_median_function",
        "pair_fluency",
        "unseen_word_domain",
    )

    def __init__(
        self,
        *,
        lexicon: Lexicon | None = None,
        spin_resources: SpinResources | None = None,
        context_window: int = 3,
        off_register_gap: float = 2.0,
        off_register_min_zipf: float = 3.0,
        broken_term_weight: float = 1.0,
        substituted_term_weight: float = 0.8,
        ambiguous_variant_zipf: float = 3.5,
        tagger_top_k: int = 5,
    ) -> None:
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.spin_resources = spin_resources or SpinResources()
        self.context_window = context_window
        self.off_register_gap = off_register_gap
        self.off_register_min_zipf = off_register_min_zipf
        self.broken_term_weight = broken_term_weight
        self.substituted_term_weight = substituted_term_weight
        self.ambiguous_variant_zipf = ambiguous_variant_zipf
        self.tagger_top_k = tagger_top_k

    # -- helpers ---------------------------------------------------------------------
    def _context_words(self, doc: Doc, i: int, j: int) -> set[str]:
        """Content words within ``context_window`` tokens, not crossing a sentence end."""
        toks, text = doc.tokens, doc.text
        out: set[str] = set()
        for step, edge in ((-1, i), (1, j - 1)):
            k = edge
            for _ in range(self.context_window):
                nxt = k + step
                if not 0 <= nxt < len(toks):
                    break
                lo, hi = (toks[nxt].end, toks[k].start) if step < 0 else (toks[k].end, toks[nxt].start)
                if _SENTENCE_BREAK_RE.search(text, lo, hi):
                    break
                k = nxt
                if toks[k].is_word and toks[k].lower not in STOPWORDS:
                    out.add(toks[k].lower)
        return out

    def _fits_slot(self, doc: Doc, i: int, j: int, canonical: str) -> bool:
        """Does clean health text put the canonical term beside this variant's neighbours?

        Evidence is an adjacent pair of ``HealthStats`` (neighbours in the same sentence):
        the left neighbour seen right before the canonical term, or the right neighbour
        right after it. A spinner swaps the word and leaves the slot ("common symptoms of
        despair include"); a word used in its own sense sits where the canonical term
        never goes ("sign up for our newsletter"). A stopword neighbour is weak evidence
        on its own side, since "of", "the" or "a" stand before almost any noun: a slot
        whose fitting neighbour is a stopword fits only when the other side fits too ("a
        surge of the protein" does not fit "swelling" on "a" alone). With no clean text
        learned, every slot fits.
        """
        stats = self.spin_resources.stats
        if stats.empty:
            return True
        toks, text = doc.tokens, doc.text
        words = canonical.split()
        left = right = None  # the neighbour on each side whose pair with the term is seen
        if i > 0 and not _SENTENCE_BREAK_RE.search(text, toks[i - 1].end, toks[i].start):
            if stats.pair(toks[i - 1].lower, words[0]) > 0:
                left = toks[i - 1].lower
        if j < len(toks) and not _SENTENCE_BREAK_RE.search(text, toks[j - 1].end, toks[j].start):
            if stats.pair(words[-1], toks[j].lower) > 0:
                right = toks[j].lower
        if left is not None and right is not None:
            return True
        fitting = left if left is not None else right
        return fitting is not None and fitting not in STOPWORDS

    def _in_medical_context(self, sub: Substitution, context: set[str]) -> bool:
        """Is a one-word variant standing where clean health text puts the canonical term?

        A word that clean health writing itself uses often ("resident", "boost") needs a
        collocate of the canonical term nearby; a word it rarely uses needs only a
        medical anchor word.
        """
        res = self.spin_resources
        collocates = res.collocates.get(sub.canonical)
        if collocates is not None and context & collocates:
            return True
        if res.stats.zipf(sub.variant) >= self.ambiguous_variant_zipf:
            return False
        return bool(context & (res.anchors or self.lexicon.canonical_words))

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        out = SignalOutput()
        f = out.features
        toks = doc.tokens
        by_first = self.lexicon.by_first
        substituted = broken = everyday = 0
        canonical_seen = 0
        canonical_words = self.lexicon.canonical_words
        i = 0
        n = len(toks)
        while i < n:
            tok = toks[i].lower
            if tok in canonical_words:
                canonical_seen += 1
            candidates = by_first.get(tok)
            if not candidates:
                i += 1
                continue
            match = None
            for words, sub in candidates:
                j = i + len(words)
                if j <= n and all(toks[i + k].lower == w for k, w in enumerate(words)):
                    match = (words, sub, j)
                    break
            if match is None:
                i += 1
                continue
            words, sub, j = match
            start, end = toks[i].start, toks[j - 1].end
            if sub.variant in self.spin_resources.attested_variants:
                i = j
                continue
            if sub.kind == "everyday":
                everyday += 1
            elif len(words) > 1:
                broken += 1
                out.findings.append(
                    self.finding(doc, "broken_term", start, end, weight=self.broken_term_weight,
                                 suggestion=sub.canonical)
                )
            elif self._in_medical_context(sub, self._context_words(doc, i, j)) and self._fits_slot(
                doc, i, j, sub.canonical
            ):
                substituted += 1
                out.findings.append(
                    self.finding(doc, "substituted_term", start, end,
                                 weight=self.substituted_term_weight, suggestion=sub.canonical)
                )
            i = j

        covered = [(f.start, f.end) for f in out.findings]
        off_count, off_mean = self._off_register(doc, out)
        unlikely, top_mean, tagger_mean, medians = self._tagger(doc, out, covered)
        mangled = list(_MANGLED_CITATION_RE.finditer(doc.text)) + list(
            _SPELLED_PERCENT_RE.finditer(doc.text)
        )
        for m in mangled:
            out.findings.append(self.finding(doc, "mangled_citation", m.start(), m.end(), weight=0.8))

        f["substitutions_per_100w"] = doc.per_100_words(substituted + broken)
        f["broken_terms_per_100w"] = doc.per_100_words(broken)
        total_medical = substituted + broken + canonical_seen
        f["substituted_medical_share"] = (substituted + broken) / total_medical if total_medical else 0.0
        f["everyday_swaps_per_100w"] = doc.per_100_words(everyday)
        f["off_register_per_100w"] = doc.per_100_words(off_count)
        f["off_register_mean"] = off_mean
        f["unlikely_words_per_100w"] = doc.per_100_words(unlikely)
        f["tagger_top5_mean"] = top_mean
        f["tagger_mean"] = tagger_mean
        f["mangled_citations"] = float(len(mangled))
        f["context_logp_median"], f["context_logp_median_function"] = medians
        f["pair_fluency"] = pair_fluency(doc)
        f["unseen_word_domain"] = self._unseen_word_domain(doc)
        return out

    def _unseen_word_domain(self, doc: Doc) -> float:
        """``spin.unseen_word_domain``: the mean domain score (``signals/domain_model.py``)
        of the page's content words that clean health text never uses, one per occurrence.

        Low pair fluency and low context medians mark both heavy spin and research prose;
        what differs is the kind of word clean health text lacks. A spinner's are general
        English ("ticker", "hale": below 0), a paper's are terms ("cytokine": above 0).
        NaN without the domain model or with fewer than ``MIN_DOMAIN_WORDS`` such words."""
        stats = self.spin_resources.stats
        model = stats.domain
        if model is None:
            return float("nan")
        index, toks = stats.index, doc.tokens
        words = [w for k in doc.content_index
                 if len(w := toks[k].lower) >= 3 and w.isalpha() and w not in index]
        scores = model.scores(words) if len(words) >= MIN_DOMAIN_WORDS else np.zeros(0)
        scores = scores[~np.isnan(scores)]
        return float(scores.mean()) if len(scores) >= MIN_DOMAIN_WORDS else float("nan")

    def _off_register(self, doc: Doc, out: SignalOutput) -> tuple[int, float]:
        """Count content words next to a medical anchor that clean health text avoids.

        gap = general-English Zipf (wordfreq) - clean-health Zipf. Spinner synonyms are
        ordinary English words that health writers do not use in that slot.
        """
        res = self.spin_resources
        if res.stats.empty or not res.anchors:
            return 0, 0.0
        stats, anchors = res.stats, res.anchors
        toks = doc.tokens
        idx = doc.content_index
        gaps: list[float] = []
        count = 0
        for pos, k in enumerate(idx):
            w = toks[k].lower
            if w in anchors or len(w) < 4:
                continue
            near = False
            for q in (pos - 1, pos + 1):
                if 0 <= q < len(idx) and abs(idx[q] - k) <= 2 and toks[idx[q]].lower in anchors:
                    near = True
                    break
            if not near:
                continue
            general = general_zipf(w)
            if general < self.off_register_min_zipf:
                continue
            gap = general - stats.zipf(w)
            gaps.append(gap)
            if gap >= self.off_register_gap:
                count += 1
        return count, (sum(gaps) / len(gaps) if gaps else 0.0)

    def _tagger(
        self, doc: Doc, out: SignalOutput, covered: list[tuple[int, int]]
    ) -> tuple[int, float, float, tuple[float, float]]:
        """Per-token spin probabilities: findings above the threshold (one per occurrence),
        the number of distinct words among them, the top-5 mean, the mean over the
        page's distinct candidate words (``word_type_mean``), and the context model's
        page medians (``spin_model.page_context_medians``; NaN without the model).

        The two means are document-level signals that do not depend on the threshold: the
        top-5 mean follows the few worst words, the mean how unlike clean writing the page
        is throughout (a spinner swaps words all over a page). The page gate reads the mean
        over every occurrence, as it was set at training (``tagger.page_gate``), and so
        does the strong gate, which lowers the cut; the peak gate reads the highest
        probability (``SpinResources.tagger_cut``).
        """
        res = self.spin_resources
        none = (float("nan"), float("nan"))
        if res.tagger is None or res.stats.empty:
            return 0, 0.0, 0.0, none
        positions = candidate_positions(doc)
        if not positions:
            return 0, 0.0, 0.0, none
        X = token_features(doc, positions, res.stats, res.anchors)
        probs = res.tagger.predict_proba(X)[:, 1]
        top = sorted(probs, reverse=True)[: self.tagger_top_k]
        flagged: set[str] = set()
        mean, peak = float(probs.mean()), float(probs.max())
        cut = res.tagger_cut(mean, peak)
        # The page signal counts the first two tiers' words only: the peak tier adds
        # findings, not evidence the classifier was fitted on (see SpinResources).
        counted = res.mean_tier_cut(mean)
        hits = []
        for k, p in zip(positions, probs if cut is not None else (), strict=False):
            if p < cut:
                continue
            tok = doc.tokens[k]
            if any(s <= tok.start < e for s, e in covered):
                continue
            if counted is not None and p >= counted:
                flagged.add(tok.lower)
            hits.append((k, p))
        # The context vectors of the flagged words' slots, in one pass (None without a model).
        h = context_vectors(doc, [k for k, _ in hits], res.stats) if hits and SUGGESTION_CONTEXT_WEIGHT else None
        for i, (k, p) in enumerate(hits):
            tok = doc.tokens[k]
            out.findings.append(
                self.finding(doc, "unlikely_word", tok.start, tok.end, weight=round(float(p), 3),
                             suggestion=self._slot_suggestion(doc, k, None if h is None else h[i]))
            )
        words = [doc.tokens[k].lower for k in positions]
        medians = page_context_medians(doc, positions, X, res.stats)
        return len(flagged), float(sum(top) / self.tagger_top_k), word_type_mean(words, probs), medians

    def _slot_suggestion(self, doc: Doc, k: int, h: np.ndarray | None = None) -> str | None:
        """The word clean health text would put in this slot instead, if it has one.

        Candidates are the words clean health text puts right after the left neighbour
        or right before the right neighbour. Each scores log(1 + left pair count) +
        log(1 + right pair count); plus ``SUGGESTION_CONTEXT_WEIGHT`` times how likely the
        context model finds it in the whole slot, four tokens each side (its log-score
        before the normaliser, which all candidates share, less the best candidate's; a
        candidate without a word vector sits 30 below the best); plus ``SUGGESTION_COSINE_WEIGHT`` times its
        vector cosine with the word found (a spinner's swap is a synonym of *some* sense
        of the original, so among words that fit the slot the original is usually the
        closest in meaning). Stopwords, numbers, the word itself and its neighbours are never
        suggested. ``h``: the slot's context vector (``spin_model.context_vectors``), when
        the caller has it.
        """
        stats = self.spin_resources.stats
        toks = doc.tokens
        text = doc.text
        left = right = None
        if k > 0 and not _SENTENCE_BREAK_RE.search(text, toks[k - 1].end, toks[k].start):
            left = stats.index.get(toks[k - 1].lower)
        if k + 1 < len(toks) and not _SENTENCE_BREAK_RE.search(text, toks[k].end, toks[k + 1].start):
            right = stats.index.get(toks[k + 1].lower)
        parts = [stats.followers(left)] if left is not None else []
        if right is not None:
            parts.append(stats.predecessors(right))
        if not parts:
            return None
        ids = np.unique(np.concatenate(parts)).astype(np.int64)
        word = toks[k].lower
        # Neither the word itself nor a neighbour ("cancer" for "bosom" in "bosom cancer").
        excluded = [stats.index.get(word, -1), -1 if left is None else left, -1 if right is None else right]
        ids = ids[stats.suggestible()[ids] & ~np.isin(ids, excluded)]
        if not len(ids):
            return None
        lid = np.full(len(ids), -1 if left is None else left, dtype=np.int64)
        rid = np.full(len(ids), -1 if right is None else right, dtype=np.int64)
        score = np.log1p(stats.pair_count_array(lid, ids)) + np.log1p(stats.pair_count_array(ids, rid))
        vectors = load_word_vectors()
        if vectors is None:
            return stats.vocab[int(ids[int(np.argmax(score))])]
        vid = stats.vector_ids(vectors)[ids]
        has = vid >= 0
        if h is None and SUGGESTION_CONTEXT_WEIGHT and has.any():
            found = context_vectors(doc, [k], stats)
            h = None if found is None else found[0]
        if h is not None and SUGGESTION_CONTEXT_WEIGHT and has.any():
            fit = slot_scores(stats, h, ids)
            # Relative to the best candidate; one without a vector sits 30 nats below it.
            rel = np.full(len(ids), -30.0)
            rel[has] = fit[has] - fit[has].max()
            score = score + SUGGESTION_CONTEXT_WEIGHT * rel
        w = vectors.index.get(word)
        if w is not None and SUGGESTION_COSINE_WEIGHT and has.any():
            cos = np.zeros(len(ids))
            cos[has] = vectors.rows(vid[has]) @ vectors.rows(np.array([w]))[0]
            score = score + SUGGESTION_COSINE_WEIGHT * cos
        return stats.vocab[int(ids[int(np.argmax(score))])]


def pair_fluency(doc: Doc) -> float:
    """``spin.pair_fluency``: the mean general-English bigram log-ratio of the page's
    neighbouring words (``ngrams.mean_pair_ratio``); neighbours are tokens with nothing
    but spaces between them, so pairs across punctuation and line breaks are left out.
    NaN without the bigram table or on a page with few pairs."""
    toks, text = doc.tokens, doc.text
    joined = np.fromiter((not text[a.end:b.start].strip(" \t") for a, b in itertools.pairwise(toks)),
                         dtype=bool, count=max(len(toks) - 1, 0))
    bigrams = load_bigrams()
    ids = bigram_ids(doc, bigrams) if bigrams is not None else None
    return mean_pair_ratio([t.lower for t in toks], joined, bigrams, ids=ids)


def word_type_mean(words: Sequence[str], probs: Sequence[float]) -> float:
    """Mean over the distinct ``words`` of each one's highest probability (0 when none).

    A page's own topic word recurs: an odd one the tagger dislikes ("steam", "screw" three
    times in a Cochrane summary) weighed on a per-occurrence mean, and on a count of
    flagged occurrences, as if it were several swaps, while a spinner's swaps are many
    different words. Counted once per word, the classifier could lean on the tagger
    without flagging such pages (``evaluation/foreign_spinner.py``; README, "Model").
    """
    best: dict[str, float] = {}
    for w, p in zip(words, probs, strict=True):
        if p > best.get(w, -1.0):
            best[w] = float(p)
    return sum(best.values()) / len(best) if best else 0.0


def zipf_of_counts(count: int, total: int) -> float:
    """Zipf value of a corpus count: log10 of frequency per billion words."""
    return math.log10(count / total * 1e9) if count and total else 0.0
