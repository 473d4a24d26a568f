"""Readers for the training corpora: the project's own labeled pages and the external
corpora under ``../shared/data`` (see ``labeled/corpora.toml``).

External corpora are read in place, never copied. A corpus that is absent yields nothing;
callers decide whether that is an error (training needs some data) or a skip (tests).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LOW, HIGH = 1, 0  # model target: 1 = low quality


@dataclass(frozen=True)
class Sample:
    """One training or evaluation document."""

    id: str
    corpus: str
    content: str
    is_html: bool
    label: int | None  # LOW, HIGH or None (unlabelled)
    group: str = ""  # for grouped cross-validation (site, source document)
    rating: float | None = None  # HealthStory stars


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def default_data_dir() -> Path:
    """``$QUALITYSCORE_DATA`` or ``../shared/data`` beside the project checkout."""
    env = os.environ.get("QUALITYSCORE_DATA")
    if env:
        return Path(env)
    return project_root().parent / "shared" / "data"


def data_dir_with(*corpora: str, nothing_to: str = "measure") -> Path | None:
    """The data folder when it holds every corpus named; otherwise ``None``, after saying
    so on stderr. The evaluation scripts' way of skipping cleanly without the data."""
    data_dir = default_data_dir()
    if all((data_dir / name).is_dir() for name in corpora):
        return data_dir
    print(f"corpora not found under {data_dir}: nothing to {nothing_to}", file=sys.stderr)
    return None


def stable_fraction(key: str) -> float:
    """A deterministic number in [0, 1) from a key: reproducible sampling without RNG state."""
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0x100000000


def labeled_pages(path: Path | None = None) -> Iterator[Sample]:
    path = path or project_root() / "labeled" / "pages.jsonl"
    if not path.exists():
        return
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            yield Sample(
                id=row["id"],
                corpus="labeled",
                content=row["content"],
                is_html=row["format"] == "html",
                label=LOW if row["label"] == "low" else HIGH,
                group=row["id"],
            )


class LabeledFileError(ValueError):
    """A user's labeled file that training cannot use, with the file and line."""


class CorpusError(ValueError):
    """A corpus that training or evaluation cannot use: a folder missing or empty, or a
    file that cannot be read, named (``qualityscore train``/``evaluate`` exit 3)."""


# What each command reads (labeled/corpora.toml describes each folder).
TRAINING_CORPORA = ("sondhi", "medquad", "cochrane_pls", "onestopenglish", "medreadme")
EVALUATION_CORPORA = ("sondhi", "medquad", "cochrane_pls", "onestopenglish", "medreadme", "healthstory")


def require_corpora(data_dir: Path, names: tuple[str, ...], what: str) -> None:
    """CorpusError unless every folder ``names`` is under ``data_dir``: a partial corpus
    would train a different model, or evaluate a model on less than its card says."""
    if not data_dir.is_dir():
        raise CorpusError(f"corpus folder {data_dir} is not a folder")
    missing = [n for n in names if not (data_dir / n).is_dir()]
    if missing:
        raise CorpusError(
            f"{data_dir} lacks {', '.join(missing)}: {what} reads all of {', '.join(names)} "
            "(labeled/corpora.toml says what each folder holds)"
        )


