"""What runs on a worker (a local process, a Dask worker, or the main process itself).

The model is loaded once per process: ``worker_scorer`` caches the Scorer by model path,
trust flag and Settings, so every chunk a process scores reuses it. Functions here are
module-level so that process pools and Dask can ship them by reference.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from ..page import Page, Result
    from ..scorer import Scorer

# A job is what a worker needs for one record: ("text" | "html" | "url", content).
Job = tuple[str, "str | bytes", "str | None"]  # kind, content, the page's URL (see records.Record)
# What comes back per job: (score, probability_low_quality, decision, reasons,
# error_type, error_message, model_version); None for a record that was not a job.
Outcome = tuple[
    "float | None", "float | None", "str | None", list[str], "str | None", "str | None", "str | None"
]


@dataclass(frozen=True)
class ScorerSpec:
    """Everything a worker needs to build the same Scorer as every other worker."""

    model: str | None
    trust_model: bool
    settings: Settings
    reasons: int = 3
    # Set by the runner after the probe: a worker whose model differs refuses to score.
    model_fingerprint: str | None = None


_load_lock = threading.Lock()
_WARM_UP_TEXT = "Talk to your doctor before you change the dose of any medicine."


@lru_cache(maxsize=2)
def _bundle(
    model: str | None, trust_model: bool, stamp: tuple[int, int] | None
) -> tuple[Any, str]:
    import hashlib
    import json

    from ..model.bundle import load_bundle

    bundle = load_bundle(model, trust_pickle=trust_model)
    # The metadata holds data digests, metrics, thresholds and the commit: a retrained
    # model differs even when its version string does not.
    meta = json.dumps(bundle.metadata, sort_keys=True, default=str).encode()
    return bundle, hashlib.sha256(meta).hexdigest()[:16]


@lru_cache(maxsize=8)
def _load(
    model: str | None, trust_model: bool, stamp: tuple[int, int] | None, settings: Settings
) -> tuple[Scorer, str]:
    # What Scorer.load does, with the bundle cached apart from the settings: jobs with
    # other thresholds in the same process reuse the loaded model.
    from ..scorer import Scorer

    bundle, fingerprint = _bundle(model, trust_model, stamp)
    return Scorer(bundle, settings), fingerprint


def _file_stamp(model: str | None) -> tuple[int, int] | None:
    """Size and mtime of the model file: a file replaced in place is loaded again."""
    import os

    from ..model.bundle import default_model_path

    try:
        st = os.stat(model if model is not None else default_model_path())
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def worker_scorer(spec: ScorerSpec) -> Scorer:
    """The Scorer for ``spec``, loaded on first use in this process and kept."""
    return _worker_model(spec)[0]


def _worker_model(spec: ScorerSpec) -> tuple[Scorer, str]:
    # The lock keeps threads of one Dask worker from loading the same model twice.
    with _load_lock:
        return _load(spec.model, spec.trust_model, _file_stamp(spec.model), spec.settings)


def warm_up(spec: ScorerSpec) -> None:
    """Load the model before the first chunk arrives.

    A failure is left for ``probe``/``score_jobs`` to raise with its real type (an
    initializer that raises would only break the pool).
    """
    try:
        worker_scorer(spec)
    except Exception:
        pass


def pool_initializer(spec: ScorerSpec) -> None:
    """Local process-pool workers: leave Ctrl-C to the parent (which stops the pool and
    keeps finished chunks), then load the model."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    warm_up(spec)


def probe(spec: ScorerSpec) -> dict[str, Any]:
    """Load the model, score a line (the first score loads lexicons and word lists), and
    report what a run's manifest records about the model."""
    from .. import __version__

    scorer, fingerprint = _worker_model(spec)
    score_jobs(spec, [("text", _WARM_UP_TEXT)])
    return {
        "qualityscore": __version__,
        "model_version": scorer.bundle.version,
        "model_fingerprint": fingerprint,
        "review_below": scorer.review_below,
        "reject_below": scorer.reject_below,
    }


def score_jobs(spec: ScorerSpec, jobs: list[Job | None]) -> list[Outcome | None]:
    """Score one chunk. A record that cannot be scored becomes an error outcome."""
    from threadpoolctl import threadpool_limits

    from ..errors import ModelError
    from ..scorer import failure_result

    scorer, fingerprint = _worker_model(spec)
    if spec.model_fingerprint is not None and fingerprint != spec.model_fingerprint:
        raise ModelError(
            f"the model file changed during the job (now {fingerprint}, the job started "
            f"with {spec.model_fingerprint}); rerun with --resume to continue with one model",
            type="model.changed",
        )
    # One record is a tiny prediction: BLAS/OpenMP thread pools only add overhead
    # (measured: ~15 ms a record with one thread, 90-160 ms with two on two cores),
    # and the parallelism comes from the worker processes.
    with threadpool_limits(limits=1):
        pages: list[Page] = []
        slots: list[int | Outcome | None] = []
        for job in jobs:
            if job is None:
                slots.append(None)
                continue
            try:
                pages.append(_page(scorer, job))
                slots.append(len(pages) - 1)
            except Exception as exc:
                slots.append(_outcome(failure_result("", exc), spec))
        # One model call for the chunk (the model's fixed cost per call is most of its
        # time on one record); a record whose analysis fails is an error row on its own.
        results = scorer.score_pages_isolated(pages)
    return [_slot(s, results, spec) for s in slots]


def _slot(slot: int | Outcome | None, results: list[Result], spec: ScorerSpec) -> Outcome | None:
    if isinstance(slot, int):
        return _outcome(results[slot], spec)
    return slot


def _page(scorer: Scorer, job: Job) -> Page:
    from ..extract.sources import page_from_bytes

    kind, content, base = job
    if kind == "url":
        return scorer.fetch_page(str(content))
    data = content if isinstance(content, bytes) else _to_bytes(content)
    return page_from_bytes(
        data, url=base, is_html=True if kind == "html" else None, settings=scorer.settings
    )


def _outcome(result: Result, spec: ScorerSpec) -> Outcome:
    if result.error is not None:
        return _error(result.error.type, result.error.message)
    d = result.to_dict()
    return (
        d["score"],
        d["probability_low_quality"],
        d["decision"],
        # Result.reasons(0) would mean "no limit".
        [f.rule for f in result.reasons(spec.reasons)] if spec.reasons > 0 else [],
        None,
        None,
        d["model_version"],
    )


def _to_bytes(text: str) -> bytes:
    """Text back to bytes, so text goes through the same binary/size checks as stdin."""
    try:
        # surrogateescape restores undecodable bytes read from CSV, so that binary
        # garbage is recognised as such.
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace")


def _error(type_: str, message: str) -> Outcome:
    return (None, None, None, [], type_, message, None)
