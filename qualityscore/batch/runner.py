"""Run a batch job: stream chunks to workers, write finished chunks, assemble the output.

The same loop drives every engine; an engine only supplies ``submit`` (a
concurrent.futures-style executor) and ``probe``:

* ``local``, 1 worker: chunks are scored in this process;
* ``local``, N workers: a process pool whose workers load the model once (initializer);
* ``dask``: dask.distributed (a scheduler address, or a LocalCluster), through the
  client's concurrent.futures executor; each Dask worker keeps its model in
  ``worker.worker_scorer``'s cache.

At most ``capacity`` chunks are in flight, so memory does not grow with the input. The
library never prints: progress goes to an optional callback object, and the Summary is
returned.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from ..errors import ModelError
from .parts import (
    COLUMNS,
    PartStore,
    ResumeError,
    part_format_for,
    parts_dir_for,
    unfinished_run_message,
)
from .records import (
    FORMATS,
    RECORD_BYTES_FACTOR,
    BatchInputError,
    Chunk,
    Fields,
    Record,
    chunks,
    open_input,
)
from .summary import Summary
from .worker import Outcome, ScorerSpec, pool_initializer, probe, score_jobs

ENGINES = ("local", "dask")
DEFAULT_CHUNK_SIZE = 500
# Chunks in flight per worker: one being scored, one waiting, so no worker idles.
IN_FLIGHT_PER_WORKER = 2
# How long a Dask job waits for its first worker.
WAIT_FOR_WORKERS_S = 60
# dask.distributed keeps the last ``distributed.admin.low-level-log-length`` messages
# (default 1,000) of every batched connection, for debugging; under 1 MB each, so every
# chunk of records (and every chunk's results) was kept: the client/scheduler process grew
# by about 1.3 MB per 1,000 records (evaluation/bench_batch.py, README). Our processes
# keep a few; a separate scheduler and workers need the same setting (README).
DASK_MESSAGE_LOG = 16
# Rows a Parquet record batch is read in (chunks are regrouped from these).
PARQUET_BATCH_ROWS = 1024


class BatchUsageError(Exception):
    """The job cannot start as asked (bad option, unreadable input, missing extra)."""


class JobAborted(Exception):
    """The job stopped before the end (a worker died); finished chunks are kept."""


@dataclass(frozen=True)
class BatchConfig:
    input: str
    output: Path
    spec: ScorerSpec
    input_format: str | None = None
    output_format: str | None = None
    fields: Fields = field(default_factory=Fields)
    keep: tuple[str, ...] = ()
    # A kept column holding each record's label: the summary compares scores and
    # decisions with it (summary.LabelStats).
    label_field: str | None = None
    observe_only: bool = False
    workers: int = 1
    chunk_size: int = DEFAULT_CHUNK_SIZE
    resume: bool = False
    engine: str = "local"
    scheduler: str | None = None


class Progress(Protocol):
    def start(self, total: int | None, unit: str) -> None: ...
    def advance(self, records: int, amount: int) -> None: ...
    def stop(self) -> None: ...


class _NoProgress:
    def start(self, total: int | None, unit: str) -> None:
        pass

    def advance(self, records: int, amount: int) -> None:
        pass

    def stop(self) -> None:
        pass


def run_batch(config: BatchConfig, progress: Progress | None = None) -> Summary:
    """Run the job described by ``config`` and return its summary.

    Raises BatchUsageError or ResumeError (exit 2), ModelError (exit 3), JobAborted.
    """
    progress = progress or _NoProgress()
    started = time.monotonic()
    in_fmt, out_fmt = _check_config(config)
    _precheck_parts(config)
    settings = config.spec.settings
    inp = open_input(
        config.input,
        in_fmt,
        config.fields,
        config.keep,
        RECORD_BYTES_FACTOR * settings.max_input_bytes,
        PARQUET_BATCH_ROWS,
    )
    engine: _Engine | None = None
    try:
        progress.start(inp.total_progress, inp.progress_unit)
        engine = _make_engine(config)
        try:
            info = engine.probe(config.spec)
        except (ModelError, BatchUsageError, KeyboardInterrupt):
            raise
        except ValueError as exc:  # thresholds that contradict each other
            raise BatchUsageError(str(exc)) from exc
        except Exception as exc:  # a worker that could not even start
            raise JobAborted(f"the workers could not start: {type(exc).__name__}: {exc}") from exc
        spec = replace(config.spec, model_fingerprint=info["model_fingerprint"])
        manifest = _manifest(config, in_fmt, out_fmt, inp.fingerprint, info)
        store = PartStore.open(
            config.output,
            manifest,
            resume=config.resume,
            part_format=part_format_for(out_fmt),
            keep_types=_keep_types(config, in_fmt, out_fmt, inp.column_types),
        )
        digests: list[str] = []
        resumed = 0
        pending: dict[Future[list[Outcome | None]], Chunk] = {}

        def finish(done: set[Future[list[Outcome | None]]]) -> None:
            for fut in done:
                chunk = pending.pop(fut)
                _write_chunk(store, chunk, _result(fut), config)
                progress.advance(len(chunk.records), chunk.progress)

        for chunk in chunks(inp.records, config.chunk_size):
            digests.append(chunk.digest)
            if store.is_done(chunk.index, chunk.digest):
                resumed += 1
                progress.advance(len(chunk.records), chunk.progress)
                continue
            jobs = [r.job for r in chunk.records]
            if all(j is None for j in jobs):  # nothing to score: no need for a worker
                _write_chunk(store, chunk, [None] * len(jobs), config)
                progress.advance(len(chunk.records), chunk.progress)
                continue
            pending[engine.submit(score_jobs, spec, jobs)] = chunk
            while len(pending) >= engine.capacity:
                finish(wait(pending, return_when=FIRST_COMPLETED).done)
        while pending:
            finish(wait(pending, return_when=FIRST_COMPLETED).done)
        progress.stop()
        warnings = list(getattr(engine, "warnings", ()))
        engine.close()  # free the workers (and a LocalCluster) before assembling
        engine = None

        summary = Summary(
            label_field=config.label_field,
            info={
                "output": str(config.output),
                "input": config.input,
                "engine": config.engine,
                "workers": config.workers,
                "chunk_size": config.chunk_size,
                "chunks": len(digests),
                "resumed_chunks": resumed,
                "model_version": info["model_version"],
                "thresholds": {
                    "review_below": info["review_below"],
                    "reject_below": info["reject_below"],
                },
                "observe_only": config.observe_only,
                **({"warnings": warnings} if warnings else {}),
            }
        )
        store.assemble(digests, config.output, out_fmt, config.keep, summary)
        elapsed = time.monotonic() - started
        summary.info["elapsed_seconds"] = round(elapsed, 2)
        summary.info["records_per_second"] = (
            round(summary.records / elapsed, 1) if elapsed > 0 else None
        )
        return summary
    finally:
        progress.stop()
        if inp.close is not None:
            inp.close()
        if engine is not None:
            engine.close()


def _result(fut: Future[list[Outcome | None]]) -> list[Outcome | None]:
    from concurrent.futures.process import BrokenProcessPool

    try:
        return fut.result()
    except (ModelError, KeyboardInterrupt):
        raise
    except BrokenProcessPool as exc:
        raise JobAborted(
            "a worker process died (out of memory or killed)"
        ) from exc
    except Exception as exc:
        raise JobAborted(f"a chunk failed: {type(exc).__name__}: {exc}") from exc


def _write_chunk(
    store: PartStore, chunk: Chunk, outcomes: list[Outcome | None], config: BatchConfig
) -> None:
    rows = [
        _row(r, o, config.observe_only, config.keep)
        for r, o in zip(chunk.records, outcomes, strict=True)
    ]
    store.write(chunk.index, chunk.digest, rows)


def _row(
    rec: Record, outcome: Outcome | None, observe_only: bool, keep: tuple[str, ...]
) -> dict[str, Any]:
    if outcome is None:
        error_type, error_message = rec.error or ("internal.error", "record was not scored")
        outcome = (None, None, None, [], error_type, error_message, None)
    score, p_low, decision, reasons, error_type, error_message, model_version = outcome
    row = {
        "id": writable(rec.id),
        "score": score,
        "probability_low_quality": p_low,
        "decision": None if observe_only else decision,
        "reasons": reasons,
        "error_type": error_type,
        "error_message": writable(error_message),
        "model_version": model_version,
    }
    for name in keep:
        row[name] = writable(rec.keep.get(name))
    return row


def writable(value: Any) -> Any:
    """``value`` with every string made encodable as UTF-8, so that one record cannot stop
    the output being written. A CSV reader keeps bytes that are not UTF-8 as surrogate
    escapes (an id ``caf\\xe9`` from a Windows-1252 export): they are read as Windows-1252.
    A lone surrogate from JSON (``"\\ud800"``) becomes U+FFFD."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
            return value
        except UnicodeEncodeError:
            pass
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("cp1252", "replace")
    if isinstance(value, list):
        return [writable(v) for v in value]
    if isinstance(value, dict):
        return {writable(k): writable(v) for k, v in value.items()}
    return value


