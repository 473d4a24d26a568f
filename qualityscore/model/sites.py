"""Which site a Sondhi page comes from, read from the HTML itself.

The Sondhi files carry no URL, yet whole sites sit on one side of the label (one health
portal gives ~40 "reliable" pages, one remedy shop ~20 "unreliable" ones). Stratified
folds over pages then put pages of the same site on both sides, and a model can score
well by recognising the site's boilerplate. A site-grouped cross-validation needs a
site key per page; this module derives one from evidence inside each page:

1. ``canonical`` / ``og_url`` / ``base_href``: the page's own URL, when it states it;
2. ``copyright``: the owner in a visible copyright line or ``<meta name=copyright>``
   (a domain in it becomes a host key, otherwise the normalised owner name);
3. ``self_links``: the registered domain most of the page's absolute links point to,
   when it clearly dominates and is not a third-party service (ads, social, HONcode...);
4. ``title_site``: a title prefix or suffix ("VHLFA: ...", "... - rheumatologychannel")
   that other pages share.

Pages are then joined (union-find) when they share any key, when they share a
navigation template (many identical relative links), or when their visible text is
identical. Joining errs on the side of merging: a merged pair of sites only makes the
grouped CV stricter, a split site would leak. Pages with no evidence at all are put
together in one ``unknown`` group, again the conservative choice.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

# Domains that appear on pages as services, badges, ads or references, never as the
# page's own site.
THIRD_PARTY_DOMAINS: frozenset[str] = frozenset(
    {
        "addthis.com", "adobe.com", "amazon.com", "apple.com", "bbb.org", "bbbonline.org",
        "blogger.com", "ccnow.com", "clickbank.net", "del.icio.us", "delicious.com",
        "digg.com", "doubleclick.net", "dynamicdrive.com", "e-junkie.com",
        "extremetracking.com", "facebook.com", "feedburner.com", "freetranslation.com",
        "godaddy.com", "google.com", "google-analytics.com", "googlesyndication.com",
        "hon.ch", "macromedia.com", "mcafeesecure.com", "microsoft.com", "mrsite.com",
        "myspace.com", "omniture.com", "paypal.com", "reddit.com", "scanalert.com",
        "sitemeter.com", "statcounter.com", "stumbleupon.com", "surveymonkey.com",
        "technorati.com", "truste.com", "truste.org", "twitter.com", "verisign.com",
        "w3.org", "wikipedia.org", "yahoo.com", "youtube.com", "1shoppingcart.com",
        "ebay.com", "allwebhunt.com", "payoutmedia.com", "nobel.se", "codylindley.com",
    }
)
# Free hosting where each sub-domain is a different site.
SHARED_HOSTING: frozenset[str] = frozenset(
    {"angelfire.com", "geocities.com", "tripod.com", "blogspot.com", "wordpress.com",
     "typepad.com", "homestead.com", "freewebs.com", "webs.com", "bravehost.com"}
)
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "or", "ne"})
_GENERIC_HREFS = frozenset(
    {"", "/", "#", "index.html", "index.htm", "index.php", "index.asp", "default.asp",
     "default.aspx", "default.htm", "home.html", "home.htm"}
)
_GENERIC_OWNERS = frozenset(
    {"", "allrightsreserved", "protected", "privacypolicy", "copyright", "theauthors",
     "reserved", "all", "rights"}
)
_DOMAIN_RE = re.compile(
    r"\b((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:com|org|net|gov|edu|info|biz|us|uk|ca|au|"
    r"nu|ws|ch|de|nz|ie|in|tv|cc))\b",
    re.IGNORECASE,
)
_COPYRIGHT_RE = re.compile(r"(?:©|\(c\)|copyright)\s*(.{0,90})", re.IGNORECASE)
_TITLE_SPLIT_RE = re.compile(r"\s*(?:\s[-–—|»~]\s|\||::|:\s)\s*")

# A self-link domain must have at least this many links and this share of the page's
# absolute links (third parties excluded) to count as the page's own site.
MIN_SELF_LINKS = 2
MIN_SELF_LINK_SHARE = 0.4
# Two pages share a navigation template when they have at least this many non-generic
# relative links in common and this Jaccard overlap of their relative links.
MIN_SHARED_NAV_LINKS = 5
MIN_NAV_JACCARD = 0.3


def registered_domain(host: str) -> str:
    """``forum.mentalhealthchannel.net`` -> ``mentalhealthchannel.net`` (no public-suffix list)."""
    host = host.lower().strip(".").split(":")[0]
    labels = [x for x in host.split(".") if x]
    if len(labels) < 2:
        return host
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        base = ".".join(labels[-3:])
    else:
        base = ".".join(labels[-2:])
    if base in SHARED_HOSTING and len(labels) > len(base.split(".")):
        return ".".join(labels[-len(base.split(".")) - 1 :])
    return base


def _absolute_host(url: str | None) -> str | None:
    if not url:
        return None
    url = url.strip()
    if not url.lower().startswith(("http://", "https://")):
        return None
    host = urlsplit(url).hostname
    return registered_domain(host) if host else None


def _owner_key(notice: str) -> str | None:
    """A key for a copyright owner: its domain if it names one, else its normalised name."""
    m = _DOMAIN_RE.search(notice)
    if m:
        dom = registered_domain(m.group(1))
        return None if dom in THIRD_PARTY_DOMAINS else "host:" + dom
    text = re.sub(r"&copy;|©|\(c\)|copyrights?|protected|\bby\b", " ", notice, flags=re.IGNORECASE)
    text = re.sub(r"\b(?:19|20)\d\d(?:\s*[-–,]\s*(?:19|20)?\d\d)*\b", " ", text)
    text = re.split(r"[.|,;:/\"<>()]|\s-\s|all rights|\n", text, maxsplit=1, flags=re.IGNORECASE)[0]
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower())
             if w not in {"inc", "llc", "ltd", "corp", "corporation", "the", "and"}]
    name = "".join(words)
    if len(name) < 4 or name in _GENERIC_OWNERS:
        return None
    return "name:" + name


@dataclass
class SiteEvidence:
    """What one page says about its site."""

    keys: dict[str, set[str]] = field(default_factory=dict)  # evidence kind -> keys
    title_affixes: tuple[str, ...] = ()
    title_name: str = ""
    nav_links: frozenset[str] = frozenset()
    text_digest: str = ""

    def add(self, kind: str, key: str | None) -> None:
        if key:
            self.keys.setdefault(kind, set()).add(key)


def _parse(html: str):  # type: ignore[no-untyped-def]
    from lxml import html as lxml_html

    parser = lxml_html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        return lxml_html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except Exception:  # an empty or unparsable page has no evidence
        return None


def page_evidence(html: str) -> SiteEvidence:
    ev = SiteEvidence()
    doc = _parse(html)
    if doc is None:
        return ev
    for el in doc.xpath("//link[@rel and @href]"):
        if "canonical" in el.get("rel", "").lower().split():
            ev.add("canonical", _host_key(el.get("href")))
    for content in doc.xpath("//meta[@property='og:url']/@content"):
        ev.add("og_url", _host_key(content))
    for href in doc.xpath("//base/@href"):
        ev.add("base_href", _host_key(href))
    for content in doc.xpath("//meta[translate(@name,'COPYRIGHT','copyright')='copyright']/@content"):
        ev.add("copyright", _owner_key(content))

    hosts: Counter[str] = Counter()
    nav: set[str] = set()
    for a in doc.xpath("//a[@href]"):
        href = (a.get("href") or "").strip()
        low = href.lower()
        if low.startswith(("http://", "https://")):
            dom = _absolute_host(href)
            if dom and dom not in THIRD_PARTY_DOMAINS:
                hosts[dom] += 1
        elif not low.startswith(("mailto:", "javascript:", "#", "tel:")):
            path = low.split("#")[0].lstrip("./")
            if path not in _GENERIC_HREFS:
                nav.add(path)
    ev.nav_links = frozenset(nav)
    if hosts:
        # Ties all count (merging two candidates is the safe error).
        top_n = max(hosts.values())
        tops = [d for d, n in hosts.items() if n == top_n]
        if top_n >= MIN_SELF_LINKS and top_n * len(tops) / sum(hosts.values()) >= MIN_SELF_LINK_SHARE:
            for d in tops:
                ev.add("self_links", "host:" + d)

    for bad in doc.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    body = " ".join(doc.text_content().split())
    for m in _COPYRIGHT_RE.finditer(body):
        ev.add("copyright", _owner_key(m.group(1)))
    # Digits out: error pages and templates differ only by ids and dates.
    ev.text_digest = hashlib.sha1(re.sub(r"\d+", "0", body.lower()).encode("utf-8", "replace")).hexdigest()
    title = " ".join((doc.findtext(".//title") or "").split())
    ev.title_name = _norm(title)
    parts = [p for p in _TITLE_SPLIT_RE.split(title) if p]
    if len(parts) >= 2:
        ev.title_affixes = ("prefix:" + _norm(parts[0]), "suffix:" + _norm(parts[-1]))
    return ev


def _host_key(url: str | None) -> str | None:
    dom = _absolute_host(url)
    return "host:" + dom if dom else None


def _norm(s: str) -> str:
    return "".join(re.findall(r"[a-z0-9]+", s.lower()))


class _UnionFind:
    def __init__(self, items: list[str]) -> None:
        self.parent = {i: i for i in items}

    def find(self, x: str) -> str:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass
class SiteGrouping:
    """A site group per page id, and how it was reached."""

    group: dict[str, str]
    evidence: dict[str, list[str]]  # page id -> evidence kinds that gave it a key
    stats: dict[str, object]

    def __call__(self, page_id: str) -> str:
        return self.group[page_id]


def _labels(keys: set[str]) -> set[str]:
    """``host:vhl.org`` and ``name:vhl`` meet at ``label:vhl``: a site named as its domain."""
    out = set()
    for k in keys:
        kind, _, value = k.partition(":")
        label = _norm(value.split(".")[0]) if kind == "host" else value
        if kind in ("host", "name") and len(label) >= 4:
            out.add("label:" + label)
    return out


def group_sites(pages: Mapping[str, str]) -> SiteGrouping:
    """Site groups for ``{page id: html}``; see the module docstring for the method."""
    ids = list(pages)
    evs = {i: page_evidence(pages[i]) for i in ids}
    uf = _UnionFind(ids)

    def join_on(keys_of: dict[str, set[str]]) -> None:
        owner: dict[str, str] = {}
        for i in ids:
            for k in keys_of[i]:
                if k in owner:
                    uf.union(owner[k], i)
                else:
                    owner[k] = i

    # Strong evidence: the page's own URL, copyright owner, dominant self-links, identical
    # visible text, a shared navigation template.
    strong = {i: {k for ks in evs[i].keys.values() for k in ks} for i in ids}
    join_on({i: strong[i] | _labels(strong[i]) | {"text:" + evs[i].text_digest} for i in ids})
    template_linked: set[str] = set()
    for a_pos, a in enumerate(ids):
        na = evs[a].nav_links
        if len(na) < MIN_SHARED_NAV_LINKS:
            continue
        for b in ids[a_pos + 1 :]:
            nb = evs[b].nav_links
            shared = len(na & nb)
            if shared >= MIN_SHARED_NAV_LINKS and shared / len(na | nb) >= MIN_NAV_JACCARD:
                uf.union(a, b)
                template_linked.update((a, b))

    # Weak evidence: a title prefix/suffix shared by at least two pages, or a title that
    # names a domain label seen as strong evidence elsewhere. It may attach pages to a
    # site but never bridge two sites that strong evidence keeps apart ("Diabetes - ..."
    # is a topic on two sites, not a site).
    known_labels = {lab for i in ids for lab in _labels(strong[i])}
    affix_count = Counter(a for ev in evs.values() for a in set(ev.title_affixes))
    weak: dict[str, set[str]] = {}
    for i in ids:
        ev = evs[i]
        names = {a.split(":", 1)[1] for a in ev.title_affixes}
        keys = {"title:" + n for n in names if affix_count["prefix:" + n] + affix_count["suffix:" + n] >= 2 and len(n) >= 3}
        keys |= {"label:" + n for n in names | {ev.title_name} if "label:" + n in known_labels}
        weak[i] = keys
    label_pages: dict[str, list[str]] = {}
    for i in ids:
        for lab in _labels(strong[i]):
            label_pages.setdefault(lab, []).append(i)
    by_key: dict[str, list[str]] = {}
    for i in ids:
        for k in weak[i]:
            by_key.setdefault(k, []).append(i)
    title_keyed: set[str] = set()
    for key, members in by_key.items():
        anchors = label_pages.get(key, [])
        strong_roots = {uf.find(m) for m in [*members, *anchors] if strong[m]}
        if len(strong_roots) > 1:
            continue  # ambiguous: a topic word, not a site name
        first, *rest = [*anchors, *members]
        for m in rest:
            uf.union(first, m)
        title_keyed.update(members)

    keyed = {i for i in ids if strong[i] or i in title_keyed}
    comp_size = Counter(uf.find(i) for i in ids)
    # A page is placed when it has a key, or shares a template or identical text with another.
    placed = {i for i in ids if i in keyed or i in template_linked or comp_size[uf.find(i)] > 1}
    group = {i: "site:" + uf.find(i) if i in placed else "site:unknown" for i in ids}
    sizes = Counter(group.values())
    by_kind = Counter(kind for i in ids for kind in evs[i].keys)
    by_kind["title_site"] = len(title_keyed)
    stats: dict[str, object] = {
        "pages": len(ids),
        "keyed": len(keyed),
        "key_coverage": len(keyed) / len(ids) if ids else 0.0,
        "placed_by_template_or_duplicate_only": len(placed - keyed),
        "unknown": len(ids) - len(placed),
        "groups": len(sizes),
        "largest_group": max(sizes.values()) if sizes else 0,
        "singletons": sum(1 for n in sizes.values() if n == 1),
        "pages_with_evidence": dict(sorted(by_kind.items())),
    }
    evidence = {i: sorted(evs[i].keys) + (["title_site"] if i in title_keyed else []) for i in ids}
    return SiteGrouping(group=group, evidence=evidence, stats=stats)
