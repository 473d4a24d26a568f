"""Probe: does a *replacement test* add evidence the spin tagger lacks? (not shipped)

A sense-blind spinner turns a word X into one of its thesaurus synonyms W. Read
backwards: for a word W on the page, the words X whose thesaurus entry lists W are the
originals a spinner could have started from. If the model of words in context finds one
of them far more likely in W's slot than W itself, W looks like a swap ("temper" where
"mood" fits). The tagger already compares a word with the commonest fillers of its slot
(``context_best_gap``); this compares it with the words it could have been spun *from*.

By default the thesaurus is the packaged training half of WordNet (``qualityscore/thesaurus``),
read backwards only: a word's candidates are training-half headwords whose synonyms list it.
A swap of a held-out headword X is never matched back to X (X is no training headword),
so ``foreign_spinner.py``'s held-out WordNet half stays unseen by this lookup's pairs;
synonyms of X that are training headwords can still match (the same WordNet sense), so
that evaluation would read optimistic with this feature, and the Moby one less so.
``spin_heldout.py``'s substitutions come from the project's own lexicon, which no
thesaurus file holds. ``--thesaurus full`` reads both halves of ``mythes-en-us`` (Debian's
package must be installed): four times the lexicon's swaps run back, but then
``foreign_spinner.py``'s held-out half is no longer unseen.

The probe appends the columns below to every tagger row and runs ``spin_heldout.py`` with
the arguments given (``probe_columns.py``), so its report is comparable to the shipped one
run by the same script:

* ``thes_n``: log(1 + number of candidate originals in the statistics' vocabulary);
* ``thes_gap``: the best candidate's context-model score minus the word's own (NaN
  without a candidate, or when the word has no vector);
* ``thes_gap_rel``: that minus its median over the page;
* ``thes_zipf_gain``: the best candidate's clean-health Zipf frequency minus the word's.

Run from the project root (needs ../shared/data; about six minutes):

    python evaluation/thesaurus_probe.py [--thesaurus packaged|full] --docs 200 --seed 1 \
        --out evaluation/reports/thesaurus_probe_seed1.json [other spin_heldout.py options]

The report is ``spin_heldout.py``'s, plus a ``thesaurus_probe`` entry saying which
thesaurus was read and how much of the lexicon's one-word swaps it can run backwards.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import probe_columns

from qualityscore.signals.spin_model import _context_inputs, context_vectors
from qualityscore.thesaurus import load_thesaurus, spinner_choices

EXTRA = ("thes_n", "thes_gap", "thes_gap_rel", "thes_zipf_gain")
MAX_CANDIDATES = 16
DEFAULT_OUT = Path("evaluation/reports/thesaurus_probe.json")
_thesaurus = load_thesaurus


def inverse_index(stats) -> dict[str, np.ndarray]:  # type: ignore[no-untyped-def]
    """Word -> statistics rows of the thesaurus's headwords (the training half unless
    ``--thesaurus full``) that list it as a one-word synonym, commonest in clean health
    text first, at most ``MAX_CANDIDATES``; only headwords the context model can score
    (``HealthStats.context_table``). Built once per statistics object."""

    def build(stats):  # type: ignore[no-untyped-def]
        _, bias = stats.context_table()
        inv: dict[str, list[int]] = {}
        for head, syns in _thesaurus().items():
            row = stats.index.get(head, -1)
            if row < 0 or not np.isfinite(bias[row]):
                continue
            for s in syns:
                if " " not in s:
                    inv.setdefault(s, []).append(row)
        counts = stats.counts
        return {w: np.asarray(sorted(rows, key=lambda r: -int(counts[r]))[:MAX_CANDIDATES], dtype=np.int64)
                for w, rows in inv.items()}

    return probe_columns.per_stats("inverse", stats, build)


def extra_columns(doc, positions, stats) -> np.ndarray:  # type: ignore[no-untyped-def]
    n = len(positions)
    out = np.full((n, len(EXTRA)), np.nan)
    model = stats.context
    if model is None or not n:
        return out
    inv = inverse_index(stats)
    lower, _, ids = _context_inputs(doc, model)
    cands = [inv.get(lower[k]) for k in positions]
    out[:, 0] = [np.log1p(0 if c is None else len(c)) for c in cands]
    rows = [j for j, c in enumerate(cands) if c is not None and ids[positions[j]] < model.V]
    if not rows:
        return out
    pos = np.asarray([positions[j] for j in rows], dtype=np.int64)
    h = context_vectors(doc, pos, stats)
    table, bias = stats.context_table()
    w = ids[pos]
    own = probe_columns.own_scores(model, h, w)
    zipfs = stats.zipfs
    for i, j in enumerate(rows):
        c = cands[j]
        scores = table[c] @ h[i] + bias[c]
        b = int(np.argmax(scores))
        out[j, 1] = scores[b] - own[i]
        out[j, 3] = zipfs.get(stats.vocab[c[b]], 0.0) - zipfs.get(lower[positions[j]], 0.0)
    gap = out[:, 1]
    if np.isfinite(gap).any():
        out[:, 2] = gap - np.nanmedian(gap)
    return out


token_features = probe_columns.with_columns(extra_columns, len(EXTRA))


def full_thesaurus() -> dict[str, tuple[str, ...]]:
    """Both halves of the WordNet thesaurus (``--thesaurus full``): every headword of
    wordfreq Zipf 2.0 or more, as ``build_thesaurus.py`` keeps the training half."""
    from thesaurus_coverage import MYTHES, read_mythes
    from wordfreq import zipf_frequency

    mythes = read_mythes(MYTHES, synonyms_only=True)
    return spinner_choices({h: s for h, s in mythes.items() if zipf_frequency(h, "en") >= 2.0})


def lexicon_coverage(thesaurus: dict[str, tuple[str, ...]]) -> dict[str, float | int]:
    """Of the lexicon's one-word swaps of one-word medical terms, the share whose canonical
    term the backward lookup returns (a candidate original) and the share whose variant
    has any candidate at all."""
    from qualityscore.signals.spin import load_lexicon

    inv: dict[str, set[str]] = {}
    for head, syns in thesaurus.items():
        for s in syns:
            if " " not in s:
                inv.setdefault(s, set()).add(head)
    pairs = [(e.canonical, e.variant) for e in load_lexicon().entries
             if e.kind == "medical" and " " not in e.canonical and " " not in e.variant]
    return {"swaps": len(pairs),
            "canonical_among_candidates": sum(c in inv.get(v, ()) for c, v in pairs) / max(len(pairs), 1),
            "variant_has_candidates": sum(v in inv for _, v in pairs) / max(len(pairs), 1)}


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0], add_help=False)
    ap.add_argument("--thesaurus", choices=("packaged", "full"), default="packaged",
                    help="packaged: the training half (default); full: both halves of mythes-en-us, "
                         "which foreign_spinner.py's held-out half then no longer is unseen by")
    args, rest = ap.parse_known_args(argv)
    global _thesaurus
    if args.thesaurus == "full":
        _thesaurus = full_thesaurus
    return probe_columns.run(rest, token_features, default_out=DEFAULT_OUT, key="thesaurus_probe",
                             info=lambda: {"thesaurus": args.thesaurus, "columns": list(EXTRA),
                                           "max_candidates": MAX_CANDIDATES,
                                           "lexicon_coverage": lexicon_coverage(_thesaurus())})


if __name__ == "__main__":
    raise SystemExit(main())
