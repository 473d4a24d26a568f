"""Build ``qualityscore/thesaurus/wordnet_swaps.tsv``, the training half of a WordNet thesaurus.

    apt-get install mythes-en-us   # build time only
    python evaluation/build_thesaurus.py [--min-zipf 2.0] [--out qualityscore/thesaurus/wordnet_swaps.tsv]

Reads LibreOffice's English thesaurus (``/usr/share/mythes/th_en_US_v2.dat``, made from
WordNet; licence in ``qualityscore/thesaurus/NOTICE.md``), keeps the synonyms a spinner
would swap in (``qualityscore.thesaurus.spinner_choices``) for headwords of the training
half (``held_out`` false) that wordfreq gives at least ``--min-zipf`` (rarer words hardly
occur in health pages), and writes them. Not run by training or tests: the file is
committed. ``evaluation/foreign_spinner.py`` spins held-out text with the *other* half.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from wordfreq import zipf_frequency

from qualityscore.thesaurus import THESAURUS_FILE, held_out, spinner_choices, write

sys.path.insert(0, str(Path(__file__).resolve().parent))
from thesaurus_coverage import MYTHES, read_mythes


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mythes", type=Path, default=MYTHES)
    ap.add_argument("--min-zipf", type=float, default=2.0)
    ap.add_argument("--out", type=Path, default=Path("qualityscore/thesaurus") / THESAURUS_FILE)
    args = ap.parse_args(argv)
    if not args.mythes.exists():
        print(f"{args.mythes} not found: apt-get install mythes-en-us", file=sys.stderr)
        return 1
    thesaurus = read_mythes(args.mythes, synonyms_only=True)
    kept = {head: syns for head, syns in thesaurus.items()
            if not held_out(head) and zipf_frequency(head, "en") >= args.min_zipf}
    choices = spinner_choices(kept)
    n = write(choices, args.out)
    print(json.dumps({"source": str(args.mythes), "headwords": n,
                      "synonyms": sum(len(v) for v in choices.values()), "min_zipf": args.min_zipf,
                      "bytes": args.out.stat().st_size}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
