"""The command line: parse options, call the library, print, set the exit code.

Exit codes (all commands):
  0  every input was scored (and none crossed --fail-on)
  1  a --fail-on threshold was crossed
  2  an input could not be read, fetched or parsed (its line carries the error), or the
     command line itself was wrong
  3  the model could not be loaded, or training/evaluation data is missing
  130  interrupted (Ctrl-C)
  141  standard output was closed early (``| head``): the rest is not written
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__

EXIT_OK, EXIT_FAIL_ON, EXIT_INPUT_ERROR, EXIT_MODEL_ERROR = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 130, 141  # 128 + SIGINT, 128 + SIGPIPE, as shells say
_DECISION_RANK = {"ok": 0, "review": 1, "reject": 2}


def _settings_options(**options: object):  # type: ignore[no-untyped-def]
    from .settings import DEFAULT_SETTINGS

    return DEFAULT_SETTINGS.with_options(**options)


def _load_scorer(model: Path | None, trust_model: bool, **options: object):  # type: ignore[no-untyped-def]
    from .errors import ModelError
    from .scorer import Scorer

    try:
        return Scorer.load(model, settings=_settings_options(**options), trust_pickle=trust_model)
    except ModelError as exc:
        click.echo(f"qualityscore: error: {exc.message} [{exc.type}]", err=True)
        sys.exit(EXIT_MODEL_ERROR)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc


class _Commands(click.Group):
    """The command group; an interrupt or a closed pipe ends a command with its own exit
    code and one line, never click's "Aborted!" and exit 1 (which ``--fail-on`` uses)."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        import os

        if sys.stderr is None:  # started with stderr closed (2>&-): its messages go nowhere
            sys.stderr = open(os.devnull, "w")  # lives as long as the process
        try:
            result = super().invoke(ctx)
            if sys.stdout is not None:
                sys.stdout.flush()  # a full disk or closed pipe shows here, not at exit
            return result
        except KeyboardInterrupt:
            click.echo("\nqualityscore: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # The reader has gone (`| head`): stay quiet, and keep Python's own flush at
            # exit from failing again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
        except OSError as exc:
            # Writing the output failed: a full disk, a read-only or forbidden folder.
            if exc.errno not in _OUTPUT_ERRNOS:
                raise
            try:  # keep Python's own flush at exit from failing again on stdout
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            except (AttributeError, OSError, ValueError):  # no stdout, or not a real file
                pass
            where = f" {exc.filename}" if exc.filename else ""
            # A forbidden path may be one read as well as one written: say only what happened.
            what = "permission denied:" if exc.errno in _PERMISSION_ERRNOS else "cannot write the output"
            click.echo(f"qualityscore: error: {what}{where}: {exc.strerror}", err=True)
            sys.exit(EXIT_INPUT_ERROR)


def _errnos(*names: str) -> frozenset[int]:
    import errno

    return frozenset(getattr(errno, n) for n in names if hasattr(errno, n))


_PERMISSION_ERRNOS = _errnos("EACCES", "EPERM")
_OUTPUT_ERRNOS = _errnos("ENOSPC", "EIO", "EFBIG", "EROFS", "EDQUOT") | _PERMISSION_ERRNOS


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="qualityscore")
def main() -> None:
    """Score health web pages for quality and catch spun spam.

    \b
    Examples:
      qualityscore score page.html notes.txt https://example.org/article
      cat page.txt | qualityscore score - --format json
      qualityscore train && qualityscore evaluate
    """


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True,
    help="table for people; json for one JSON object per input (JSON Lines), in input order.",
)
@click.option(
    "--fail-on", type=click.Choice(["review", "reject"]), default=None,
    help="Exit 1 when any input's decision is this or worse.",
)
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model file (default: the shipped model).")
@click.option("--trust-model", is_flag=True, help="Allow a pickle/joblib model file (it can run code: only your own files).")
@click.option("--review-below", type=float, default=None, help="Scores below this go to review (default: from the model).")
@click.option("--reject-below", type=float, default=None, help="Scores below this are rejected (default: from the model).")
@click.option("--allow-private", is_flag=True, help="Allow URLs that resolve to private/loopback addresses (intranet use; cloud metadata addresses stay blocked).")
@click.option("--any-language", is_flag=True,
              help="Score pages that do not read as English (the model is English-only: by default they are input.unsupported_language errors).")