# -- checks and the manifest --------------------------------------------------------------
def _check_config(config: BatchConfig) -> tuple[str, str]:
    from .records import format_from_path

    in_fmt = config.input_format or format_from_path(config.input)
    if in_fmt is None:
        raise BatchUsageError(
            f"cannot tell the format of {config.input} from its name; pass --input-format"
        )
    out_fmt = config.output_format or format_from_path(str(config.output))
    if out_fmt is None:
        raise BatchUsageError(
            f"cannot tell the format of {config.output} from its name; pass --output-format"
        )
    for fmt in (in_fmt, out_fmt):
        if fmt not in FORMATS:
            raise BatchUsageError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if "parquet" in (in_fmt, out_fmt):
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:
            raise BatchUsageError(
                "Parquet needs pyarrow: pip install 'qualityscore[batch]'"
            ) from exc
    if config.engine not in ENGINES:
        raise BatchUsageError(f"unknown engine {config.engine!r}; use local or dask")
    if config.workers < 1:
        raise BatchUsageError("--workers must be at least 1")
    if config.chunk_size < 1:
        raise BatchUsageError("--chunk-size must be at least 1")
    clash = [k for k in config.keep if k in COLUMNS]
    if clash:
        option = "--label-field" if clash[0] == config.label_field else "--keep"
        raise BatchUsageError(
            f"{option} {clash[0]} would clash with the output column of that name"
        )
    if len(set(config.keep)) != len(config.keep):
        raise BatchUsageError("--keep lists a column twice")
    if not config.output.parent.is_dir():
        raise BatchUsageError(f"output folder {config.output.parent} does not exist")
    if config.output.exists() and not config.output.is_file():
        # Finishing replaces OUTPUT with a new file: a device (/dev/null) or pipe would be
        # replaced, not written to.
        raise BatchUsageError(
            f"{config.output} exists and is not a regular file; the output is written to a "
            "new file that replaces it, so give a file path"
        )
    if config.input != "-" and Path(config.input).resolve() == config.output.resolve():
        raise BatchUsageError("the output would overwrite the input")
    return in_fmt, out_fmt


