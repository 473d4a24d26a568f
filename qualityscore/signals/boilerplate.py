"""Boilerplate: spam-blog and scraped-page residue.

Comment-form text, "report this page", template clickbait titles, title lines repeated
through the body and keyword stuffing (one content phrase repeated far beyond need); the
last two are features for the model, not findings (see ``_stuffing``). A page that is
little but repetition ("diabetes diabetes diabetes ...", one phrase pasted fifty times) is
a finding, ``repetitive_text``, and is never passed as ok (``scorer.decision_for``).
"""

from __future__ import annotations

from collections import Counter

from ..page import Page
from ..text import Doc
from .base import SignalFamily, SignalOutput, phrase_regex

SCRAPE_RESIDUE = (
    r"leave\s+a\s+(?:reply|comment)",
    r"your\s+email\s+address\s+will\s+not\s+be\s+published",
    r"required\s+fields\s+are\s+marked",
    r"notify\s+me\s+of\s+(?:new|follow[-\s]up)\s+(?:comments|posts)",
    r"save\s+my\s+name,?\s+email",
    r"post\s+comment",
    r"report\s+this\s+(?:page|post|ad|content)",
    r"(?:related|similar|popular|recent)\s+posts",
    r"you\s+(?:may|might)\s+also\s+like",
    r"share\s+(?:this\s*:|on\s+(?:facebook|twitter|pinterest))",
    r"filed\s+under",
    r"posted\s+in\s+uncategori[sz]ed",
    r"(?:previous|next)\s+post",
    r"lorem\s+ipsum",
    r"powered\s+by\s+wordpress",
    r"this\s+entry\s+was\s+posted",
    r"\d+\s+comments?",
    r"click\s+to\s+(?:share|tweet|print)",
)
CLICKBAIT = (
    r"you\s+won'?t\s+believe",
    r"doctors\s+(?:hate|are\s+stunned|don'?t\s+want)",
    r"(?:this|one)\s+(?:weird|simple|strange|odd)\s+trick",
    r"what\s+happens\s+next",
    r"shocking\s+(?:truth|secret|results?)",
    r"(?:little[-\s]known|secret)\s+(?:trick|cure|remedy|method)",
    r"(?:big\s+pharma|they)\s+(?:don'?t\s+want\s+you\s+to\s+know)",
    r"top\s+\d+\s+\w+",
    r"number\s+\d+\s+will\s+(?:shock|surprise)",
)
# Repetitive text: content words per window, and the mean share of distinct words in a
# window under which a page is little but repetition (``BoilerplateSignals._repetitive``).
VARIETY_WINDOW = 50
MIN_WORD_VARIETY = 0.10
_RESIDUE_RE = phrase_regex(SCRAPE_RESIDUE)
_CLICKBAIT_RE = phrase_regex(CLICKBAIT)