@click.option("--min-words", type=click.IntRange(0), default=None,
              help="Pages of fewer words go to review rather than ok, and rather than reject when no signal quotes spam on them; 0 turns this off [default: 25].")
@click.option("--reasons", type=click.IntRange(0, 20), default=3, show_default=True, help="Reasons shown per page in the table.")
def score(
    sources: tuple[str, ...],
    fmt: str,
    fail_on: str | None,
    model: Path | None,
    trust_model: bool,
    review_below: float | None,
    reject_below: float | None,
    allow_private: bool,
    any_language: bool,
    min_words: int | None,
    reasons: int,
) -> None:
    """Score files (.txt, .md, .html), URLs, or - for standard input.

    Each input gets a score from 0 (spam) to 100 (sound), a decision (ok, review or
    reject) and the evidence behind it. An input that cannot be read is reported as an
    error on its own line and the others are still scored (exit code 2).
    """
    if sys.stdout is None:  # started with stdout closed (>&-): every result would be lost
        click.echo("qualityscore: error: standard output is closed: nowhere to write the results", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    scorer = _load_scorer(
        model, trust_model, review_below=review_below, reject_below=reject_below,
        allow_private=allow_private or None, language_check=False if any_language else None,
        min_words_to_pass=min_words,
    )
    results = []
    for src in sources:
        result = scorer.score_source(src)
        results.append(result)
        if fmt == "json":
            click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    if fmt == "table":
        from .report import print_table

        print_table(results, reasons=reasons)
    if any(r.error for r in results):
        sys.exit(EXIT_INPUT_ERROR)
    if fail_on and any(
        _DECISION_RANK.get(r.decision or "ok", 0) >= _DECISION_RANK[fail_on] for r in results
    ):
        sys.exit(EXIT_FAIL_ON)


def _writable_folder_or_exit(folder: Path, option: str, *, create: bool = False) -> None:
    """Exit 2 now, not after minutes of work, when ``folder`` cannot take the output
    (``create``: made if missing, as the command would make it)."""
    import os

    try:
        if create:
            folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise click.UsageError(f"{option}: {folder} cannot be made ({exc.strerror or exc})") from exc
    if not folder.exists():
        raise click.UsageError(f"{option}: folder {folder} does not exist")
    if not folder.is_dir():
        raise click.UsageError(f"{option}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.UsageError(f"{option}: folder {folder} cannot be written")


def _data_dir_or_exit(data_dir: Path | None) -> Path:
    from .model.corpora import default_data_dir

    d = data_dir or default_data_dir()
    if d.exists() and not d.is_dir():
        click.echo(f"qualityscore: error: {d} is a file, not a corpus folder. Pass --data-dir or set "
                   "QUALITYSCORE_DATA to the folder that holds the corpora.", err=True)
        sys.exit(EXIT_MODEL_ERROR)
    if not d.is_dir():
        click.echo(
            f"qualityscore: error: corpus folder {d} not found. Pass --data-dir or set "
            "QUALITYSCORE_DATA (see labeled/corpora.toml for what it should hold).",
            err=True,
        )
        sys.exit(EXIT_MODEL_ERROR)
    return d


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Corpora folder (default: ../shared/data or $QUALITYSCORE_DATA).")
@click.option("--out", type=click.Path(path_type=Path), default=None, help="skops model file to write; the runtime .npz goes beside it (default: models/qualityscore-model.skops).")
@click.option("--jobs", type=int, default=2, show_default=True, help="Processes for feature extraction.")
@click.option("--cv/--no-cv", default=True, show_default=True, help="Run Sondhi cross-validation for the card and thresholds.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--labeled", "user", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="Your own labeled pages (JSONL: label, and html, text or content+format), added to "
                   "training; repeatable. The model card records each file's digest.")
def train(data_dir: Path | None, out: Path | None, jobs: int, cv: bool, seed: int, user: tuple[Path, ...]) -> None:
    """Train the model from the corpora and labeled/, write it with its model card.

    \b
    Examples:
      qualityscore train                                   # the shipped model's recipe
      qualityscore train --labeled ours.jsonl --out ours.skops
      qualityscore score --model ours.npz page.html        # then score with it
    """
    from .model.bundle import default_training_output, runtime_path_for
    from .model.corpora import (
        TRAINING_CORPORA,
        CorpusError,
        LabeledFileError,
        require_corpora,
        user_labeled,
    )
    from .model.train import train_and_save

    d = _data_dir_or_exit(data_dir)
    out = out or default_training_output()
    if out.suffix != ".skops":
        raise click.UsageError(f"--out must end in .skops (the runtime file is written beside it as .npz): {out}")
    _writable_folder_or_exit(out.parent, "--out")
    if out.is_dir():
        raise click.UsageError(f"--out {out} is a folder; name the .skops file to write")
    # Everything that can be checked before minutes of work, in the order a user fixes it.
    try:
        for f in user:
            user_labeled(f)
        require_corpora(d, TRAINING_CORPORA, "training")
        bundle = train_and_save(d, out, n_jobs=jobs, run_cv=cv, seed=seed, user=user,
                                log=lambda m: click.echo(m, err=True))
    except LabeledFileError as exc:
        click.echo(f"qualityscore: error: {exc}", err=True)
        sys.exit(EXIT_INPUT_ERROR)
    except CorpusError as exc:
        click.echo(f"qualityscore: error: {exc}", err=True)
        sys.exit(EXIT_MODEL_ERROR)
    click.echo(json.dumps(bundle.metadata.get("metrics", {}), indent=2))
    click.echo(f"wrote {out} and {runtime_path_for(out)}", err=True)


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None, help="Corpora folder (default: ../shared/data or $QUALITYSCORE_DATA).")
@click.option("--model", type=click.Path(path_type=Path), default=None, help="Model to evaluate on held-out text (default: the shipped model).")
@click.option("--out", type=click.Path(path_type=Path), default=Path("evaluation/reports"), show_default=True, help="Folder for summary.json and the plots.")
@click.option("--jobs", type=int, default=2, show_default=True, help="Processes for signals and cross-validation folds.")
@click.option("--cv/--no-cv", default=True, show_default=True, help="Re-run the Sondhi cross-validations (stratified and site-grouped; refits per fold).")
@click.option("--ablation/--no-ablation", default=True, show_default=True, help="Refit without each signal family, words only, signals only (needs --cv).")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Write PNG plots (needs the 'eval' extra: matplotlib).")
@click.option("--quick", is_flag=True, help="Smoke run: no refitting, a fixed sample of 300 texts per corpus.")
@click.option("--update-card", is_flag=True, help="Add the results to the model card beside the model (the model file is not touched).")
@click.option("--gate", is_flag=True, help="Only check the model against evaluation/baseline.json (about a minute); exit 1 below a pin.")
def evaluate(data_dir: Path | None, model: Path | None, out: Path, jobs: int, cv: bool, ablation: bool,
             plots: bool, quick: bool, update_card: bool, gate: bool) -> None:
    """Evaluate on the real corpora: Sondhi CV, false alarms, HealthStory, calibration, ablation.

    \b
    Writes OUT/summary.json and OUT/*.png; prints the headline figures as JSON.
    The full run refits about 100 models: about 4 minutes on 2 idle cores (18 on a busy
    shared machine). --no-ablation skips most refits; --quick refits nothing.
    """
    from .errors import ModelError
    from .model.corpora import EVALUATION_CORPORA, CorpusError, require_corpora
    from .model.evaluate import headline, run_evaluation
    from .model.gate import run_gate

    d = _data_dir_or_exit(data_dir)
    if not gate:
        _writable_folder_or_exit(out, "--out", create=True)
    try:
        require_corpora(d, EVALUATION_CORPORA, "evaluation")
        if gate:
            report = run_gate(d, model)
        else:
            summary = run_evaluation(d, model_path=model, out_dir=out, n_jobs=jobs, run_cv=cv, ablation=ablation,
                                     plots=plots, quick=quick, update_card=update_card,
                                     log=lambda m: click.echo(m, err=True))
    except ModelError as exc:
        click.echo(f"qualityscore: error: {exc.message} [{exc.type}]", err=True)
        sys.exit(EXIT_MODEL_ERROR)
    except CorpusError as exc:
        click.echo(f"qualityscore: error: {exc}", err=True)
        sys.exit(EXIT_MODEL_ERROR)
    if gate:
        click.echo(report.render())
        if not report.passed:
            click.echo("qualityscore: the model is below evaluation/baseline.json", err=True)
            sys.exit(EXIT_FAIL_ON)
        return
    click.echo(json.dumps(headline(summary), indent=2))


def _register_optional_commands() -> None:
    """Commands in their own modules; each module imports only click at load time."""
    from .batch.command import batch

    main.add_command(batch)


_register_optional_commands()
