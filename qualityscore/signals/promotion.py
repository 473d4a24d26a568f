"""Promotion: links and prose that sell rather than inform.

Link features need HTML. For plain text they are NaN (missing), never zero: a spam page
pasted as text has lost its links, it has not become link-free.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from ..page import Link, Page
from ..text import Doc
from .base import (
    MISSING,
    SignalFamily,
    SignalOutput,
    matches_containing,
    phrase_regex,
    sentence_of,
)
from .citation import is_authoritative

CALL_TO_ACTION = (
    r"(?:order|buy|shop|call|try|get)\s+(?:it\s+|yours\s+|us\s+)?(?:now|today)",
    r"order\s+(?:online|here|your\s+\w+)",
    r"buy\s+(?:online|here|\w+\s+online)",
    r"add\s+to\s+(?:cart|basket)",
    r"(?:click|tap)\s+here",
    r"contact\s+(?:your|our|the)\s+nearest\s+\w+",
    r"visit\s+our\s+(?:store|shop|online\s+store|website|clinic|pharmacy)",
    r"(?:book|schedule)\s+(?:your|an?)\s+(?:appointment|consultation)\s+(?:today|now)",
    r"(?:call|phone|ring)\s+(?:us\s+)?(?:at|on)",
    r"limited[-\s]time\s+(?:offer|only)",
    r"special\s+(?:offer|discount|price)",
    r"free\s+(?:shipping|delivery|trial|bottle|consultation)",
    r"money[-\s]back\s+guarantee",
    r"(?:promo|coupon|discount)\s+code",
    r"act\s+now",
    r"don'?t\s+miss\s+out",
    r"while\s+(?:stocks|supplies)\s+last",
    r"best\s+prices?",
    r"lowest\s+prices?",
    r"(?:\d+\s*%|half)\s+off",
    r"(?:sign|subscribe)\s+up\s+(?:now|today)",
    r"satisfaction\s+guaranteed",
    r"no\s+prescription\s+(?:needed|required)",
    r"discreet\s+(?:shipping|packaging)",
)
_CTA_RE = phrase_regex(CALL_TO_ACTION)
_PHONE_RE = re.compile(
    r"(?<!\w)(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\d{3})[\s.-]\d{3}[\s.-]\d{4}(?!\w)"
    r"|(?<!\w)1[\s-]?8(?:00|88|77|66|55)[\s-]?[A-Z0-9]{3}[\s-]?[A-Z0-9]{4}(?!\w)"
)
# An amount: thousands groups ("1,000", "1.000") or plain digits, then optional cents.
_AMOUNT = r"(?:\d{1,3}(?:[.,]\d{3})+|\d+)(?:[.,]\d{2})?"
# A sum with a magnitude ("$100m", "£2.3 billion") is a reported figure, not a price on
# offer: the amount must end there ((?!\d|[.,]\d) stops backtracking to "$10" of "$100m").
_MAGNITUDE = r"(?!\d|[.,]\d)(?!\s?(?:[mkb]n?|tn|thousand|million|billion|trillion)\b)"
_PRICE_RE = re.compile(
    rf"(?:[$£€]\s?{_AMOUNT}{_MAGNITUDE}|(?<![\w.,]){_AMOUNT}\s?(?:USD|EUR|GBP)(?!\w))"
)
_CENTS_RE = re.compile(r"[.,]\d{2}(?:\s?(?:USD|EUR|GBP))?$")  # on a price match: "$39.95", "25.00 EUR"
_PRICE_NEEDLES = ("$", "£", "€", "USD", "EUR", "GBP")  # one is in every price match
_TRADEMARK_RE = re.compile(r"[®™]")

AFFILIATE_PARAMS = frozenset(
    {"ref", "aff", "affid", "aff_id", "affiliate", "affiliate_id", "partner", "tag",
     "clickid", "click_id", "subid", "sub_id", "tracking", "trk", "cid", "irgwc", "a_aid"}
)
AFFILIATE_PATH_RE = re.compile(r"/(?:go|out|recommends?|aff|affiliate|refer|visit|link)/", re.I)
SHOP_PATH_RE = re.compile(
    r"/(?:shop|store|buy|cart|checkout|order|product|products|pharmacy|deal|deals|offer)s?(?:[/?.#-]|$)",
    re.I,
)
SHORTENER_HOSTS = frozenset({"bit.ly", "tinyurl.com", "goo.gl", "ow.ly", "t.co", "amzn.to", "rebrand.ly", "is.gd"})
# Anchors that are navigation or citation, not keyword plugs.
NEUTRAL_ANCHOR_RE = re.compile(
    r"^(?:here|this|link|source|website|home|more|read more|next|previous|back|top|"
    r"\[?\d+\]?|doi|pubmed|pmid|abstract|full text|pdf|\d{4})$",
    re.I,
)


def is_affiliate(link: Link) -> bool:
    try:
        parts = urlsplit(link.href)
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    if host in SHORTENER_HOSTS or AFFILIATE_PATH_RE.search(parts.path or ""):
        return True
    keys = {k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)}
    return bool(keys & AFFILIATE_PARAMS)


def is_shop(link: Link) -> bool:
    try:
        return bool(SHOP_PATH_RE.search(urlsplit(link.href).path or ""))
    except ValueError:
        return False


class PromotionSignals(SignalFamily):
    family = "promotion"
    feature_names = (
        "cta_per_100w",
        "phone_numbers",
        "prices_per_100w",
        "trademark_marks",
        "links_per_100w",
        "external_link_share",
        "affiliate_links",
        "shop_links",
        "sponsored_links",
        "inserted_anchors_per_100w",
    )

    def __init__(
        self,
        *,
        min_anchor_words: int = 1,
        max_anchor_words: int = 6,
        min_context_chars: int = 15,
    ) -> None:
        self.min_anchor_words = min_anchor_words
        self.max_anchor_words = max_anchor_words
        self.min_context_chars = min_context_chars

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        out = SignalOutput()
        f = out.features
        text = doc.text
        ctas = list(_CTA_RE.finditer(text))
        for m in ctas:
            out.findings.append(self.finding(doc, "call_to_action", m.start(), m.end(), weight=1.0))
        f["cta_per_100w"] = doc.per_100_words(len(ctas))
        phones = list(_PHONE_RE.finditer(text))
        for m in phones:
            out.findings.append(self.finding(doc, "phone_number", m.start(), m.end(), weight=0.4))
        f["phone_numbers"] = float(len(phones))
        prices = list(matches_containing(_PRICE_RE, text, _PRICE_NEEDLES))
        # Every sum counts for the model; only a price on offer is quoted as evidence:
        # a price tag ("$39.95") or a sum in a sentence that sells ("Order now for
        # $39"). News reports round costs ("the drug costs $400 a month"): as findings
        # they fired on 29% of 4-5-star HealthStory stories, price tags on 2%.
        cta_sentences = {doc.sentence_index(m.start()) for m in ctas} if prices else set()
        for m in prices:
            if _CENTS_RE.search(m.group()) or doc.sentence_index(m.start()) in cta_sentences:
                out.findings.append(self.finding(doc, "price", m.start(), m.end(), weight=0.6))
        f["prices_per_100w"] = doc.per_100_words(len(prices))
        f["trademark_marks"] = float(len(_TRADEMARK_RE.findall(text)))

        if not page.is_html:
            for name in (
                "links_per_100w",
                "external_link_share",
                "affiliate_links",
                "shop_links",
                "sponsored_links",
                "inserted_anchors_per_100w",
            ):
                f[name] = MISSING
            return out

        links = page.links
        f["links_per_100w"] = doc.per_100_words(len(links))
        external = [lk for lk in links if not lk.internal]
        f["external_link_share"] = len(external) / len(links) if links else 0.0
        affiliate = shop = sponsored = inserted = 0
        for lk in links:
            aff, shp = is_affiliate(lk), is_shop(lk)
            spons = "sponsored" in lk.rel
            affiliate += aff
            shop += shp
            sponsored += spons
            if lk.start < 0:
                continue
            if aff:
                out.findings.append(self.finding(doc, "affiliate_link", lk.start, lk.end, weight=1.0))
            elif spons:
                out.findings.append(self.finding(doc, "sponsored_link", lk.start, lk.end, weight=0.8))
            selling = aff or shp or spons or not (lk.internal or is_authoritative(lk.href))
            if self._is_inserted_anchor(doc, lk, commercial=selling):
                inserted += 1
                out.findings.append(
                    self.finding(doc, "inserted_anchor", lk.start, lk.end, weight=1.0)
                )
        f["affiliate_links"] = float(affiliate)
        f["shop_links"] = float(shop)
        f["sponsored_links"] = float(sponsored)
        f["inserted_anchors_per_100w"] = doc.per_100_words(inserted)
        return out

    def _is_inserted_anchor(self, doc: Doc, link: Link, *, commercial: bool) -> bool:
        """A keyword anchor dropped mid-sentence into prose, pointing at a shop or partner."""
        if not commercial or NEUTRAL_ANCHOR_RE.match(link.anchor.strip()):
            return False
        n_words = len(link.anchor.split())
        if not self.min_anchor_words <= n_words <= self.max_anchor_words:
            return False
        s_start, s_end = sentence_of(doc, link.start)
        before = doc.text[s_start : link.start].strip()
        after = doc.text[link.end : s_end].strip()
        return len(before) >= self.min_context_chars or len(after) >= self.min_context_chars
