"""How many of the lexicon's one-word medical swaps an off-the-shelf thesaurus knows.

A "replacement test" (flag a word when a synonym would fit its slot far better) can only
recover swaps the thesaurus lists. This measures that ceiling with two thesauri from
Debian, neither a qualityscore dependency:

* ``mythes-en-us``: LibreOffice's English thesaurus, built from WordNet
  (``/usr/share/mythes/th_en_US_v2.dat``);
* ``aiksaurus``: a thesaurus built from Moby (its command-line tool, ``/usr/bin/aiksaurus``);
* the GloVe vectors packaged with qualityscore, as a thesaurus: each word's ``--neighbours``
  nearest words by cosine (always available).

A swap counts as covered when the variant is listed under the canonical term or the
canonical term under the variant. Install with ``apt-get install mythes-en-us aiksaurus``;
a thesaurus that is absent is skipped. Run from the project root (seconds):

    python evaluation/thesaurus_coverage.py [--neighbours 10]
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from functools import cache
from pathlib import Path

from qualityscore.signals.spin import load_lexicon

MYTHES = Path("/usr/share/mythes/th_en_US_v2.dat")
AIKSAURUS = Path("/usr/share/aiksaurus")  # words.dat and meanings.dat (libaiksaurus-1.2-data)


# mythes marks some entries of a sense as no synonym of the headword.
NOT_SYNONYMS = ("(antonym)", "(generic term)", "(related term)")


def read_mythes(path: Path, *, synonyms_only: bool = False) -> dict[str, set[str]]:
    """Headword -> every synonym listed under any of its senses (lower case).

    ``synonyms_only``: leave out antonyms and generic and related terms, as a spinner
    that swaps a word for its synonyms would."""
    thes: dict[str, set[str]] = defaultdict(set)
    lines = path.read_text(encoding="utf-8", errors="replace").split("\n")[1:]  # line 1: encoding
    i = 0
    while i < len(lines):
        if not lines[i]:
            i += 1
            continue
        head, n = lines[i].rsplit("|", 1)
        for sense in lines[i + 1 : i + 1 + int(n)]:
            for syn in sense.split("|")[1:]:  # field 0 is the part of speech
                if synonyms_only and syn.endswith(NOT_SYNONYMS):
                    continue
                thes[head.lower()].add(re.sub(r" \(.*\)$", "", syn).lower())
        i += 1 + int(n)
    return thes


def read_aiksaurus(folder: Path = AIKSAURUS) -> dict[str, set[str]]:
    """Headword -> every other word of every meaning group it belongs to (lower case).

    Reads Aiksaurus's data files directly (what ``aiksaurus WORD`` prints, for every word
    at once). ``words.dat``: each word, NUL-terminated, ":" for a space, then the big-endian
    16-bit numbers of its meaning groups, ended by 0xFFFF. ``meanings.dat``: each group's
    word numbers, the first two being its title words, ended by 0xFFFF."""
    import struct

    raw = (folder / "words.dat").read_bytes()
    words: list[str] = []
    groups_of: list[list[int]] = []
    i = 0
    while i < len(raw):
        j = raw.index(b"\0", i)
        words.append(raw[i:j].decode("latin-1").replace(":", " ").lower())
        i, groups = j + 1, []
        while (v := struct.unpack_from(">H", raw, i)[0]) != 0xFFFF:
            groups.append(v)
            i += 2
        groups_of.append(groups)
        i += 2
    raw = (folder / "meanings.dat").read_bytes()
    members: list[list[int]] = [[]]
    for v in struct.unpack(f">{len(raw) // 2}H", raw):
        if v == 0xFFFF:
            members.append([])
        else:
            members[-1].append(v)
    thes: dict[str, set[str]] = defaultdict(set)
    for w, groups in enumerate(groups_of):
        for g in groups:
            thes[words[w]].update(words[m] for m in members[g][2:] if m != w)
    return thes


@cache
def aiksaurus(word: str) -> frozenset[str]:
    out = subprocess.run(["aiksaurus", word], capture_output=True, text=True, check=False).stdout
    if "=== " not in out:  # "*** No synonyms known ***" and suggestions
        return frozenset()
    return frozenset(
        w.strip().lower() for line in out.splitlines() if line and not line.startswith("===")
        for w in line.split(",")
    )


def glove_neighbours(k: int):  # type: ignore[no-untyped-def]
    """word -> its k nearest packaged-vector words (cosine), or None without vectors."""
    import numpy as np

    from qualityscore.wordvectors import load_word_vectors

    wv = load_word_vectors()
    if wv is None:
        return None

    @cache
    def near(word: str) -> frozenset[str]:
        i = wv.index.get(word)
        if i is None:
            return frozenset()
        sims = wv.unit @ wv.unit[i]
        sims[i] = -2.0
        return frozenset(wv.vocab[j] for j in np.argpartition(-sims, k)[:k])

    return near


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--neighbours", type=int, default=10, help="nearest GloVe words counted as synonyms")
    args = ap.parse_args(argv)
    have_mythes, have_aik = MYTHES.exists(), shutil.which("aiksaurus") is not None
    near = glove_neighbours(args.neighbours)
    mythes = read_mythes(MYTHES) if have_mythes else {}
    swaps = [
        (e.canonical, e.variant) for e in load_lexicon().entries
        if e.kind == "medical" and " " not in e.canonical and " " not in e.variant
    ]
    glove = f"GloVe top-{args.neighbours}"
    by = {"mythes-en-us": 0, "aiksaurus": 0, "either": 0, glove: 0}
    for canonical, variant in swaps:
        m = have_mythes and (variant in mythes.get(canonical, ()) or canonical in mythes.get(variant, ()))
        a = have_aik and (variant in aiksaurus(canonical) or canonical in aiksaurus(variant))
        by["mythes-en-us"] += bool(m)
        by["aiksaurus"] += bool(a)
        by["either"] += bool(m or a)
        by[glove] += bool(near and (variant in near(canonical) or canonical in near(variant)))
    print(f"{len(swaps)} one-word swaps of one-word medical terms covered by:")
    for name, n in by.items():
        skipped = ((name == "mythes-en-us" and not have_mythes) or (name == "aiksaurus" and not have_aik)
                   or (name == glove and near is None))
        print(f"  {name:13s} {n / len(swaps):.1%}" + ("  (not installed)" if skipped else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