def _precheck_parts(config: BatchConfig) -> None:
    """Refuse an unfinished run's folder before spending seconds on loading the model."""
    directory = parts_dir_for(config.output)
    if not config.resume and directory.is_dir() and any(directory.iterdir()):
        raise ResumeError(unfinished_run_message(config.output))


def _manifest(
    config: BatchConfig,
    in_fmt: str,
    out_fmt: str,
    input_fingerprint: dict[str, Any],
    info: dict[str, Any],
) -> dict[str, Any]:
    """What a resumed run must share with the interrupted one (not engine or workers:
    those change speed, not results)."""
    spec = config.spec
    settings = asdict(spec.settings)
    return {
        "manifest_format": 1,
        "qualityscore": info["qualityscore"],
        "input": input_fingerprint,
        "input_format": in_fmt,
        "output_format": out_fmt,
        "chunk_size": config.chunk_size,
        "fields": asdict(config.fields),
        "keep": list(config.keep),
        "model": {
            "path": spec.model,
            "version": info["model_version"],
            "fingerprint": info["model_fingerprint"],
        },
        "thresholds": {"review_below": info["review_below"], "reject_below": info["reject_below"]},
        "observe_only": config.observe_only,
        "reasons": spec.reasons,
        "settings": settings,
    }


def _keep_types(
    config: BatchConfig, in_fmt: str, out_fmt: str, column_types: dict[str, Any] | None
) -> dict[str, Any]:
    if out_fmt != "parquet":
        return {}
    import pyarrow as pa

    if in_fmt == "parquet" and column_types is not None:
        return {k: column_types[k] for k in config.keep}
    if in_fmt == "csv":
        return {k: pa.string() for k in config.keep}
    return {k: None for k in config.keep}


# -- engines ------------------------------------------------------------------------------
class _Engine(Protocol):
    capacity: int

    def probe(self, spec: ScorerSpec) -> dict[str, Any]: ...
    def submit(self, fn: Any, *args: Any) -> Future[Any]: ...
    def close(self) -> None: ...


def _make_engine(config: BatchConfig) -> _Engine:
    if config.engine == "dask":
        return _DaskEngine(config.workers, config.scheduler)
    if config.workers == 1:
        return _InlineEngine()
    return _PoolEngine(config.spec, config.workers)


class _InlineEngine:
    """Score in this process (the model is loaded once, in this process)."""

    capacity = 1

    def probe(self, spec: ScorerSpec) -> dict[str, Any]:
        return probe(spec)

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        fut: Future[Any] = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut

    def close(self) -> None:
        pass


