"""Citation support: medical claims versus the references behind them.

A claim ("studies show 70% ...", "clinically proven", "cures") is supported when its
sentence, or the next one, carries a reference marker (numbered reference, author-year,
DOI, PMID) or a link to a journal or public-health site. A research claim or a statistic
is also supported by a named source (institution, journal, an expert placed by role) in
its sentence or the one before or after: that is how news cites. Unsupported claims are
findings.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from urllib.parse import urlsplit

from ..page import Page
from ..text import Doc
from .base import MISSING, SignalFamily, SignalOutput, matches_containing, phrase_regex

# Claims, by strength. Statistics are common in honest consumer text (NIH pages quote
# prevalence without references), so they weigh less than miracle language.
STATISTIC_CLAIMS = (
    r"\d+(?:\.\d+)?\s?(?:%|percent|per\s?cent)",
    r"\d+\s+(?:times|fold)\s+(?:more|less|higher|lower|better|faster)",
    r"(?:one|two|three|four|\d+)\s+(?:in|out\s+of)\s+(?:every\s+)?(?:\d+|ten|five|four|three|two)\s+(?:people|patients|adults|women|men|children|users)",
)
RESEARCH_CLAIMS = (
    r"(?:studies|research|trials|scientists|researchers|experts|doctors|science)\s+(?:have\s+|has\s+)?"
    r"(?:show|shows|shown|prove|proves|proven|found|find|finds|confirm|confirms|confirmed|agree|agrees|say|says|recommend|recommends)",
    r"(?:a|one|new|recent|landmark)\s+(?:study|trial|survey)\s+(?:showed|shows|found|finds|proved|proves|confirmed)",
    r"according\s+to\s+(?:a\s+)?(?:recent\s+)?(?:studies|research|experts|scientists)",
)
STRONG_CLAIMS = (
    r"(?:clinically|scientifically|medically)\s+(?:proven|tested|validated)",
    r"proven\s+to",
    r"fda[-\s](?:approved|cleared|registered)",
    r"100\s?%\s+(?:safe|natural|effective|guaranteed|pure)",
    r"(?:completely|totally|perfectly)\s+safe",
    r"(?:with|causes?|has)\s+no\s+(?:known\s+)?side[-\s]effects",
    r"without\s+(?:any\s+)?side[-\s]effects",
    r"free\s+(?:of|from)\s+side[-\s]effects",
    r"(?:cures?|cured|curing)\s+(?:your\s+|all\s+|any\s+)?\w+",
    r"miracle\s+\w+",
    r"guaranteed\s+(?:results|to)",
    r"works?\s+(?:instantly|overnight|in\s+days)",
    r"(?:reverses?|eliminates?|eradicates?)\s+(?:your\s+)?\w+",
)
_STAT_RE = phrase_regex(STATISTIC_CLAIMS)
_RESEARCH_RE = phrase_regex(RESEARCH_CLAIMS)
_STRONG_RE = phrase_regex(STRONG_CLAIMS)

_NUMBERED_REF_RE = re.compile(r"\[(?:\d{1,3})(?:\s*[-–,]\s*\d{1,3})*\]|(?<=[a-z.,])(?:\^\d{1,3})")
_SURNAME = r"(?:(?:van|von|de|der|den|da|di|la|le|du|del)\s+){0,3}[^\W\d_a-z][^\W\d_]*(?:['’-][^\W\d_]+)*"
_AUTHOR_YEAR_RE = re.compile(
    # (Smith, 2019) (Müller et al., 2019) (van der Berg et al. 2019) (American Heart Association, 2017)
    rf"\(\s*{_SURNAME}(?:\s+{_SURNAME}){{0,4}}(?:\s+(?:et\s+al\.?|and|&)(?:\s*{_SURNAME})?)?,?\s+(?:19|20)\d{{2}}[a-z]?\s*[;)]"
    # A surname starts a word: tried inside one, it would rescan the word's tail each time.
    rf"|(?<![^\W\d_])(?<!['’-]){_SURNAME}\s+(?:et\s+al\.?|and\s+{_SURNAME})\s+\((?:19|20)\d{{2}}[a-z]?\)"
)
# Every author-year match ends in a year and ")" or ";": where no such ending occurs (most
# pages), the costly pattern above need not run at all.
_AUTHOR_YEAR_ENDING_RE = re.compile(r"(?:19|20)\d{2}[a-z]?\s*[;)]")
# A claim right after a negation is honest caution, not a claim: "no cure for", "not proven
# to", "doesn't cure", "none of them are proven to", "surgery rarely cures" (within 20
# characters of the claim). The contracted "n't" ends a word ("doesn't"), so it is matched
# without a word start before it.
_NEGATION_BEFORE_RE = re.compile(
    r"(?:\b(?:no|not|never|nor|none|neither|without|cannot|hardly|scarcely|rarely|seldom)\b"
    r"|n['’]t\b)[\w\s,'’-]{0,20}$",
    re.I,
)
# "The researchers found ..." reports what the team of a study the page has already named
# found: a report, not an appeal to research in general ("researchers have found",
# "studies show"). "The research proves" stays a claim: it names no one.
_STUDY_TEAM_RE = re.compile(r"(?:researchers|scientists|investigators)\b", re.I)
_DEFINITE_BEFORE_RE = re.compile(r"\b(?:the|these|those)\s+(?:[\w-]+\s+)?$", re.I)
_DOI_RE = re.compile(
    r"\b(?:doi:\s?|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/[^\s\"<>]*[^\s\"<>.,;:)\]]", re.I
)
_PMID_RE = re.compile(r"\bPMID:?\s?\d{5,9}\b|\bPMC\d{5,9}\b")
_REF_HEADING_RE = re.compile(
    r"^[ \t]*(?:references|sources|bibliography|citations|works\s+cited|further\s+reading|"
    r"selected\s+references|literature)[ \t]*(?::[ \t]*)?$",
    re.I | re.M,
)

# A named source: the way news and consumer-health writing cite. A claim that "researchers
# found" or "studies show" is checkable when the text around it says who: an institution
# ("University of Missouri researchers", "the National Cancer Institute"), a publication
# ("published Monday in the journal Neurology"), or an expert placed by role ("lead author
# Jane Doe", "a professor at Duke"). A bare "Dr. Smith" is not enough: adverts quote
# their own doctors. Case matters: these are proper names. It supports research claims
# and statistics only; miracle language ("cures", "100% safe") needs a reference whoever
# is said to vouch for it.
_CAP = r"[A-Z][\w'’&.-]*"
_INSTITUTION = (
    r"University|Institutes?|College|Hospital|Clinic|Medical\s+(?:Center|Centre|School)|"
    r"School\s+of\s+(?:Medicine|Public\s+Health|Nursing)|Association|Society|Academy|Foundation|"
    r"Agency|Administration|Council|Organi[sz]ation|Cent(?:er|re)s?\s+for|Department\s+of|"
    r"Ministry\s+of|Task\s+Force|Laborator(?:y|ies)"
)
_NOT_A_NAME = r"(?!(?:The|A|An|Our|Your|This|That|These|Visit|Call|Contact|Try|Buy|Order|Book|Ask)\b)"
_NAMED_SOURCE_RE = re.compile(
    rf"\b{_NOT_A_NAME}(?:{_CAP}\s+){{1,5}}(?:{_INSTITUTION})\b"
    rf"|\b(?:{_INSTITUTION})\s+(?:of|for)\s+(?:the\s+)?{_CAP}"
    r"|\b[Pp]ublished\s+(?:[\w,]+\s+){0,4}?in\s+(?:the\s+)?(?:(?:online\s+)?journal\s+)?[A-Z]"
    r"|\b[Jj]ournal\s+(?:of\s+(?:the\s+)?)?[A-Z]"
    r"|\b(?:lead|senior|study|first|co-?)\s*author\s+[A-Z][a-z]"
    r"|\b(?:researcher|professor|scientist|epidemiologist|investigator|director|chief|chair)\s+(?:of|at|with)\s+(?:the\s+)?[A-Z]"
    rf"|\baccording\s+to\s+(?:the\s+)?(?:[A-Z]{{2,}}\b|{_NOT_A_NAME}{_CAP}\s+{_CAP})"
)

AUTHORITATIVE_SUFFIXES = (".gov", ".edu", ".nhs.uk", ".gov.uk", ".gc.ca", ".gov.au", ".int", ".ac.uk")
AUTHORITATIVE_HOSTS = frozenset(
    {
        "doi.org", "dx.doi.org", "pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov", "nih.gov",
        "who.int", "cochranelibrary.com", "nejm.org", "thelancet.com", "bmj.com",
        "jamanetwork.com", "nature.com", "sciencedirect.com", "springer.com",
        "link.springer.com", "onlinelibrary.wiley.com", "academic.oup.com",
        "journals.plos.org", "cell.com", "annals.org", "ahajournals.org",
        "mayoclinic.org", "clinicaltrials.gov", "europepmc.org", "medlineplus.gov",
    }
)


def is_authoritative(href: str) -> bool:
    """A link to a journal, a registry or a public-health body."""
    try:
        host = (urlsplit(href).hostname or "").lower().removeprefix("www.")
    except ValueError:
        return False
    if not host:
        return False
    if host in AUTHORITATIVE_HOSTS or host.endswith(AUTHORITATIVE_SUFFIXES):
        return True
    if any(host == s.lstrip(".") for s in AUTHORITATIVE_SUFFIXES):  # "nhs.uk" itself
        return True
    return any(host.endswith("." + h) for h in AUTHORITATIVE_HOSTS)


class CitationSignals(SignalFamily):
    family = "citation"
    feature_names = (
        "claims_per_100w",
        "strong_claims_per_100w",
        "uncited_claim_share",
        "uncited_strong_claims",
        "reference_markers_per_100w",
        "doi_pmid_count",
        "has_reference_section",
        "authoritative_links",
        "authoritative_link_share",
    )

    def __init__(
        self,
        *,
        statistic_weight: float = 0.5,
        research_weight: float = 0.8,
        strong_weight: float = 1.2,
        support_window_sentences: int = 1,
        named_source_window_sentences: int = 1,
    ) -> None:
        self.statistic_weight = statistic_weight
        self.research_weight = research_weight
        self.strong_weight = strong_weight
        self.support_window_sentences = support_window_sentences
        self.named_source_window_sentences = named_source_window_sentences

    def analyze(self, doc: Doc, page: Page) -> SignalOutput:
        out = SignalOutput()
        f = out.features
        text = doc.text

        # Where the support is: character spans of markers and of authoritative anchors.
        support = [m.start() for m in matches_containing(_NUMBERED_REF_RE, text, ("[", "^"))]
        if _AUTHOR_YEAR_ENDING_RE.search(text):
            support += [m.start() for m in _AUTHOR_YEAR_RE.finditer(text)]
        dois = [m.start() for m in matches_containing(_DOI_RE, text, ("10.",))]
        dois += [m.start() for m in matches_containing(_PMID_RE, text, ("PM",))]
        support += dois
        marker_count = len(support)
        auth_links = [lk for lk in page.links if is_authoritative(lk.href)]
        support += [lk.start for lk in auth_links if lk.start >= 0]
        supported_sentences = {doc.sentence_index(pos) for pos in support} - {-1}

        claims: list[tuple[int, int, str, float]] = []
        # Spans taken by a stronger pattern, sorted and disjoint: one binary search tells
        # whether a match overlaps any of them (a spam page can hold 100,000 claims).
        taken_starts: list[int] = []
        taken_ends: list[int] = []
        for pattern, kind, weight in (
            (_STRONG_RE, "unsupported_claim", self.strong_weight),
            (_RESEARCH_RE, "unsupported_research_claim", self.research_weight),
            (_STAT_RE, "unsupported_statistic", self.statistic_weight),
        ):
            found: list[tuple[int, int]] = []  # one pattern's matches never overlap each other
            for m in pattern.finditer(text):
                i = bisect_left(taken_starts, m.end())
                if i and taken_ends[i - 1] > m.start():
                    continue
                if kind != "unsupported_statistic" and _NEGATION_BEFORE_RE.search(
                    text, max(0, m.start() - 30), m.start()
                ):
                    continue
                if (
                    kind == "unsupported_research_claim"
                    and _STUDY_TEAM_RE.match(text, m.start())
                    and _DEFINITE_BEFORE_RE.search(text, max(0, m.start() - 30), m.start())
                ):
                    continue
                found.append((m.start(), m.end()))
                claims.append((m.start(), m.end(), kind, weight))
            if found:
                spans = sorted([*zip(taken_starts, taken_ends, strict=True), *found])
                taken_starts = [s for s, _ in spans]
                taken_ends = [e for _, e in spans]

        named_sentences: set[int] = set()
        if any(c[2] != "unsupported_claim" for c in claims):
            named_sentences = {doc.sentence_index(m.start()) for m in _NAMED_SOURCE_RE.finditer(text)} - {-1}
        uncited = uncited_strong = 0
        for start, end, kind, weight in claims:
            idx = doc.sentence_index(start)
            window = range(idx, idx + self.support_window_sentences + 1)
            if any(i in supported_sentences for i in window):
                continue
            if kind != "unsupported_claim":
                near = range(idx - self.named_source_window_sentences, idx + self.named_source_window_sentences + 1)
                if any(i in named_sentences for i in near):
                    continue
            uncited += 1
            if kind == "unsupported_claim":
                uncited_strong += 1
            out.findings.append(self.finding(doc, kind, start, end, weight=weight))
        strong_total = sum(1 for c in claims if c[2] == "unsupported_claim")
        f["claims_per_100w"] = doc.per_100_words(len(claims))
        f["strong_claims_per_100w"] = doc.per_100_words(strong_total)
        f["uncited_claim_share"] = uncited / len(claims) if claims else 0.0
        f["uncited_strong_claims"] = float(uncited_strong)
        f["reference_markers_per_100w"] = doc.per_100_words(marker_count)
        f["doi_pmid_count"] = float(len(dois))
        heading = _REF_HEADING_RE.search(text)
        f["has_reference_section"] = 1.0 if heading else 0.0
        if heading:
            out.findings.append(
                self.finding(doc, "reference_section", heading.start(), heading.end(), weight=-0.8)
            )
        for pos in sorted(set(dois))[:5]:
            m = _DOI_RE.match(text, pos) or _PMID_RE.match(text, pos)
            if m:
                out.findings.append(self.finding(doc, "doi_or_pmid", m.start(), m.end(), weight=-0.5))
        if page.is_html:
            f["authoritative_links"] = float(len(auth_links))
            f["authoritative_link_share"] = len(auth_links) / len(page.links) if page.links else 0.0
        else:
            f["authoritative_links"] = MISSING
            f["authoritative_link_share"] = MISSING
        return out
