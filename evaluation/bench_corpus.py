"""The benchmark's fixed documents: about 600 words each, built deterministically.

From MedQuAD answers under ``../shared/data/medquad`` (read in place, never copied),
taken in a fixed pseudo-random order across the nine NIH sources and concatenated until a
document reaches ``words`` whitespace words (then cut at that word). Every ``spun_every``-th
document is put through the project's spinner simulator and ``promote`` (seeded by its
index), so the findings paths are exercised as on a crawl. Without the corpus, documents
are generated from this file's own templates, equally deterministic.
"""

from __future__ import annotations

import hashlib
import os
import random
import re
import xml.etree.ElementTree as ET
from pathlib import Path

# As the project reads its corpora: $QUALITYSCORE_DATA, else ../shared/data.
DEFAULT_DATA_DIR = Path(
    os.environ.get("QUALITYSCORE_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
_WORD_SPAN_RE = re.compile(r"\S+")


def _key(s: str) -> str:
    return hashlib.sha1(s.encode()).hexdigest()


def _tidy(text: str) -> str:
    """Collapse runs of spaces in each line, keep paragraph breaks (blank lines)."""
    out: list[str] = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            out.append(line)
        elif out and out[-1]:
            out.append("")
    return "\n".join(out).strip()


def medquad_answers(data_dir: Path) -> list[str]:
    """Every MedQuAD answer, in a fixed order that interleaves the nine sources."""
    root = data_dir / "medquad"
    keyed: list[tuple[str, str]] = []
    for f in sorted(root.glob("*/*.xml")):
        try:
            tree = ET.parse(f)
        except ET.ParseError:
            continue
        for qa in tree.iter("QAPair"):
            ans = qa.find("Answer")
            if ans is None or not (ans.text or "").strip():
                continue
            ident = f"{f.parent.name}/{f.stem}/{qa.get('pid')}"
            keyed.append((_key(ident), _tidy(ans.text or "")))
    keyed.sort()
    return [text for _, text in keyed]


_TEMPLATE_SENTENCES = (
    "{Cond} is a condition that affects the {organ} and can cause {symptom}.",
    "Many people with {cond} notice {symptom} before they see a doctor.",
    "Your doctor may suggest {test} to find out whether you have {cond}.",
    "Treatment for {cond} often includes {treatment} and regular check-ups.",
    "Some people need {treatment} for several months before {symptom} improves.",
    "Risk factors for {cond} include age, smoking and a family history of the disease.",
    "About {n} percent of adults will have {cond} at some point in their lives.",
    "Call your health care provider if {symptom} gets worse or does not go away.",
    "Researchers are studying new ways to prevent and treat {cond}.",
    "Eating a balanced diet and staying active can lower the risk of {cond}.",
)
_FILL = {
    "cond": ("asthma", "diabetes", "high blood pressure", "arthritis", "migraine", "anemia"),
    "organ": ("lungs", "heart", "joints", "kidneys", "brain", "blood"),
    "symptom": ("shortness of breath", "fatigue", "joint pain", "headaches", "dizziness"),
    "test": ("a blood test", "a chest X-ray", "an MRI scan", "a urine test"),
    "treatment": ("medicine", "physical therapy", "lifestyle changes", "inhaled steroids"),
}


def template_answers(n: int, seed: int = 0) -> list[str]:
    """Paragraphs of generic consumer-health prose, written by this project."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = []
        for _ in range(rng.randint(4, 9)):
            t = rng.choice(_TEMPLATE_SENTENCES)
            vals = {k: rng.choice(v) for k, v in _FILL.items()}
            vals["Cond"] = vals["cond"][:1].upper() + vals["cond"][1:]
            vals["n"] = str(rng.randint(2, 40))
            sentences.append(t.format(**vals))
        out.append(" ".join(sentences))
    return out


def _cut_words(text: str, words: int) -> str:
    spans = list(_WORD_SPAN_RE.finditer(text))
    if len(spans) <= words:
        return text
    return text[: spans[words - 1].end()]


def build_documents(
    n: int = 2000,
    *,
    words: int = 600,
    data_dir: Path | None = None,
    spun_every: int = 4,
) -> tuple[list[str], str]:
    """``n`` documents of ``words`` words and a one-line description of where they came from."""
    data_dir = data_dir or DEFAULT_DATA_DIR
    if (data_dir / "medquad").is_dir():
        answers = medquad_answers(data_dir)
        origin = f"MedQuAD answers from {data_dir / 'medquad'}"
    else:
        answers = template_answers(n * 12)
        origin = "project templates (MedQuAD not found)"
    docs: list[str] = []
    parts: list[str] = []
    count = 0
    it = iter(answers * 2)  # wraps around only if the corpus is smaller than needed
    while len(docs) < n:
        ans = next(it)
        parts.append(ans)
        count += len(ans.split())
        if count >= words:
            docs.append(_cut_words("\n\n".join(parts), words))
            parts, count = [], 0
    spun = 0
    if spun_every:
        from qualityscore.model.spinner import Spinner, promote

        spinner = Spinner()
        for i in range(0, n, spun_every):
            rng = random.Random(i)
            docs[i] = promote(spinner.spin(docs[i], rng).text, rng)
            spun += 1
    return docs, f"{origin}; {spun} of {n} spun and promoted by qualityscore.model.spinner"
