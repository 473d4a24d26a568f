"""Readers: JSONL, CSV and Parquet queues -> Records, streamed in chunks.

A reader never holds more than one chunk. Whatever is wrong with a record (bad JSON, not
an object, no content, too big, binary) becomes a Record with a stable error type; the
reader itself only fails for problems with the whole input (missing file, no content
column at all).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import IO, Any, BinaryIO

FORMATS = ("jsonl", "csv", "parquet")
_SUFFIX_FORMATS = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# Content fields, in the order they are tried: HTML carries the most evidence (links),
# a URL needs a fetch.
CONTENT_KINDS = ("html", "text", "url")
# A JSONL line may be this many times Settings.max_input_bytes (JSON escaping inflates
# text); a longer line is skipped unread as input.too_large.
RECORD_BYTES_FACTOR = 2
# Where the id of an over-long line is looked for.
_ID_SEARCH_BYTES = 65_536
# A CSV field may be this long before csv gives up; real limits are applied after.
_CSV_FIELD_LIMIT = 1 << 30
# Share of control bytes above which an undecodable line is called binary.
_MAX_CONTROL_SHARE = 0.05
_BOM = b"\xef\xbb\xbf"


class BatchInputError(Exception):
    """The input as a whole cannot be read (not one bad record)."""


def format_from_path(path: str) -> str | None:
    if path == "-":
        return "jsonl"
    return _SUFFIX_FORMATS.get(Path(path).suffix.lower())


@dataclass(frozen=True)
class Fields:
    """Input field (column) names."""

    id: str = "id"
    text: str = "text"
    html: str = "html"
    url: str = "url"

    def content(self) -> tuple[tuple[str, str], ...]:
        """(kind, field name) in the order they are tried."""
        names = {"html": self.html, "text": self.text, "url": self.url}
        return tuple((kind, names[kind]) for kind in CONTENT_KINDS)


@dataclass
class Record:
    """One input record: its id, what to score (job) or why not (error), kept columns."""

    id: str
    # (kind, content, base URL): for an html or text record that also carries a url
    # field, that URL is the page's address (its own links are internal); it is not fetched.
    job: tuple[str, str | bytes, str | None] | None = None
    error: tuple[str, str] | None = None
    keep: dict[str, Any] = field(default_factory=dict)
    fingerprint: bytes = b""
    progress: int = 1  # units the progress bar advances for this record


@dataclass
class Chunk:
    index: int
    records: list[Record]
    digest: str  # of the records' raw input, so a resumed run can check it is the same input
    progress: int


def chunks(records: Iterator[Record], size: int) -> Iterator[Chunk]:
    """Group records into chunks of ``size`` (the last may be shorter)."""
    index = 0
    while True:
        batch = list(islice(records, size))
        if not batch:
            return
        h = hashlib.blake2b(digest_size=8)
        for r in batch:
            h.update(r.fingerprint)
        yield Chunk(index, batch, h.hexdigest(), sum(r.progress for r in batch))
        index += 1


def _fingerprint(*parts: bytes) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    for p in parts:
        h.update(len(p).to_bytes(8, "little"))
        h.update(p)
    return h.digest()


def record_from_mapping(
    values: dict[str, Any], fallback_id: str, fields: Fields, keep: tuple[str, ...]
) -> Record:
    """A Record from one row/object: id, the first non-empty content field, kept columns."""
    rid = _id_text(values.get(fields.id), fallback_id)
    kept = {k: values.get(k) for k in keep}
    bad_type = None
    for kind, name in fields.content():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, str) or (isinstance(value, bytes) and kind != "url"):
            if not value.strip():
                continue
            address = values.get(fields.url) if kind != "url" else None
            base = address.strip() if isinstance(address, str) and address.strip() else None
            return Record(rid, job=(kind, value, base), keep=kept)
        bad_type = bad_type or (name, type(value).__name__)
    if bad_type:
        return Record(
            rid,
            error=("record.bad_content", f"field {bad_type[0]!r} must be a string, not {bad_type[1]}"),
            keep=kept,
        )
    names = ", ".join(repr(n) for _, n in fields.content())
    return Record(
        rid,
        error=("record.missing_content", f"record has no non-empty content field ({names})"),
        keep=kept,
    )


def _id_text(value: Any, fallback: str) -> str:
    if value is None or value == "":
        return fallback
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return str(int(value))  # pandas writes integer ids with a null among them as floats
    if isinstance(value, bytes):  # a Parquet binary column
        return value.decode("utf-8", "replace")
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


# -- JSONL --------------------------------------------------------------------------------
def read_jsonl(
    stream: BinaryIO, fields: Fields, keep: tuple[str, ...], max_record_bytes: int
) -> Iterator[Record]:
    """Records from JSON Lines; blank lines are not records. Ids default to ``line:N``."""
    line_no = 0
    while True:
        line = stream.readline(max_record_bytes + 1)
        if not line:
            return
        line_no += 1
        fallback = f"line:{line_no}"
        if len(line) > max_record_bytes and not line.endswith(b"\n"):
            yield _oversized_line(stream, line, fallback, fields, keep, max_record_bytes)
            continue
        if line_no == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        if not line.strip():
            continue
        rec = _parse_line(line, fallback, fields, keep)
        rec.fingerprint = _fingerprint(line)
        rec.progress = len(line)
        yield rec


def _parse_line(line: bytes, fallback: str, fields: Fields, keep: tuple[str, ...]) -> Record:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        if _looks_binary(line):
            return Record(fallback, error=("input.binary", "line is binary data, not a JSON object"))
        return Record(
            fallback,
            error=("input.bad_encoding", "line is not valid UTF-8 (JSON Lines must be UTF-8)"),
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        if _looks_binary(line):
            return Record(fallback, error=("input.binary", "line is binary data, not a JSON object"))
        return Record(fallback, error=("record.bad_json", f"line is not valid JSON: {exc}"))
    if not isinstance(value, dict):
        return Record(
            fallback,
            error=("record.not_object", f"line is a JSON {_json_kind(value)}, not an object"),
        )
    return record_from_mapping(value, fallback, fields, keep)


def _oversized_line(
    stream: BinaryIO,
    head: bytes,
    fallback: str,
    fields: Fields,
    keep: tuple[str, ...],
    limit: int,
) -> Record:
    """Skip the rest of an over-long line without holding it; keep its id if we can see it."""
    h = hashlib.blake2b(digest_size=16)
    h.update(head)
    size = len(head)
    while True:
        more = stream.readline(1 << 20)
        h.update(more)
        size += len(more)
        if not more or more.endswith(b"\n"):
            break
    rid = _id_from_head(head[:_ID_SEARCH_BYTES], fields.id) or fallback
    rec = Record(
        rid,
        error=(
            "input.too_large",
            f"record is {size:,} bytes; the limit is {limit:,} "
            f"({RECORD_BYTES_FACTOR} x setting max_input_bytes)",
        ),
        keep={k: None for k in keep},
    )
    rec.fingerprint = h.digest()
    rec.progress = size
    return rec


def _id_from_head(head: bytes, id_field: str) -> str | None:
    """The id of a top-level ``"id": ...`` near the start of a line, if it is plainly there."""
    head = head.lstrip()
    pattern = rb'"' + re.escape(id_field.encode()) + rb'"\s*:\s*("(?:[^"\\]|\\.)*"|-?\d+)'
    m = re.search(pattern, head)
    # Only a key of the top-level object: no other object opens before it.
    if not m or not head.startswith(b"{") or b"{" in head[1 : m.start()]:
        return None
    try:
        return _id_text(json.loads(m.group(1)), "") or None
    except ValueError:
        return None


def _looks_binary(data: bytes) -> bool:
    sample = data[:100_000]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in b"\t\n\r\f\v")
    return bool(sample) and controls / len(sample) > _MAX_CONTROL_SHARE


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"


# -- CSV ----------------------------------------------------------------------------------
def csv_header(stream: IO[str]) -> list[str]:
    reader = csv.reader(stream)
    try:
        return next(reader)
    except StopIteration:
        return []


def read_csv(
    binary: BinaryIO, fields: Fields, keep: tuple[str, ...], max_record_bytes: int
) -> Iterator[Record]:
    """Records from CSV with a header row. Ids default to ``row:N`` (N counts data rows)."""
    # surrogateescape keeps undecodable bytes, so binary garbage is recognised later.
    text = io.TextIOWrapper(binary, encoding="utf-8-sig", errors="surrogateescape", newline="")
    lines = _Lines(text)
    reader = csv.reader(lines)
    header = _csv_next(reader)
    if header is None:
        return
    _check_columns(header, fields, keep, "CSV header")
    position = _tell(binary)
    row_no = 0
    while True:
        lines.start_record()
        try:
            row = _csv_next(reader)
            if row is not None and len(lines.record) > 1:
                _check_multiline_record(lines.record)
        except csv.Error as exc:
            row_no += 1
            problem = str(exc)
            if len(lines.record) > 1:
                # A quote opened and never closed (or closed only by a later row's quote)
                # swallows the rows after it into one field. Report the row it opened in,
                # and read the lines after that row's first line again as rows of their own.
                problem = (f"a quoted field opened on this row is not closed where the row "
                           f"ends ({exc}); the {len(lines.record) - 1} line(s) after it are "
                           "read again as rows")
                lines.rewind_after_first()
                reader = csv.reader(lines)
            yield Record(
                f"row:{row_no}",
                error=("record.bad_csv", f"row is not valid CSV: {problem}"),
                keep={k: None for k in keep},
                fingerprint=_fingerprint(b"record.bad_csv", lines.record[0].encode("utf-8", "surrogateescape")
                                         if lines.record else problem.encode()),
            )
            continue
        if row is None:
            return
        row_no += 1
        if not any(row):
            continue
        # A short row lacks its last columns; extra cells have no header and are dropped.
        values = dict(zip(header, row, strict=False))
        rec = record_from_mapping(values, f"row:{row_no}", fields, keep)
        if rec.job is not None and sum(len(v) for v in row) > max_record_bytes:
            rec.job = None
            rec.error = ("input.too_large", f"row is over {max_record_bytes:,} characters")
        rec.fingerprint = _fingerprint(*(v.encode("utf-8", "surrogateescape") for v in row))
        now = _tell(binary)
        rec.progress, position = max(now - position, 0), now
        yield rec


class _Lines:
    """The CSV reader's lines, with the physical lines of the record being read kept, so
    that a record found broken can be read again from its second line."""

    def __init__(self, text: Iterator[str]) -> None:
        self._text = text
        self._pending: list[str] = []  # lines to read again, last first
        self.record: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pending.pop() if self._pending else next(self._text)
        self.record.append(line)
        return line

    def start_record(self) -> None:
        self.record = []

    def rewind_after_first(self) -> None:
        self._pending.extend(reversed(self.record[1:]))
        self.record = self.record[:1]


def _check_multiline_record(record_lines: list[str]) -> None:
    """A record over several lines must read the same way under strict quoting rules:
    the lenient reader lets a stray opening quote run on to the next quote or the end of
    the file, taking every row between into one field. Raises csv.Error if it does not."""
    strict = csv.reader(iter(record_lines), strict=True)
    old = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        rows = list(strict)
    finally:
        csv.field_size_limit(old)
    if len(rows) != 1:
        raise csv.Error(f"the record reads as {len(rows)} rows under strict quoting")


def _csv_next(reader: Any) -> list[str] | None:
    # csv's field size limit is process-wide; raise it only while we read a row, so that
    # a 1 MB HTML field is read and other csv users in the process are not affected.
    old = csv.field_size_limit(_CSV_FIELD_LIMIT)
    try:
        return next(reader)
    except StopIteration:
        return None
    finally:
        csv.field_size_limit(old)


def _tell(binary: BinaryIO) -> int:
    try:
        return binary.tell()
    except (OSError, ValueError):
        return 0


def _check_columns(columns: list[str], fields: Fields, keep: tuple[str, ...], what: str) -> None:
    content = [name for _, name in fields.content()]
    if not any(name in columns for name in content):
        raise BatchInputError(
            f"the {what} has none of the content columns {', '.join(map(repr, content))}; "
            f"it has {', '.join(map(repr, columns[:20]))}. "
            "Name yours with --text-field, --html-field or --url-field."
        )
    if fields.id != "id" and fields.id not in columns:  # a misspelt --id-field would give row:N ids
        raise BatchInputError(f"--id-field {fields.id!r} is not a column of the {what}")
    missing = [k for k in keep if k not in columns]
    if missing:
        raise BatchInputError(
            f"column(s) asked for with --keep or --label-field not in the {what}: {', '.join(missing)}"
        )
    # A column read twice would silently give one of its copies: say so instead.
    twice = [n for n in dict.fromkeys([fields.id, *content, *keep]) if columns.count(n) > 1]
    if twice:
        raise BatchInputError(
            f"the {what} names {', '.join(map(repr, twice))} more than once; rename the copies "
            "so that it is clear which one to read"
        )


# -- Parquet ------------------------------------------------------------------------------
def parquet_file(path: str) -> Any:
    try:
        import pyarrow.parquet as pq
    except ImportError as exc:
        raise BatchInputError(
            "Parquet needs pyarrow: pip install 'qualityscore[batch]'"
        ) from exc
    try:
        return pq.ParquetFile(path)
    except Exception as exc:
        raise BatchInputError(f"{path} is not a readable Parquet file: {exc}") from exc


def read_parquet(
    pf: Any, fields: Fields, keep: tuple[str, ...], max_record_bytes: int, batch_rows: int
) -> Iterator[Record]:
    """Records from Parquet, a record batch at a time. Ids default to ``row:N``. Its
    columns were checked when it was opened (``open_input``)."""
    names = pf.schema_arrow.names
    wanted = [fields.id, *(n for _, n in fields.content()), *keep]
    columns = [n for n in dict.fromkeys(wanted) if n in names]
    row_no = 0
    batches = pf.iter_batches(batch_size=batch_rows, columns=columns)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:  # a damaged page: stop with a clear error, chunks before it kept
            raise BatchInputError(f"the Parquet file is damaged after row {row_no:,}: {exc}") from exc
        for values in batch.to_pylist():
            row_no += 1
            rec = record_from_mapping(values, f"row:{row_no}", fields, keep)
            if rec.job is not None and len(rec.job[1]) > max_record_bytes:
                rec.job = None
                rec.error = ("input.too_large", f"content is over {max_record_bytes:,} characters")
            rec.fingerprint = _fingerprint(
                json.dumps([values.get(c) for c in columns], default=repr).encode()
            )
            yield rec


# -- opening ------------------------------------------------------------------------------
@dataclass
class OpenInput:
    """An opened input: its records, what it is, and how much progress there is to make."""

    records: Iterator[Record]
    fingerprint: dict[str, Any]
    total_progress: int | None  # bytes (files), rows (Parquet) or None (stdin)
    progress_unit: str
    close: Any = None
    column_types: dict[str, Any] | None = None  # Arrow types of a Parquet input's columns


def open_input(
    path: str,
    fmt: str,
    fields: Fields,
    keep: tuple[str, ...],
    max_record_bytes: int,
    batch_rows: int,
) -> OpenInput:
    """Open the input and check its columns; raise BatchInputError if it cannot be read."""
    if path == "-":
        if fmt != "jsonl":
            raise BatchInputError("standard input (-) is read as JSONL only")
        return OpenInput(
            read_jsonl(sys.stdin.buffer, fields, keep, max_record_bytes),
            {"path": "-"},
            None,
            "bytes",
        )
    p = Path(path)
    if not p.exists():
        raise BatchInputError(f"no such file: {path}")
    if p.is_dir():
        raise BatchInputError(f"{path} is a directory, not a file")
    # A named pipe, a process substitution (<(...)) or a device can be read once only: it
    # is streamed like standard input (hashing its head first would eat that head).
    stream = not p.is_file()
    if stream and fmt == "parquet":
        raise BatchInputError(f"{path} is not a regular file; Parquet is read from files only")
    fingerprint = {"path": str(p), "stream": True} if stream else input_fingerprint(p)
    if fmt == "parquet":
        pf = parquet_file(path)
        # Check the columns now, before the runner touches OUTPUT (as for CSV's header).
        _check_columns(pf.schema_arrow.names, fields, keep, "Parquet schema")
        return OpenInput(
            read_parquet(pf, fields, keep, max_record_bytes, batch_rows),
            fingerprint,
            pf.metadata.num_rows,
            "rows",
            getattr(pf, "close", None),
            {f.name: f.type for f in pf.schema_arrow},
        )
    try:
        f = open(p, "rb")  # closed by the runner (OpenInput.close)
    except OSError as exc:
        raise BatchInputError(f"cannot read {path}: {exc.strerror}") from exc
    if fmt == "csv":
        records = read_csv(f, fields, keep, max_record_bytes)
        # Check the header now, not at the first chunk.
        first = next(records, None)
        records = _prepend(first, records)
    else:
        records = read_jsonl(f, fields, keep, max_record_bytes)
    return OpenInput(records, fingerprint, fingerprint.get("size"), "bytes", f.close)


def _prepend(first: Record | None, rest: Iterator[Record]) -> Iterator[Record]:
    if first is not None:
        yield first
    yield from rest


HEAD_BYTES = 1 << 20


def input_fingerprint(p: Path) -> dict[str, Any]:
    """Path, size and a hash of the first MB: enough to tell a resumed input is the same."""
    st = p.stat()
    h = hashlib.sha256()
    with open(p, "rb") as f:
        h.update(f.read(HEAD_BYTES))
    return {"path": str(p.resolve()), "size": st.st_size, "head_sha256": h.hexdigest()}
