"""Crash-safe output: finished chunks as part files, assembled into OUTPUT at the end.

Layout while a job runs (OUTPUT itself does not exist until the job is complete)::

    OUTPUT.parts/manifest.json                 what the run is: input, options, model
    OUTPUT.parts/part-00000012-<digest>.jsonl  one finished chunk (or .parquet)
    OUTPUT.parts/previous-OUTPUT               an OUTPUT of an earlier run, if there was one

Every file is written to a temporary name, fsynced and renamed, so a file with a final
name is always complete. ``<digest>`` hashes the chunk's raw input: a resumed run skips
a chunk only if its part exists *and* the input records are the same. At the end the
parts are concatenated in input order to ``OUTPUT.tmp``, fsynced, renamed to OUTPUT, and
the parts folder is removed. A run killed at any point leaves either no OUTPUT (rerun
with ``--resume``) or a complete one. An OUTPUT left by an earlier run is not deleted
when a new run starts: it is moved into the parts folder (so that OUTPUT never holds
results of another run than the last one started) and is replaced only when the new run
completes; until then it can be moved back by hand.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .summary import Summary

COLUMNS = (
    "id",
    "score",
    "probability_low_quality",
    "decision",
    "reasons",
    "error_type",
    "error_message",
    "model_version",
)
MANIFEST = "manifest.json"
PREVIOUS_PREFIX = "previous-"
MANIFEST_FORMAT = 1
CSV_LIST_SEPARATOR = ";"
_PART_RE = re.compile(r"^part-(\d{8})-([0-9a-f]{16})\.(jsonl|parquet)$")


class ResumeError(Exception):
    """The parts folder cannot be used for this run (exists without --resume, or differs)."""


def parts_dir_for(output: Path) -> Path:
    return output.with_name(output.name + ".parts")


def temp_output_for(output: Path) -> Path:
    return output.with_name(output.name + ".tmp")


def previous_output_for(output: Path) -> Path:
    """Where a new run keeps the OUTPUT of an earlier run until it has its own."""
    return parts_dir_for(output) / (PREVIOUS_PREFIX + output.name)


def unfinished_run_message(output: Path) -> str:
    previous = previous_output_for(output)
    kept = f" (it holds the previous {output.name} as {previous.name})" if previous.is_file() else ""
    return (f"{parts_dir_for(output)} holds an unfinished run for {output}. Pass --resume to "
            f"continue it, or delete that folder to start over{kept}.")


def part_format_for(output_format: str) -> str:
    """Parquet output keeps Parquet parts (column types survive); others use JSONL parts."""
    return "parquet" if output_format == "parquet" else "jsonl"


class PartStore:
    """The parts folder of one output file."""

    def __init__(self, directory: Path, part_format: str, keep_types: dict[str, Any]) -> None:
        self.directory = directory
        self.part_format = part_format
        self.keep_types = keep_types
        self.done: dict[int, str] = {}
        for name in os.listdir(directory):
            m = _PART_RE.match(name)
            if m:
                self.done[int(m.group(1))] = m.group(2)

    @classmethod
    def open(
        cls,
        output: Path,
        manifest: dict[str, Any],
        *,
        resume: bool,
        part_format: str,
        keep_types: dict[str, Any],
    ) -> PartStore:
        """Start a parts folder, or reopen one for --resume after checking it is this run's."""
        directory = parts_dir_for(output)
        # Compare as it will read back (tuples become lists, keys sorted).
        manifest = json.loads(json.dumps(manifest, sort_keys=True, default=str))
        if directory.is_dir():
            old = _read_manifest(directory)
            has_parts = any(_PART_RE.match(n) for n in os.listdir(directory))
            if old is None and not has_parts:
                # Killed between mkdir and the manifest: nothing was done yet.
                _write_json_atomic(directory / MANIFEST, manifest)
                _set_aside(output)
            elif not resume:
                raise ResumeError(unfinished_run_message(output))
            elif old != manifest:
                raise ResumeError(
                    f"cannot resume: {directory} was made by a different run "
                    f"({_describe_difference(old, manifest)}). Rerun with the same input and "
                    "options, or delete that folder to start over."
                )
        elif directory.exists():
            raise ResumeError(f"{directory} exists and is not a folder; move it out of the way")
        else:
            directory.mkdir()
            _write_json_atomic(directory / MANIFEST, manifest)
            # From here on OUTPUT appears only when this run is complete.
            _set_aside(output)
        return cls(directory, part_format, keep_types)

    # -- chunks ---------------------------------------------------------------------
    def is_done(self, index: int, digest: str) -> bool:
        """True if chunk ``index`` is already finished for this very input."""
        old = self.done.get(index)
        if old is None:
            return False
        if old != digest:
            raise ResumeError(
                f"cannot resume: chunk {index} of the input differs from the unfinished run "
                f"(the input changed). Delete {self.directory} to start over."
            )
        return True

    def _part_path(self, index: int, digest: str) -> Path:
        return self.directory / f"part-{index:08d}-{digest}.{self.part_format}"

    def write(self, index: int, digest: str, rows: list[dict[str, Any]]) -> None:
        final = self._part_path(index, digest)
        tmp = final.with_name(f"{final.name}.tmp-{os.getpid()}")
        if self.part_format == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(_arrow_table(rows, self.keep_types), tmp)
            _fsync_file(tmp)
        else:
            with open(tmp, "w", encoding="utf-8", newline="\n") as f:
                for row in rows:
                    f.write(_json_line(row))
                f.flush()
                os.fsync(f.fileno())
        os.replace(tmp, final)
        _fsync_dir(self.directory)
        self.done[index] = digest

    # -- the end --------------------------------------------------------------------
    def assemble(
        self,
        digests: list[str],
        output: Path,
        output_format: str,
        keep: tuple[str, ...],
        summary: Summary,
    ) -> None:
        """Concatenate the parts in input order into OUTPUT (atomically) and count rows."""
        extra = sorted(i for i in self.done if i >= len(digests))
        if extra:
            raise ResumeError(
                f"cannot resume: {self.directory} has chunks past the end of the input "
                f"(chunk {extra[0]}; the input changed). Delete that folder to start over."
            )
        paths = [self._part_path(i, d) for i, d in enumerate(digests)]
        missing = [p.name for p in paths if not p.exists()]
        if missing:  # pragma: no cover - every chunk was written or skipped above
            raise ResumeError(f"parts missing from {self.directory}: {', '.join(missing[:5])}")
        tmp = temp_output_for(output)
        if output_format == "parquet":
            _assemble_parquet(paths, tmp, keep, self.keep_types, summary)
        elif output_format == "csv":
            _assemble_csv(paths, tmp, keep, summary)
        else:
            _assemble_jsonl(paths, tmp, summary)
        _fsync_file(tmp)
        os.replace(tmp, output)
        _fsync_dir(output.parent)
        shutil.rmtree(self.directory)