class _PoolEngine:
    """A pool of worker processes, each loading the model once in its initializer."""

    def __init__(self, spec: ScorerSpec, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: a forked child inherits OpenMP and thread state it cannot use.
        self.pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=pool_initializer,
            initargs=(spec,),
        )
        self.workers = workers
        self.capacity = IN_FLIGHT_PER_WORKER * workers

    def probe(self, spec: ScorerSpec) -> dict[str, Any]:
        # One probe per worker, submitted together: the pool starts every process at
        # once, so the models load in parallel rather than one after the other.
        futures = [self.pool.submit(probe, spec) for _ in range(self.workers)]
        return _agreed([f.result() for f in futures])

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        return self.pool.submit(fn, *args)

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class _DaskEngine:
    """dask.distributed: a scheduler at ``address``, or a LocalCluster of ``workers``."""

    def __init__(self, workers: int, address: str | None) -> None:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as exc:
            raise BatchUsageError(
                "--engine dask needs dask.distributed: pip install 'qualityscore[dask]'"
            ) from exc
        # Set for this engine's lifetime (restored in close): the client, the in-process
        # scheduler of a LocalCluster and its workers (nannies pass the config on).
        self._dask_config = dask.config.set({"distributed.admin.low-level-log-length": DASK_MESSAGE_LOG})
        self.cluster = None
        try:
            if address:
                self.client = Client(address, timeout="30s")
            else:
                self.cluster = LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=logging.ERROR,
                    # Ctrl-C is the parent's to handle, as for the local engine's workers.
                    preload=["qualityscore.batch.dask_worker_setup"],
                )
                self.client = Client(self.cluster)
        except (OSError, ValueError, TypeError) as exc:  # ValueError: "10.0.0.5", "tcp://h:notaport"
            if self.cluster is not None:
                self.cluster.close()
            self._dask_config.__exit__(None, None, None)
            raise BatchUsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        try:
            self.client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
        except TimeoutError as exc:
            self.close()
            raise BatchUsageError(
                f"no Dask worker joined the scheduler within {WAIT_FOR_WORKERS_S} s"
            ) from exc
        self.warnings = self._message_log_warnings() if address else []
        self.executor = self.client.get_executor(pure=False)
        threads = sum(self.client.nthreads().values()) or 1
        self.capacity = IN_FLIGHT_PER_WORKER * threads

    def _message_log_warnings(self) -> list[str]:
        """A scheduler or workers we did not start keep their own message-log length: say
        so when it is large enough to grow their memory with every chunk (README)."""
        try:
            lengths = {"the scheduler": self.client.run_on_scheduler(_message_log_length)}
            lengths.update(self.client.run(_message_log_length))
        except Exception:  # an advisory check must not stop the job
            return []
        large = sorted(name for name, n in lengths.items() if n > DASK_MESSAGE_LOG)
        if not large:
            return []
        return [
            f"{', '.join(large[:3])}{' and others' if len(large) > 3 else ''} keep "
            f"distributed.admin.low-level-log-length={max(lengths[n] for n in large)} messages "
            "per connection, so their memory grows with every chunk; start them with "
            f"DASK_DISTRIBUTED__ADMIN__LOW_LEVEL_LOG_LENGTH={DASK_MESSAGE_LOG}"
        ]

    def probe(self, spec: ScorerSpec) -> dict[str, Any]:
        from .. import __version__

        versions = self.client.run(_qualityscore_version)
        odd = {w: v for w, v in versions.items() if v != __version__}
        if odd:
            worker, version = next(iter(odd.items()))
            raise BatchUsageError(
                f"Dask worker {worker} runs qualityscore {version}, this client "
                f"{__version__}; install the same version on every worker"
            )
        # Every worker loads its model now, in parallel, in its task thread; a worker
        # that joins later loads it with its first chunk.
        futures = [
            self.client.submit(probe, spec, workers=[w], allow_other_workers=False, pure=False)
            for w in self.client.nthreads()
        ]
        return _agreed(self.client.gather(futures))

    def submit(self, fn: Any, *args: Any) -> Future[Any]:
        return self.executor.submit(fn, *args)

    def close(self) -> None:
        try:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
        finally:
            self._dask_config.__exit__(None, None, None)


def _message_log_length() -> int:
    import dask

    return int(dask.config.get("distributed.admin.low-level-log-length", 1000))


def _agreed(infos: list[dict[str, Any]]) -> dict[str, Any]:
    """The workers' model facts, which must be the same everywhere."""
    first = infos[0]
    for other in infos[1:]:
        if other != first:
            raise BatchUsageError(
                f"workers disagree about the model ({first} vs {other}); install the same "
                "qualityscore and model on every worker"
            )
    return first


def _qualityscore_version() -> str:
    from .. import __version__

    return __version__


__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "BatchConfig",
    "BatchInputError",
    "BatchUsageError",
    "JobAborted",
    "ResumeError",
    "run_batch",
]
