"""A sense-blind thesaurus for the spinner simulator (training data only).

``wordnet_swaps.tsv`` holds one headword per line, a tab, and its synonyms joined by "|".
``evaluation/build_thesaurus.py`` builds it from LibreOffice's English thesaurus
(``mythes-en-us``, made from WordNet; licence in NOTICE.md), keeping only the synonyms a
spinner would use (no antonyms, generic or related terms; one or two plain words; not the
headword, a form of it or a word it is a form of) and only the headwords of the *training
half* (``held_out`` is false). The other half is never read by training:
``evaluation/foreign_spinner.py`` spins held-out text with it, so the model is judged on
swaps of words it has never seen swapped.

Nothing here runs when a page is scored; training reads it through
``model.spinner.ThesaurusSpinner``.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources

from ..text import STOPWORDS

THESAURUS_FILE = "wordnet_swaps.tsv"
_SYNONYM = re.compile(r"[a-z]+(?:[ -][a-z]+)?")  # one plain word, or two


def held_out(word: str) -> bool:
    """Headwords whose swaps training never sees (half of them, by a stable hash)."""
    return zlib.crc32(word.encode("utf-8")) % 2 == 1


def spinner_choices(
    thesaurus: Mapping[str, Iterable[str]], stopwords: Iterable[str] = STOPWORDS
) -> dict[str, tuple[str, ...]]:
    """Headword -> the synonyms a sense-blind spinner would swap in, sorted.

    Headwords of three letters or more, alphabetic, not stopwords (the tokenizer's, by
    default); synonyms one or two plain lower-case words, neither the headword nor a form
    of it ("care" -> "caring").
    """
    stop = frozenset(stopwords)
    out: dict[str, tuple[str, ...]] = {}
    for head, syns in thesaurus.items():
        if len(head) < 3 or not head.isalpha() or not head.islower() or head in stop:
            continue
        options = sorted({s for s in syns if _SYNONYM.fullmatch(s) and s != head
                          and not s.startswith(head) and not head.startswith(s)})
        if options:
            out[head] = tuple(options)
    return out


def write(choices: Mapping[str, Iterable[str]], path) -> int:  # type: ignore[no-untyped-def]
    """Write ``choices`` as the package file; returns the number of headwords."""
    lines = [f"{head}\t{'|'.join(syns)}" for head, syns in sorted(choices.items())]
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    return len(lines)


def thesaurus_digest() -> str:
    """SHA-256 (16 hex digits) of the packaged file: the model card lists it among the
    training data's digests."""
    import hashlib

    raw = resources.files(__name__).joinpath(THESAURUS_FILE).read_bytes()
    return hashlib.sha256(raw).hexdigest()[:16]


@lru_cache(maxsize=1)
def load_thesaurus() -> dict[str, tuple[str, ...]]:
    """The packaged training half: headword -> synonyms."""
    raw = resources.files(__name__).joinpath(THESAURUS_FILE).read_text("utf-8")
    out: dict[str, tuple[str, ...]] = {}
    for line in raw.splitlines():
        head, _, syns = line.partition("\t")
        if head and syns:
            out[head] = tuple(syns.split("|"))
    return out


__all__ = ["THESAURUS_FILE", "held_out", "load_thesaurus", "spinner_choices", "thesaurus_digest", "write"]