def _set_aside(output: Path) -> None:
    """Move an earlier run's OUTPUT into the parts folder (a rename: same folder tree, no
    copy), where it stays until this run replaces it; nothing is deleted before then."""
    if output.is_file():
        os.replace(output, previous_output_for(output))
        _fsync_dir(output.parent)


def _add(summary: Summary, row: dict[str, Any]) -> None:
    label = row.get(summary.label_field) if summary.label_field is not None else None
    summary.add(row["decision"], row["error_type"], row["reasons"], row.get("score"), label)


# -- JSONL and CSV ----------------------------------------------------------------------
def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _json_line(row: dict[str, Any]) -> str:
    return json.dumps(row, ensure_ascii=False, default=_json_default) + "\n"


def _jsonl_rows(paths: Iterable[Path]) -> Iterator[tuple[str, dict[str, Any]]]:
    for p in paths:
        with open(p, encoding="utf-8") as f:
            for line in f:
                yield line, json.loads(line)


def _assemble_jsonl(paths: list[Path], tmp: Path, summary: Summary) -> None:
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        for line, row in _jsonl_rows(paths):
            out.write(line)
            _add(summary, row)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, dict, list)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return str(value)


def _assemble_csv(paths: list[Path], tmp: Path, keep: tuple[str, ...], summary: Summary) -> None:
    import csv

    columns = [*COLUMNS, *keep]
    with open(tmp, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        for _, row in _jsonl_rows(paths):
            _add(summary, row)
            cells = []
            for c in columns:
                v = row.get(c)
                if c == "reasons":
                    cells.append(CSV_LIST_SEPARATOR.join(v or ()))
                else:
                    cells.append(_csv_cell(v))
            writer.writerow(cells)


# -- Parquet ----------------------------------------------------------------------------
def core_arrow_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("id", pa.string()),
            ("score", pa.float64()),
            ("probability_low_quality", pa.float64()),
            ("decision", pa.string()),
            ("reasons", pa.list_(pa.string())),
            ("error_type", pa.string()),
            ("error_message", pa.string()),
            ("model_version", pa.string()),
        ]
    )


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _arrow_table(rows: list[dict[str, Any]], keep_types: dict[str, Any]) -> Any:
    """Rows as a table: fixed types for our columns; kept columns typed as in the input
    (Parquet), as text (CSV), or inferred (JSONL; text when the values do not agree)."""
    import pyarrow as pa

    core = core_arrow_schema()
    arrays = [pa.array([r[f.name] for r in rows], type=f.type) for f in core]
    names = list(core.names)
    for name, type_ in keep_types.items():
        values = [r.get(name) for r in rows]
        try:
            arrays.append(pa.array(values, type=type_))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError):
            arrays.append(pa.array([_json_text(v) for v in values], type=pa.string()))
        names.append(name)
    return pa.Table.from_arrays(arrays, names=names)


