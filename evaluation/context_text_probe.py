"""Probe: the model of words in context trained on more clean text of other registers (not shipped).

``qualityscore train`` trains the spin tagger's model of words in context
(``model/context_training.py``) on the health statistics' text alone: MedQuAD answers and
Cochrane abstracts, about 815,000 words. The tagger's cuts are held on clean pages of
other registers too, and the set that sets them is Cochrane's training-side
plain-language summaries: on the validation draw they pass the first tier's page gate
about half again as often as the held-back NIH answers (8.6% of them against 5.6%;
training news never does), and their cut sits at 0.78-0.89 where the NIH answers' would
be 0.70-0.80. A model that has read more clean writing outside NIH's register might find
those pages less odd, let the cuts fall, and find more swaps. This script trains that
model, on the statistics' text plus:

* ``healthstory``: HealthStory's stories rated below 4 stars (900 stories, 544,000
  words of health news; the 4-5-star stories, which the evaluations read, are left out);
* ``news``: OneStopEnglish's training articles (``train.ONESTOP_TRAIN``; general news,
  238,000 words). They are the articles the tagger's cuts are also held on, which is
  harmless here: none of them passes the page gate, so they never set a cut.

and saves it for ``spin_heldout.py --context-model FILE``, whose tagger, statistics and
cuts are then built as training builds them. Run from the project root (needs
../shared/data; about 6 minutes to train, 6 more for the evaluation)::

    python evaluation/context_text_probe.py train healthstory /tmp/context_healthstory.npz
    python evaluation/spin_heldout.py --docs 200 --seed 1 --context-model /tmp/context_healthstory.npz \\
        --dump /tmp/dump_healthstory1.pkl --out /tmp/spin_heldout_healthstory_seed1.json

``sets DUMP`` reads a dump and says, per fold, how many of each clean calibration set's
pages pass the page gate and the cut each set alone would need, and replays the dump
without the news or without the summaries (what each set's cuts cost)::

    python evaluation/context_text_probe.py sets /tmp/dump_healthstory1.pkl

The result is in evaluation/RESULTS.md, *More text for the model of words in context*.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # spin_stacking, a sibling script

EXTRA = ("healthstory", "news", "none")
# The clean calibration sets of a dump, in train_spin_tagger's order (held, *others).
SET_NAMES = ("nih_held_back", "news", "cochrane_summaries")


def statistics_texts(data_dir: Path) -> list[str]:
    """The text ``qualityscore train`` learns its health statistics and context model from."""
    from qualityscore.model import corpora
    from qualityscore.model.train import COCHRANE_RESOURCES, MEDQUAD_RESOURCES

    def inside(s, span) -> bool:  # type: ignore[no-untyped-def]
        return span[0] <= corpora.stable_fraction(s.group) < span[1]

    texts = [s.content for s in corpora.medquad(data_dir) if inside(s, MEDQUAD_RESOURCES)]
    return texts + [s.content for s in corpora.cochrane(data_dir, kinds=("source",)) if inside(s, COCHRANE_RESOURCES)]


def extra_texts(data_dir: Path, extra: str) -> list[str]:
    """The clean text of another register added to the statistics' text (``EXTRA``)."""
    from qualityscore.model import corpora
    from qualityscore.model.train import ONESTOP_TRAIN, tagger_news

    if extra == "healthstory":
        return [s.content for s in corpora.healthstory(data_dir) if (s.rating or 0) < 4]
    if extra == "news":
        return tagger_news(list(corpora.onestop(data_dir)), ONESTOP_TRAIN)
    if extra == "none":
        return []
    raise ValueError(f"unknown extra text {extra!r}: one of {', '.join(EXTRA)}")


def binding_sets(folds: list[dict]) -> list[dict[str, object]]:
    """Per fold of a ``spin_heldout.py --dump``: for each set of clean calibration pages
    (``SET_NAMES``), the share of its pages that pass the first tier's page gate and the
    cut that set alone would need to keep training's budget (``tagger.budget_cut``); the
    first tier's cut is the highest of them."""
    from qualityscore.model import tagger

    rows = []
    for fold in folds:
        held, others = fold["calibration"]
        sets = [held, *others]
        gate = tagger.page_gate([p for part in sets for p in part], share=tagger.PAGE_GATE_SHARE)
        rows.append({
            "page_gate": round(gate, 4),
            **{name: {"pages": len(part),
                      "past_gate": round(sum(tagger.page_mean(p) >= gate for p, _ in part if len(p)) / max(len(part), 1), 4),
                      "cut": round(tagger.budget_cut(part, gate=gate, flags_per_2000_words=tagger.FLAGS_PER_2000_WORDS,
                                                     floor=0.5), 3)}
               for name, part in zip(SET_NAMES, sets, strict=False)},
        })
    return rows


def without_set(folds: list[dict], drop: int) -> dict[str, object]:
    """The dump's span recall and false alarms replayed with training's budgets, had the
    calibration set ``SET_NAMES[drop]`` (an index among the *other* sets: 1 news, 2
    Cochrane summaries) not been read: what that set's cuts cost."""
    import spin_stacking

    from qualityscore.model.tagger import operating_point

    parts = []
    for fold in folds:
        held, others = fold["calibration"]
        kept = [part for i, part in enumerate(others, start=1) if i != drop]
        parts.append(spin_stacking.replay(fold, spin_stacking.tier_flagger(operating_point(held, kept))))
    return spin_stacking.summary(parts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    tr = sub.add_parser("train", help="train and save a context model on the statistics' text plus EXTRA")
    tr.add_argument("extra", choices=EXTRA, help="the clean text added to the statistics' text")
    tr.add_argument("out", type=Path, help="where to save the context model (.npz)")
    bd = sub.add_parser("sets", help="which clean calibration set sets the tagger's cuts, from a dump")
    bd.add_argument("dump", type=Path, help="written by spin_heldout.py --dump")
    args = ap.parse_args(argv)
    if args.command == "sets":
        import json
        import pickle

        with args.dump.open("rb") as fh:
            folds = pickle.load(fh)["folds"]
        report = {"per_fold": binding_sets(folds),
                  "without_news": without_set(folds, 1), "without_cochrane_summaries": without_set(folds, 2)}
        print(json.dumps(report, indent=1))
        return 0

    from qualityscore.model import corpora
    from qualityscore.model.context_training import train_context_model
    from qualityscore.model.resources import save_context_model
    from qualityscore.wordvectors import load_word_vectors

    data_dir = corpora.data_dir_with("medquad", "cochrane_pls", nothing_to="train a context model on")
    if data_dir is None:
        return 0
    vectors = load_word_vectors()
    if vectors is None:
        print("no word vectors installed: a context model needs them", file=sys.stderr)
        return 1
    base, extra = statistics_texts(data_dir), extra_texts(data_dir, args.extra)
    words = sum(len(t.split()) for t in extra)
    print(f"statistics' text: {sum(len(t.split()) for t in base):,} words; + {args.extra}: {words:,} words "
          f"in {len(extra):,} texts", file=sys.stderr, flush=True)
    t0 = time.time()
    model = train_context_model(base + extra, vectors, log=lambda m: print(m, file=sys.stderr, flush=True))
    save_context_model(model, args.out)
    print(f"trained in {time.time() - t0:.0f} s; saved {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
