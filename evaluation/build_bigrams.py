"""Build ``qualityscore/ngrams/cmu_bigrams.npz`` from CMU Sphinx's US English language model
(see its NOTICE.md).

    pip install pocketsphinx   # build time only; its wheel carries en-us.lm.bin
    python evaluation/build_bigrams.py [LM] [--out qualityscore/ngrams/cmu_bigrams.npz]

LM defaults to the ``en-us.lm.bin`` inside the installed ``pocketsphinx`` package (the
Debian package ``pocketsphinx-en-us`` has the same file). Not run by training or tests:
the file is committed, and the shipped model records its digest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qualityscore.ngrams import BIGRAMS_FILE, Bigrams, build


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("lm", type=Path, nargs="?", help="a sphinxbase .lm.bin or ARPA file")
    ap.add_argument("--out", type=Path, default=Path("qualityscore/ngrams") / BIGRAMS_FILE)
    args = ap.parse_args(argv)
    lm = args.lm
    if lm is None:
        import pocketsphinx

        lm = Path(pocketsphinx.get_model_path("en-us/en-us.lm.bin"))
    info = build(lm, args.out)
    info["digest"] = Bigrams.from_file(args.out).digest
    info["source"] = str(lm)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
