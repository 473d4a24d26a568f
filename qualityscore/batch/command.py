"""`qualityscore batch`: score a moderation queue (JSONL, CSV or Parquet) into decisions.

cli.py imports this module at startup, so only click and the standard library are
imported here; the runner, pyarrow, dask and rich load when the command runs.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

# Same meanings as `qualityscore score` (see cli.py).
EXIT_OK, EXIT_ABORTED, EXIT_INPUT_ERROR, EXIT_MODEL_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 130, 143  # 128 + SIGINT, 128 + SIGTERM
_FORMATS = click.Choice(["jsonl", "csv", "parquet"])


@click.command()
@click.argument("input_path", metavar="INPUT")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Output file (.jsonl, .csv or .parquet). It appears only when the job is complete.")
@click.option("--input-format", type=_FORMATS, default=None, help="Input format (default: from the extension; - is JSONL).")
@click.option("--output-format", type=_FORMATS, default=None, help="Output format (default: from the extension).")
@click.option("--id-field", default="id", show_default=True, help="Field holding the record id (missing ids become line:N / row:N).")
@click.option("--text-field", default="text", show_default=True, help="Field holding plain text (HTML is recognised).")
@click.option("--html-field", default="html", show_default=True, help="Field holding HTML.")
@click.option("--url-field", default="url", show_default=True, help="Field holding a URL to fetch (safely, as `score` does).")
@click.option("--keep", multiple=True, metavar="COL", help="Copy this input column to the output (repeatable).")
@click.option("--label-field", default=None, metavar="COL",
              help="A labeled queue: COL holds each record's label (low/high, spam/ham, 1/0; 1 = low quality). "
                   "It is kept in the output, and the summary says how scores and decisions agree with it.")
@click.option("--review-below", type=float, default=None, help="Scores below this go to review (default: from the model).")
@click.option("--reject-below", type=float, default=None, help="Scores below this are rejected (default: from the model).")
@click.option("--observe-only", is_flag=True, help="Score without deciding: the decision column stays empty.")
@click.option("--reasons", type=click.IntRange(0, 20), default=3, show_default=True, help="Rule codes listed per row.")
@click.option("--summary-json", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the summary (counts per decision, error type and rule) as JSON.")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model file (default: the shipped model).")
@click.option("--trust-model", is_flag=True, help="Allow a pickle/joblib model file (it can run code: only your own files).")
@click.option("--allow-private", is_flag=True, help="Allow URLs that resolve to private/loopback addresses (intranet use; cloud metadata addresses stay blocked).")
@click.option("--any-language", is_flag=True,
              help="Score records that do not read as English (by default: input.unsupported_language error rows).")
@click.option("--min-words", type=click.IntRange(0), default=None,
              help="Records of fewer words go to review rather than ok, and rather than reject when no signal quotes spam on them; 0 turns this off [default: 25].")
@click.option("--workers", type=int, default=1, show_default=True,
              help="Worker processes (local engine, or the Dask LocalCluster when no --scheduler).")
@click.option("--chunk-size", type=int, default=None, help="Records per chunk, the unit of work and of resuming [default: 500].")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from OUTPUT.parts/ (same input and options).")
@click.option("--engine", type=click.Choice(["local", "dask"]), default=None,
              help="local (processes on this machine) or dask [default: local, dask with --scheduler].")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster).")
def batch(
    input_path: str,
    output: Path,
    input_format: str | None,
    output_format: str | None,
    id_field: str,
    text_field: str,
    html_field: str,
    url_field: str,
    keep: tuple[str, ...],
    label_field: str | None,
    review_below: float | None,
    reject_below: float | None,
    observe_only: bool,
    reasons: int,
    summary_json: Path | None,
    model: Path | None,
    trust_model: bool,
    allow_private: bool,
    any_language: bool,
    min_words: int | None,
    workers: int,
    chunk_size: int | None,
    resume: bool,
    engine: str | None,
    scheduler: str | None,
) -> None:
    """Score a queue of records (JSONL, CSV or Parquet; - for JSONL on stdin).

    Each record needs an id and a text, html or url field. The output has one row per
    record, in input order: id, score, probability_low_quality, decision, reasons,
    error_type, error_message, model_version (and any --keep columns). A record that
    cannot be scored becomes a row with error_type set, and the job goes on (exit 2).

    \b
    Examples:
      qualityscore batch queue.jsonl -o scored.parquet --workers 4
      qualityscore batch queue.csv -o scored.csv --keep title --summary-json summary.json
      qualityscore batch queue.parquet -o scored.parquet --resume
      qualityscore batch labeled.jsonl -o scored.jsonl --label-field label
      qualityscore batch queue.parquet -o scored.parquet --scheduler tcp://10.0.0.5:8786
    """
    from ..errors import ModelError
    from ..settings import DEFAULT_SETTINGS
    from .parts import write_json_atomic
    from .records import Fields
    from .runner import (
        DEFAULT_CHUNK_SIZE,
        BatchConfig,
        BatchInputError,
        BatchUsageError,
        JobAborted,
        ResumeError,
        run_batch,
    )
    from .worker import ScorerSpec

    if engine is None:
        engine = "dask" if scheduler else "local"
    elif engine == "local" and scheduler:
        raise click.UsageError("--scheduler needs --engine dask")
    if output.is_symlink():  # write through a link to its file, not over the link
        output = output.resolve()
    if summary_json is not None:
        if not summary_json.parent.is_dir():
            raise click.UsageError(f"--summary-json: folder {summary_json.parent} does not exist")
        clash = [str(p) for p in (output, Path(input_path)) if str(p) != "-"
                 and Path(p).resolve() == summary_json.resolve()]
        if clash:
            raise click.UsageError(f"--summary-json would overwrite {clash[0]}")
    if review_below is not None and reject_below is not None and reject_below > review_below:
        raise click.UsageError(
            f"--reject-below ({reject_below}) must not exceed --review-below ({review_below})"
        )
    try:
        settings = DEFAULT_SETTINGS.with_options(
            review_below=review_below, reject_below=reject_below,
            allow_private=allow_private or None,
            language_check=False if any_language else None,
            min_words_to_pass=min_words,
        )
    except (TypeError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    config = BatchConfig(
        input=input_path,
        output=output,
        spec=ScorerSpec(
            model=None if model is None else str(model.resolve()),
            trust_model=trust_model,
            settings=settings,
            reasons=reasons,
        ),
        input_format=input_format,
        output_format=output_format,
        fields=Fields(id=id_field, text=text_field, html=html_field, url=url_field),
        keep=tuple(keep) + ((label_field,) if label_field and label_field not in keep else ()),
        label_field=label_field or None,
        observe_only=observe_only,
        workers=workers,
        chunk_size=DEFAULT_CHUNK_SIZE if chunk_size is None else chunk_size,
        resume=resume,
        engine=engine,
        scheduler=scheduler,
    )
    progress = _RichProgress() if sys.stderr.isatty() else None
    try:
        with _SigtermAsInterrupt():
            summary = run_batch(config, progress)
    except _Terminated:
        _fail(f"terminated (SIGTERM). Finished chunks are kept: rerun with --resume.{_previous_note(output)}",
              EXIT_TERMINATED)
    except BatchUsageError as exc:
        raise click.UsageError(str(exc)) from exc
    except (BatchInputError, ResumeError) as exc:
        _fail(str(exc), EXIT_INPUT_ERROR)
    except ModelError as exc:
        _fail(f"{exc.message} [{exc.type}]", EXIT_MODEL_ERROR)
    except JobAborted as exc:
        _fail(f"{exc}. Finished chunks are kept: rerun with --resume.{_previous_note(output)}", EXIT_ABORTED)
    except KeyboardInterrupt:
        _fail(f"interrupted. Finished chunks are kept: rerun with --resume.{_previous_note(output)}",
              EXIT_INTERRUPTED)
    click.echo(summary.to_text(), err=True)
    if summary_json is not None:
        write_json_atomic(summary_json, summary.to_dict())
    sys.exit(EXIT_INPUT_ERROR if summary.errors else EXIT_OK)


class _Terminated(KeyboardInterrupt):
    """SIGTERM (a scheduler, `kill`, a container stopping): stopped as Ctrl-C stops a run,
    its finished chunks kept, so that `--resume` goes on from them."""


class _SigtermAsInterrupt:
    """While running, SIGTERM raises ``_Terminated`` in the main thread (a KeyboardInterrupt:
    every path that stops a run cleanly on Ctrl-C stops it on SIGTERM too)."""

    def __enter__(self) -> None:
        import signal
        import threading

        self._old = None
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._raise)

    @staticmethod
    def _raise(signum: int, frame: Any) -> None:
        raise _Terminated()

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)


def _previous_note(output: Path) -> str:
    """Where an earlier run's OUTPUT waits, if this run set one aside."""
    from .parts import previous_output_for

    previous = previous_output_for(output)
    return f" The previous {output.name} is kept as {previous}." if previous.is_file() else ""


def _fail(message: str, code: int) -> None:
    click.echo(f"qualityscore: error: {message}", err=True)
    sys.exit(code)


class _RichProgress:
    """A progress bar on stderr (only used when stderr is a terminal)."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._records = 0

    def start(self, total: int | None, unit: str) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[records]:,} records"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self._progress.start()
        # The first chunk comes back once the workers have loaded the model.
        self._task = self._progress.add_task("loading the model", total=total, records=0)

    def advance(self, records: int, amount: int) -> None:
        if self._progress is None:
            return
        self._records += records
        self._progress.update(
            self._task, advance=amount, records=self._records, description="scoring"
        )

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