def _assemble_parquet(
    paths: list[Path],
    tmp: Path,
    keep: tuple[str, ...],
    keep_types: dict[str, Any],
    summary: Summary,
) -> None:
    import pyarrow.parquet as pq

    target = _unified_schema([pq.read_schema(p) for p in paths], keep, keep_types)
    with pq.ParquetWriter(tmp, target) as writer:
        for p in paths:
            table = _conform(pq.read_table(p), target)
            names = ["decision", "error_type", "reasons", "score"]
            if summary.label_field is not None:
                names.append(summary.label_field)
            for row in table.select(names).to_pylist():
                _add(summary, row)
            writer.write_table(table)
        if not paths:
            writer.write_table(target.empty_table())


def _unified_schema(schemas: list[Any], keep: tuple[str, ...], keep_types: dict[str, Any]) -> Any:
    """One schema for all parts: a kept column whose inferred types differ between parts
    is widened where Arrow can (int -> float, null -> anything), else written as text."""
    import pyarrow as pa

    fields = list(core_arrow_schema())
    for name in keep:
        types = [s.field(name).type for s in schemas] or [keep_types.get(name) or pa.string()]
        try:
            merged = pa.unify_schemas(
                [pa.schema([pa.field(name, t)]) for t in types], promote_options="permissive"
            ).field(name)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            merged = pa.field(name, pa.string())
        fields.append(merged)
    return pa.schema(fields)


def _conform(table: Any, schema: Any) -> Any:
    import pyarrow as pa

    if table.schema.equals(schema):
        return table
    columns = []
    for f in schema:
        col = table.column(f.name)
        if col.type == f.type:
            columns.append(col)
            continue
        try:
            columns.append(col.cast(f.type))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            columns.append(pa.array([_json_text(v) for v in col.to_pylist()], type=f.type))
    return pa.Table.from_arrays(columns, schema=schema)


# -- files ------------------------------------------------------------------------------
def _read_manifest(directory: Path) -> dict[str, Any] | None:
    p = directory / MANIFEST
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ResumeError(f"cannot read {p} ({exc}); delete {directory} to start over") from exc


def _write_json_atomic(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f, indent=2, sort_keys=True, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def write_json_atomic(path: Path, value: dict[str, Any]) -> None:
    """Write a JSON file so that it is either absent, the old one, or complete."""
    _write_json_atomic(path, value)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _fsync_dir(directory: Path) -> None:
    # Makes a rename durable; directories cannot be opened this way on Windows.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _describe_difference(old: dict[str, Any] | None, new: dict[str, Any]) -> str:
    if old is None:
        return "its manifest is missing"
    diffs = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            diffs.append(f"{key}: {_short(old.get(key))} then, {_short(new.get(key))} now")
    return "; ".join(diffs[:4]) or "manifests differ"


def _short(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."
