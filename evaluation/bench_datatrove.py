"""datatrove baseline for evaluation/benchmark.py; runs in the benchmark's own venv.

    evaluation/.bench-venv/bin/python evaluation/bench_datatrove.py DOCS.json

Reads a JSON list of texts, and times datatrove's GopherQualityFilter, C4QualityFilter and
FineWebQualityFilter called directly (``filter(doc)``) on datatrove ``Document``s: every
filter sees every document (as if each ran first; C4 rewrites ``doc.text``, so each filter
gets its own copy, made before the clock starts). Only the filter calls are timed. Prints
one JSON object. Imports nothing from qualityscore: datatrove is not its dependency.

English word and sentence splitting in these filters is datatrove's ``SpaCyTokenizer``,
which uses ``spacy.blank("en")``: spaCy's rule-based tokenizer plus its ``sentencizer``,
no trained model, nothing downloaded (nltk and its punkt data are not used for English).
"""

from __future__ import annotations

import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing here should reach the network


def main() -> int:
    import datatrove
    import spacy
    from datatrove.data import Document
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
    )

    with open(sys.argv[1], encoding="utf-8") as fh:
        texts: list[str] = json.load(fh)
    filters = [GopherQualityFilter(), C4QualityFilter(), FineWebQualityFilter()]
    # Warm-up on text outside the set: spaCy's blank English pipeline is built on first use.
    warm = "Asthma is a disease of the airways. It makes breathing hard at times.\n" * 6
    for flt in filters:
        flt.filter(Document(text=warm, id="warm-up"))

    per_filter: dict[str, float] = {}
    kept: dict[str, int] = {}
    wall = cpu = 0.0
    for flt in filters:
        docs = [Document(text=t, id=str(i)) for i, t in enumerate(texts)]
        passed = 0
        w0, c0 = time.perf_counter(), time.process_time()
        for doc in docs:
            result = flt.filter(doc)
            passed += result is True
        w, c = time.perf_counter() - w0, time.process_time() - c0
        wall += w
        cpu += c
        per_filter[type(flt).__name__] = w
        kept[type(flt).__name__] = passed
    print(json.dumps({
        "docs": len(texts),
        "wall_s": wall,
        "cpu_s": cpu,
        "per_filter_wall_s": per_filter,
        "kept": kept,
        "versions": {"datatrove": datatrove.__version__ if hasattr(datatrove, "__version__")
                     else _version("datatrove"), "spacy": spacy.__version__},
    }))
    return 0


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


if __name__ == "__main__":
    sys.exit(main())
