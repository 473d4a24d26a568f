"""Turn samples into (text, signal vector) rows, in parallel, with an extraction cache.

HTML extraction (trafilatura) is the slow step and does not depend on the model, so
extracted pages are cached on disk by a digest of the content and of the extraction code
(``extractor_id``); signals are always recomputed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from ..page import Link, Page
from ..signals import SignalSet, SpinResources, feature_names
from .corpora import Sample

_EXTRACTOR: list[str] = []


def extractor_id() -> str:
    """What the cached pages depend on besides the input: the extraction code and the
    versions of trafilatura and lxml. A change to any of them is a cache miss, never a
    stale page."""
    if not _EXTRACTOR:
        from importlib.metadata import version

        h = hashlib.sha1()
        folder = Path(__file__).resolve().parents[1] / "extract"
        for path in sorted(folder.glob("*.py")):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        for dist in ("trafilatura", "lxml"):
            h.update(f"{dist}={version(dist)}".encode())
        _EXTRACTOR.append(h.hexdigest()[:16])
    return _EXTRACTOR[0]


def _digest(sample: Sample) -> str:
    return hashlib.sha1(
        (extractor_id() + ("H" if sample.is_html else "T") + sample.content).encode("utf-8", "replace")
    ).hexdigest()


def page_of(sample: Sample, *, text_only: bool = False) -> Page:
    """The Page for a sample; ``text_only`` drops HTML evidence (links, metadata)."""
    from ..extract.sources import page_from_string

    page = page_from_string(sample.content, source=sample.id, is_html=sample.is_html)
    if text_only and page.is_html:
        page = Page(text=page.text, title="", is_html=False, source=sample.id)
    return page


class PageCache:
    """Extracted pages as JSON lines under a cache folder (gitignored)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.pages: dict[str, Page] = {}
        if path and path.exists():
            with path.open(encoding="utf-8") as fh:
                for line in fh:
                    row = json.loads(line)
                    links = tuple(Link(**{**lk, "rel": tuple(lk["rel"])}) for lk in row["page"]["links"])
                    self.pages[row["key"]] = Page(**{**row["page"], "links": links})

    def get(self, sample: Sample) -> Page:
        key = _digest(sample)
        page = self.pages.get(key)
        if page is None:
            page = page_of(sample)
            self.pages[key] = page
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"key": key, "page": asdict(page)}) + "\n")
        return page


def _analyze_chunk(pages: list[Page], resources: SpinResources, lexicon=None) -> list[list[float]]:  # type: ignore[no-untyped-def]
    from threadpoolctl import threadpool_limits

    signals = SignalSet(spin_resources=resources, lexicon=lexicon)
    names = feature_names()
    rows = []
    with threadpool_limits(limits=1, user_api="openmp"):
        for p in pages:
            feats = signals.analyze(p).features
            rows.append([feats[n] for n in names])
    return rows


def signal_matrix(
    pages: Sequence[Page], resources: SpinResources, *, n_jobs: int = 1, chunk: int = 200,
    lexicon=None,  # type: ignore[no-untyped-def]
) -> np.ndarray:
    """The signal vector of each page, rows in input order. ``lexicon``: the spin
    detector's substitution lexicon (None: the shipped one; held-out evaluations pass less)."""
    plain = resources
    chunks = [list(pages[i : i + chunk]) for i in range(0, len(pages), chunk)]
    if n_jobs == 1 or len(chunks) == 1:
        rows = [r for c in chunks for r in _analyze_chunk(c, plain, lexicon)]
    else:
        from joblib import Parallel, delayed

        parts = Parallel(n_jobs=n_jobs)(delayed(_analyze_chunk)(c, plain, lexicon) for c in chunks)
        rows = [r for part in parts for r in part]
    return np.asarray(rows, dtype=np.float64).reshape(len(pages), len(feature_names()))
