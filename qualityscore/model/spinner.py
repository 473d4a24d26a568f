"""A spinner simulator: turns clean health text into the spam our users fight.

It swaps canonical terms for sense-blind variants from the substitution lexicon (the
way article spinners do), and optionally stuffs the page with calls to action, uncited
claims, keyword anchors and blog residue. Training on its output teaches the model what
spinning does to text; evaluation holds out whole lexicon terms so that the detector is
judged on substitutions it has never seen (see evaluation/).

Every template sentence below is written by this project.
"""

from __future__ import annotations

import html
import random
import re
from dataclasses import dataclass

from ..signals.spin import Lexicon, load_lexicon

_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]*")

_CTA_VERBS = ("Order", "Buy", "Get", "Try", "Grab", "Claim")
_CTA_OBJECTS = ("your bottle", "a trial pack", "our formula", "the kit", "your supply", "this remedy")
_CTA_TAILS = ("today", "now", "online today", "before stocks run out", "at half price", "with free shipping")
_CONTACT = (
    "Contact your nearest {place} for a free consultation.",
    "Call us on {phone} and speak to an advisor today.",
    "Visit our online store and use promo code {code} at checkout.",
    "Book your appointment today at the {place} closest to you.",
    "Don't wait: limited time offer, only {n} packs left!",
    "Click here to find out more and get {n}% off your first order.",
)
_PLACES = ("clinic", "wellness centre", "pharmacy", "health shop", "treatment centre")
_CLAIMS = (
    "Studies show {n}% of users feel better within {k} days.",
    "Clinically proven to work in just {k} weeks.",
    "Research has shown it cures {term} naturally.",
    "Doctors agree this is 100% safe with no side effects.",
    "{n}% of patients saw results after the first dose.",
    "Scientists confirm it is {k} times more effective than ordinary treatment.",
    "This miracle formula eliminates {term} for good.",
    "It is FDA-approved and completely safe for everyone.",
)
_RESIDUE = (
    "Leave a Reply\nYour email address will not be published. Required fields are marked *",
    "Related Posts",
    "Report this page",
    "Share this: Facebook Twitter Pinterest",
    "You may also like",
    "Posted in Uncategorized | {n} Comments",
)
_SHOP_WORDS = ("vital", "pure", "natural", "health", "cure", "remedy", "herbal", "best", "smart", "well")
_SHOP_TLDS = ("example", "test", "invalid")


@dataclass(frozen=True)
class SpunText:
    text: str
    substitutions: tuple[tuple[int, int, str], ...]  # (start, end, canonical) in text


def _match_case(src: str, repl: str) -> str:
    if src.isupper() and len(src) > 1:
        return repl.upper()
    if src[:1].isupper():
        return repl[:1].upper() + repl[1:]
    return repl