def _utf8(path: Path) -> str:
    """A corpus file's text; CorpusError naming the file when it is not UTF-8 or unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path} is not UTF-8 text (byte {exc.start}: {exc.reason})") from exc
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc


def user_labeled(path: Path) -> list[Sample]:
    """A user's labeled pages (``train --labeled FILE``), JSON Lines, one page per line.

    Each object needs a ``label`` (``qualityscore.labels``: low/high, spam/ham, 1/0, ...)
    and the page in ``html`` (parsed as HTML), ``text`` (plain text), or ``content`` with
    ``format`` "html" or "text" (the schema of ``labeled/pages.jsonl``); ``id`` is
    optional. Any line that does not fit raises LabeledFileError naming it: a training
    set is not silently cut short.
    """
    from ..labels import label_class

    out: list[Sample] = []
    seen: set[str] = set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabeledFileError(f"{path}: cannot read it as UTF-8 text ({exc})") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LabeledFileError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(row, dict):
            raise LabeledFileError(f"{where}: not a JSON object")
        cls = label_class(row.get("label"))
        if cls is None:
            raise LabeledFileError(f"{where}: label {row.get('label')!r} is not one of low/high, "
                                   "spam/ham, unreliable/reliable, 1/0, true/false")
        if isinstance(row.get("html"), str) and row["html"].strip():
            content, is_html = row["html"], True
        elif isinstance(row.get("text"), str) and row["text"].strip():
            content, is_html = row["text"], False
        elif isinstance(row.get("content"), str) and row["content"].strip() and row.get("format") in ("html", "text"):
            content, is_html = row["content"], row["format"] == "html"
        else:
            raise LabeledFileError(f"{where}: no page: give a non-empty 'html' or 'text', or "
                                   "'content' with 'format' \"html\" or \"text\"")
        rid = str(row.get("id") if row.get("id") not in (None, "") else f"{path.name}:{n}")
        if rid in seen:
            raise LabeledFileError(f"{where}: id {rid!r} appears twice")
        seen.add(rid)
        out.append(Sample(id=f"user/{rid}", corpus="user", content=content, is_html=is_html,
                          label=LOW if cls == "low" else HIGH, group=f"user/{rid}"))
    if not out:
        raise LabeledFileError(f"{path}: no labeled pages")
    return out


def sondhi(data_dir: Path) -> Iterator[Sample]:
    root = data_dir / "sondhi"
    for sub, label in (("reliable", HIGH), ("unreliable", LOW)):
        folder = root / sub
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.html"), key=lambda p: int(p.stem) if p.stem.isdigit() else 0):
            from ..errors import InputError
            from ..extract.sources import decode_bytes

            data = f.read_bytes()
            try:
                content = decode_bytes(data)
            except InputError:
                content = data.decode("utf-8", errors="replace")
            yield Sample(
                id=f"sondhi/{sub}/{f.name}",
                corpus="sondhi",
                content=content,
                is_html=True,
                label=label,
                group=f"sondhi/{sub}/{f.stem}",
            )


def medquad(data_dir: Path, *, min_words: int = 40) -> Iterator[Sample]:
    from lxml import etree

    root = data_dir / "medquad"
    if not root.is_dir():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for f in sorted(folder.glob("*.xml")):
            try:
                tree = etree.parse(str(f))
            except etree.XMLSyntaxError:
                continue
            for qa in tree.iter("QAPair"):
                ans = qa.find("Answer")
                if ans is None or not ans.text:
                    continue
                text = " ".join(ans.text.split()) if "\n" not in ans.text.strip() else _tidy(ans.text)
                if len(text.split()) < min_words:
                    continue
                yield Sample(
                    id=f"medquad/{folder.name}/{f.stem}/{qa.get('pid')}",
                    corpus="medquad",
                    content=text,
                    is_html=False,
                    label=HIGH,
                    group=f"medquad/{folder.name}/{f.stem}",
                )


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line:
            out.append(line)
        elif out and out[-1] != "":
            out.append("")
    return "\n".join(out).strip()


def cochrane(data_dir: Path, *, kinds: tuple[str, ...] = ("target",)) -> Iterator[Sample]:
    root = data_dir / "cochrane_pls"
    for split in ("val", "test"):
        for kind in kinds:
            f = root / f"{split}.{kind}"
            doi_file = root / f"{split}.doi"
            if not f.exists():
                continue
            dois = _utf8(doi_file).splitlines() if doi_file.exists() else []
            for i, line in enumerate(_utf8(f).splitlines()):
                if not line.strip():
                    continue
                doi = dois[i].strip() if i < len(dois) else f"{split}-{i}"
                yield Sample(
                    id=f"cochrane/{split}/{kind}/{i}",
                    corpus="cochrane_pls" if kind == "target" else "cochrane_abstracts",
                    content=line.strip(),
                    is_html=False,
                    label=HIGH,
                    group=f"cochrane/{doi}",
                )


def onestop(data_dir: Path) -> Iterator[Sample]:
    """OneStopEnglish: Guardian news articles, each rewritten at three reading levels.

    Clean, edited general news (not health): the register of the health news and
    general pages a moderation queue also sees. One group per article, so that its three
    versions are never split between training and evaluation.
    """
    root = data_dir / "onestopenglish" / "Texts-SeparatedByReadingLevel"
    if not root.is_dir():
        return
    for level in ("Ele-Txt", "Int-Txt", "Adv-Txt"):
        folder = root / level
        if not folder.is_dir():
            continue
        for f in sorted(folder.glob("*.txt")):
            article = f.stem.rsplit("-", 1)[0]
            text = _tidy(f.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff"))
            if not text:
                continue
            yield Sample(
                id=f"onestop/{level}/{f.stem}",
                corpus="onestop",
                content=text,
                is_html=False,
                label=HIGH,
                group=f"onestop/{article}",
            )


def medreadme(data_dir: Path, *, sentences: int = 10,
              exclude_sources: tuple[str, ...] = ("cochrane_all",)) -> Iterator[Sample]:
    """MedReadMe's medical sentences, joined into passages of ``sentences`` consecutive
    sentences of one source and side (``complex`` or ``simple``).

    Clean medical writing in registers the other corpora lack: NIHR and eLife summaries,
    PLOS and PNAS papers, Wikipedia, the MSD manual. Cochrane's sentences are left out
    by default: they may come from the reviews whose summaries are held out for evaluation.
    """
    path = data_dir / "medreadme" / "readability.csv"
    if not path.is_file():
        return
    runs: dict[tuple[str, str], list[str]] = {}
    for row in csv.DictReader(io.StringIO(_utf8(path), newline="")):
        source, side, text = row.get("Source", ""), row.get("Side", ""), (row.get("Sentence") or "").strip()
        if text and source not in exclude_sources:
            runs.setdefault((source, side), []).append(text)
    for (source, side), texts in sorted(runs.items()):
        for i in range(0, len(texts), sentences):
            yield Sample(
                id=f"medreadme/{source}/{side}/{i // sentences}",
                corpus="medreadme",
                content=" ".join(texts[i : i + sentences]),
                is_html=False,
                label=HIGH,
                group=f"medreadme/{source}/{i // sentences}",
            )


def healthstory(data_dir: Path, *, min_words: int = 80) -> Iterator[Sample]:
    root = data_dir / "healthstory"
    labels = root / "labels.csv"
    content = root / "content" / "dataset" / "content" / "HealthStory"
    if not labels.exists() or not content.is_dir():
        return
    for row in csv.DictReader(io.StringIO(_utf8(labels), newline="")):
        f = content / f"{row['news_id']}.json"
        if not f.exists():
            continue
        try:
            story = json.loads(f.read_text("utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
        text = (story.get("text") or "").strip()
        if len(text.split()) < min_words:
            continue
        title = (story.get("title") or "").strip()
        rating = float(row["rating"])
        yield Sample(
            id=f"healthstory/{row['news_id']}",
            corpus="healthstory",
            content=(title + "\n\n" + text) if title else text,
            is_html=False,
            label=LOW if rating < 3 else HIGH,
            group=str(story.get("source") or row["news_id"]),
            rating=rating,
        )