class BoilerplateSignals(SignalFamily):
    family = "boilerplate"
    feature_names = (
        "residue_per_100w",
        "clickbait_hits",
        "title_repeats",
        "duplicate_line_share",
        "keyword_stuffing",
    )

    def __init__(
        self,
        *,
        min_title_chars: int = 12,
        min_line_chars: int = 25,
        stuffing_ngram: int = 2,
        variety_window: int = VARIETY_WINDOW,
        min_word_variety: float = MIN_WORD_VARIETY,
    ) -> None:
        self.min_title_chars = min_title_chars
        self.min_line_chars = min_line_chars
        self.stuffing_ngram = stuffing_ngram
        self.variety_window = variety_window
        self.min_word_variety = min_word_variety

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        out = SignalOutput()
        f = out.features
        text = doc.text
        residue = list(_RESIDUE_RE.finditer(text))
        for m in residue:
            out.findings.append(self.finding(doc, "scrape_residue", m.start(), m.end(), weight=0.7))
        f["residue_per_100w"] = doc.per_100_words(len(residue))

        clickbait = list(_CLICKBAIT_RE.finditer(text))
        for m in clickbait:
            out.findings.append(self.finding(doc, "clickbait", m.start(), m.end(), weight=1.0))
        title_bait = 1 if page.title and _CLICKBAIT_RE.search(page.title) else 0
        f["clickbait_hits"] = float(len(clickbait) + title_bait)

        # Title repeats are a feature for the model, not a finding: an article's title is
        # usually its topic ("Breast Cancer"), which the text names again and again.
        # Measured with evaluation/spin_evidence.py --all-rules while it was still a
        # finding: on 41% of Sondhi's reliable pages and 7% of its unreliable ones, so
        # quoting it as evidence of low quality mostly accused reliable pages.
        title = page.title.strip().lower()
        repeats = 0
        if len(title) >= self.min_title_chars:
            pos = doc.lower_text.find(title)
            seen = 0
            while pos >= 0:
                seen += 1
                pos = doc.lower_text.find(title, pos + len(title))
            repeats = max(seen - 1, 0)
        f["title_repeats"] = float(repeats)

        lines = [ln.strip().lower() for ln in text.splitlines() if len(ln.strip()) >= self.min_line_chars]
        counts = Counter(lines)
        dup = sum(c - 1 for c in counts.values() if c > 1)
        f["duplicate_line_share"] = dup / len(lines) if lines else 0.0

        f["keyword_stuffing"] = self._stuffing(doc)
        repetitive = self._repetitive(doc)
        if repetitive is not None:
            out.findings.append(repetitive)
        return out

    def _repetitive(self, doc: Doc):  # type: ignore[no-untyped-def]
        """A finding when the page's content words are little but repetition: their mean
        share of distinct words per window of ``variety_window`` content words (the
        windows laid end to end) is under ``min_word_variety``. It quotes the least varied
        window. Not a feature: no page the model was trained on comes near it.

        Measured over every page of the corpora with a window's worth of content words
        (``evaluation/repetitive_text.py``), the lowest mean is 0.20 (MedQuAD: NIH's lists
        of genetic-testing registry entries, "Genetic Testing Registry: Meckel syndrome
        type 1 - ... type 2"), then 0.24 (Sondhi's HTML), 0.42 (the labeled pages), 0.52
        (Cochrane), 0.58 (MedReadMe), 0.69 (HealthStory), 0.72 (OneStopEnglish): the cut,
        0.10, leaves twice that margin under the lowest. One word pasted 200 times gives
        0.02; a three- or four-word phrase pasted 50 times, 0.06-0.08; a phrase of five
        distinct content words or more is not caught.
        """
        if self.min_word_variety <= 0:
            return None
        shares = window_variety(doc, self.variety_window)
        if not shares:
            return None
        variety = sum(shares) / len(shares)
        if variety >= self.min_word_variety:
            return None
        w, idx, toks = self.variety_window, doc.content_index, doc.tokens
        worst = shares.index(min(shares)) * w
        start, end = toks[idx[worst]].start, toks[idx[worst + w - 1]].end
        return self.finding(doc, "repetitive_text", start, end, weight=round(1.0 - variety, 3))


    def _stuffing(self, doc: Doc) -> float:
        """Repeats per 100 words of the most repeated content n-gram: a feature, not a finding.

        The most repeated phrase of a page is almost always its topic ("breast cancer",
        "clinical trials"), as often on good pages as on spam. Measured with
        evaluation/spin_evidence.py --all-rules while it was a finding (past 2.5 per 100
        words, 8 repeats): 7% of Sondhi's reliable pages, 3% of its unreliable ones, 2%
        of clean NIH answers (up to 11 per 100 words on short ones). The model weighs the
        rate; it is never quoted as evidence.
        """
        idx = doc.content_index
        n = self.stuffing_ngram
        if len(idx) < n + 1:
            return 0.0
        toks = doc.tokens
        grams: Counter[tuple[str, ...]] = Counter()
        for k in range(len(idx) - n + 1):
            window = idx[k : k + n]
            # Only adjacent content words form a phrase (no stopword in between).
            if window[-1] - window[0] != n - 1:
                continue
            gram = tuple(toks[i].lower for i in window)
            grams[gram] += 1
        if not grams:
            return 0.0
        _, count = grams.most_common(1)[0]
        return doc.per_100_words(count)


def window_variety(doc: Doc, window: int = VARIETY_WINDOW) -> list[float]:
    """The share of distinct words in each run of ``window`` content words, the runs laid
    end to end (a last, shorter run is left out); empty for a page with fewer."""
    words = [doc.tokens[k].lower for k in doc.content_index]
    return [len(set(words[i : i + window])) / window for i in range(0, len(words) - window + 1, window)]