class Spinner:
    """Index the lexicon once by canonical term; spin many texts."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.by_canonical: dict[tuple[str, ...], list] = {}
        for e in self.lexicon.entries:
            self.by_canonical.setdefault(tuple(e.canonical.split()), []).append(e)
        self.first: dict[str, list[tuple[str, ...]]] = {}
        for words in self.by_canonical:
            self.first.setdefault(words[0], []).append(words)
        for v in self.first.values():
            v.sort(key=len, reverse=True)

    def spin(
        self,
        text: str,
        rng: random.Random,
        *,
        medical_rate: float = 0.7,
        everyday_rate: float = 0.4,
    ) -> SpunText:
        """Replace canonical terms by variants, longest term first, left to right."""
        return _spin(self, text, rng, medical_rate, everyday_rate)


def _spin(
    spinner: Spinner, text: str, rng: random.Random, medical_rate: float, everyday_rate: float
) -> SpunText:
    by_canonical, first = spinner.by_canonical, spinner.first
    tokens = list(_WORD_RE.finditer(text))
    out: list[str] = []
    subs: list[tuple[int, int, str]] = []
    pos = 0
    out_len = 0
    i = 0
    while i < len(tokens):
        low = tokens[i].group().lower()
        chosen = None
        for words in first.get(low, ()):
            j = i + len(words)
            if j <= len(tokens) and all(
                tokens[i + k].group().lower() == w for k, w in enumerate(words)
            ):
                # Only contiguous phrases (single spaces) count as the term.
                span = text[tokens[i].start() : tokens[j - 1].end()]
                if " ".join(span.lower().split()) == " ".join(words):
                    chosen = (words, j)
                    break
        if chosen is None:
            i += 1
            continue
        words, j = chosen
        entries = by_canonical[words]
        rate = medical_rate if entries[0].kind == "medical" else everyday_rate
        if rng.random() >= rate:
            i = j
            continue
        variant = rng.choice(entries).variant
        start, end = tokens[i].start(), tokens[j - 1].end()
        piece = text[pos:start]
        out.append(piece)
        out_len += len(piece)
        repl = _match_case(text[start:end], variant)
        subs.append((out_len, out_len + len(repl), entries[0].canonical))
        out.append(repl)
        out_len += len(repl)
        pos = end
        i = j
    out.append(text[pos:])
    return SpunText("".join(out), tuple(subs))


class ThesaurusSpinner:
    """A spinner with a general thesaurus: each word the thesaurus lists is, with
    probability ``rate``, swapped for one of its synonyms drawn from all its senses, each
    occurrence drawn anew ("likely" -> "apt", "present" -> "latter-day", "condition" ->
    "shape"). Unlike ``Spinner``, which swaps the lexicon's medical terms, it swaps
    everyday words as readily as medical ones, as commercial spinners do.

    ``choices``: headword -> synonyms (``qualityscore.thesaurus.spinner_choices``); by
    default the packaged training half of a WordNet thesaurus. Substitutions are
    ``(start, end, original word)`` in the spun text.
    """

    def __init__(self, choices: dict[str, tuple[str, ...]] | None = None) -> None:
        if choices is None:
            from ..thesaurus import load_thesaurus

            choices = load_thesaurus()
        self.choices = choices

    def spin(self, text: str, rng: random.Random, rate: float) -> SpunText:
        out: list[str] = []
        subs: list[tuple[int, int, str]] = []
        pos = length = 0
        for m in _WORD_RE.finditer(text):
            word = m.group().lower()
            options = self.choices.get(word)
            if not options or rng.random() >= rate:
                continue
            piece = text[pos : m.start()]
            repl = _match_case(m.group(), rng.choice(options))
            out.append(piece)
            length += len(piece)
            subs.append((length, length + len(repl), word))
            out.append(repl)
            length += len(repl)
            pos = m.end()
        out.append(text[pos:])
        return SpunText("".join(out), tuple(subs))


def _shop_url(rng: random.Random) -> str:
    host = rng.choice(_SHOP_WORDS) + rng.choice(_SHOP_WORDS) + "." + rng.choice(_SHOP_TLDS)
    path = rng.choice(("/shop/", "/buy/", "/product/", "/go/", "/order/", "/"))
    slug = "-".join(rng.sample(_SHOP_WORDS, 2))
    query = rng.choice(("", "?ref=" + str(rng.randint(100, 9999)), "?aff=" + str(rng.randint(10, 999))))
    return f"https://{host}{path}{slug}{query}"


def _fill(template: str, rng: random.Random, term: str) -> str:
    phone = f"1-800-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"
    return template.format(
        n=rng.choice((37, 64, 70, 85, 90, 93, 97, 99)),
        k=rng.choice((3, 7, 10, 14, 30)),
        term=term,
        phone=phone,
        code="HEALTH" + str(rng.randint(10, 99)),
        place=rng.choice(_PLACES),
    )


def promote(text: str, rng: random.Random, *, topic: str = "pain") -> str:
    """Add calls to action, uncited claims and blog residue to plain text."""
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()] or [text]
    extra: list[str] = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.5:
            extra.append(
                f"{rng.choice(_CTA_VERBS)} {rng.choice(_CTA_OBJECTS)} {rng.choice(_CTA_TAILS)}!"
            )
        else:
            extra.append(_fill(rng.choice(_CONTACT), rng, topic))
    for _ in range(rng.randint(0, 2)):
        extra.append(_fill(rng.choice(_CLAIMS), rng, topic))
    for sentence in extra:
        k = rng.randint(0, len(paras))
        if k < len(paras) and rng.random() < 0.5:
            paras[k] = paras[k].rstrip() + " " + sentence
        else:
            paras.insert(k, sentence)
    if rng.random() < 0.4:
        paras.append(_fill(rng.choice(_RESIDUE), rng, topic))
    return "\n\n".join(paras)


def to_spam_html(text: str, rng: random.Random, *, title: str, anchors: list[str]) -> str:
    """Wrap text in a page and turn some phrases into shop or affiliate anchors."""
    paras = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    body: list[str] = []
    for p in paras:
        escaped = html.escape(p)
        for phrase in anchors:
            if rng.random() < 0.5 and phrase in escaped:
                rel = ' rel="sponsored"' if rng.random() < 0.3 else ""
                link = f'<a href="{html.escape(_shop_url(rng))}"{rel}>{phrase}</a>'
                escaped = escaped.replace(phrase, link, 1)
        body.append(f"<p>{escaped}</p>")
    nav = "".join(
        f'<li><a href="{html.escape(_shop_url(rng))}">{w.title()}</a></li>'
        for w in rng.sample(_SHOP_WORDS, 3)
    )
    return (
        f"<!DOCTYPE html><html><head><title>{html.escape(title)}</title></head><body>"
        f"<nav><ul>{nav}</ul></nav><article><h1>{html.escape(title)}</h1>{''.join(body)}"
        "</article></body></html>"
    )
