"""How varied real pages' words are, against the cut of ``boilerplate.repetitive_text``.

A page that is little but one word or phrase pasted over and over ("diabetes diabetes
...") is never passed as ok: the model never saw such a page, and its score says nothing
about it. The rule reads the mean share of distinct words per run of 50 content words
(``signals/boilerplate.window_variety``) and fires under ``MIN_WORD_VARIETY``. This script
measures that mean over every page of the corpora that has a run (MedQuAD, Cochrane
summaries and abstracts, HealthStory, OneStopEnglish, MedReadMe's passages, and the
extraction cache: Sondhi's HTML and both views of the labeled pages, when ``qualityscore
train`` or ``evaluate`` has filled it), and over pages made of one word or phrase
repeated. Run from the project root (needs ../shared/data; about a minute)::

    python evaluation/repetitive_text.py [--out evaluation/reports/repetitive_text.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Pages made of one word or phrase repeated (this project's own words).
REPEATED = {
    "one word, 200 times": "diabetes " * 200,
    "a four-word phrase, 50 times": "best diabetes treatment online " * 50,
    "a three-word phrase, 50 times": "insulin pills cheap " * 50,
    "a sentence of four content words, 30 times": "Buy cheap viagra online. " * 30,
    "a phrase of five content words, 40 times": "cheap natural blood sugar cure " * 40,
}


def corpus_texts(data_dir: Path) -> dict[str, list[str]]:
    from qualityscore.model import corpora

    texts = {
        "medquad": [s.content for s in corpora.medquad(data_dir)],
        "cochrane": [s.content for s in corpora.cochrane(data_dir)]
        + [s.content for s in corpora.cochrane(data_dir, kinds=("source",))],
        "healthstory": [s.content for s in corpora.healthstory(data_dir)],
        "onestop": [s.content for s in corpora.onestop(data_dir)],
        "medreadme": [s.content for s in corpora.medreadme(data_dir)],
    }
    cache = HERE / "cache" / "pages.jsonl"
    if cache.is_file():
        with cache.open(encoding="utf-8") as fh:
            texts["extraction_cache"] = [json.loads(line)["page"]["text"] for line in fh]
    return texts


def variety(text: str) -> float | None:
    from qualityscore.signals.boilerplate import window_variety
    from qualityscore.text import Doc

    shares = window_variety(Doc(text))
    return sum(shares) / len(shares) if shares else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/repetitive_text.json"))
    args = ap.parse_args(argv)

    from qualityscore.model import corpora
    from qualityscore.signals.boilerplate import MIN_WORD_VARIETY, VARIETY_WINDOW

    data_dir = corpora.data_dir_with("medquad", "cochrane_pls", "healthstory", "onestopenglish", "medreadme",
                                     nothing_to="measure")
    if data_dir is None:
        return 0
    report: dict[str, object] = {"window": VARIETY_WINDOW, "cut": MIN_WORD_VARIETY, "corpora": {}, "repeated": {}}
    for name, texts in corpus_texts(data_dir).items():
        values = sorted(v for v in map(variety, texts) if v is not None)
        report["corpora"][name] = {  # type: ignore[index]
            "pages": len(texts), "pages_with_a_run": len(values),
            "lowest": round(values[0], 3) if values else None,
            "under_the_cut": sum(v < MIN_WORD_VARIETY for v in values),
        }
        print(f"{name:17s} {len(values):6,} of {len(texts):6,} pages with a run of {VARIETY_WINDOW} content words; "
              f"lowest {values[0]:.3f}; under the cut: {sum(v < MIN_WORD_VARIETY for v in values)}", file=sys.stderr)
    for name, text in REPEATED.items():
        v = variety(text)
        report["repeated"][name] = {"variety": round(v, 3), "caught": v < MIN_WORD_VARIETY}  # type: ignore[index,operator]
        print(f"{name:45s} {v:.3f} {'caught' if v < MIN_WORD_VARIETY else 'not caught'}", file=sys.stderr)  # type: ignore[operator]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
