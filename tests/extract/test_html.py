"""HTML -> Page: main text, metadata, and every link with anchor, rel and offsets."""

from __future__ import annotations

from qualityscore.extract.html import parse_html

ARTICLE = """<!DOCTYPE html><html><head><title>Managing asthma at school | Example Health</title>
<meta name="author" content="Priya Raman"></head><body>
<nav><a href="/">Home</a> <a href="/topics/">Topics</a></nav>
<article><h1>Managing asthma at school</h1>
<p>Children with asthma can take part in sport and play when their asthma is well controlled.
A written asthma action plan, agreed with the family doctor, tells staff what to do when
symptoms get worse.</p>
<p>Guidance from the <a href="https://www.nhs.uk/conditions/asthma/">NHS asthma pages</a>
explains how reliever inhalers work, and a <a href="https://pubmed.ncbi.nlm.nih.gov/1234567/">trial</a>
looked at school-based programmes.</p>
<p>Parents can buy a <a href="https://inhalershop.example/buy/spacer?ref=991" rel="sponsored nofollow">cheap spacer device</a> online,
but a pharmacist should show the child how to use it.</p>
</article><footer>&copy; Example Health</footer></body></html>"""


def test_text_title_and_links() -> None:
    page = parse_html(ARTICLE, url="https://health.example/asthma-school")
    assert page.is_html
    assert "asthma action plan" in page.text
    assert "Managing asthma at school" in page.title
    by_anchor = {lk.anchor: lk for lk in page.links}
    assert by_anchor["Home"].internal and by_anchor["Topics"].href == "https://health.example/topics/"
    shop = by_anchor["cheap spacer device"]
    assert not shop.internal
    assert shop.rel == ("nofollow", "sponsored")
    nhs = by_anchor["NHS asthma pages"]
    assert page.text[nhs.start : nhs.end] == "NHS asthma pages"


def test_anchor_offsets_index_extracted_text() -> None:
    page = parse_html(ARTICLE)
    located = [lk for lk in page.links if lk.start >= 0]
    assert located, "anchors in the article body must be located in the text"
    for lk in located:
        assert page.text[lk.start : lk.end].lower() == lk.anchor.lower()


def test_page_without_article_falls_back_to_visible_text() -> None:
    html = "<html><body><div><a href='/a'>Cheap pills</a> <a href='/b'>Buy now</a></div><script>var x=1;</script></body></html>"
    page = parse_html(html)
    assert "Cheap pills" in page.text and "var x" not in page.text


def test_str_with_xml_declaration_is_accepted() -> None:
    html = '<?xml version="1.0" encoding="iso-8859-1"?><html><body><p>Caf\u00e9 and sleep hygiene advice for adults who wake at night.</p></body></html>'
    page = parse_html(html)
    assert "Caf\u00e9" in page.text


SAVED = """<!DOCTYPE html><html><head><title>Sleep and shift work</title>{head}</head><body>
<article><h1>Sleep and shift work</h1>
<p>Night shifts disturb the body clock, and our guide to
<a href="https://www.sleepwell.example/guides/naps">planning a short nap</a> explains how a
twenty-minute rest before a shift can help. Readers who want a supplement are pointed to a
<a href="https://vitamins.example.com/melatonin">melatonin night formula</a> by the sponsor.</p>
</article></body></html>"""


def _inserted(page) -> list[str]:  # type: ignore[no-untyped-def]
    from qualityscore.signals.promotion import PromotionSignals
    from qualityscore.text import Doc

    out = PromotionSignals().analyze(Doc(page.text), page)
    return [f.text for f in out.findings if f.rule == "promotion.inserted_anchor"]


def test_a_saved_page_uses_the_url_it_states_for_its_own_links() -> None:
    """Read from a file, a page has no URL: the canonical link (or og:url) it carries says
    which absolute links point back at its own site. Links elsewhere stay external."""
    canonical = '<link rel="canonical" href="https://www.sleepwell.example/shift-work">'
    og = '<meta property="og:url" content="https://sleepwell.example/shift-work">'
    for head in (canonical, og):
        page = parse_html(SAVED.format(head=head))
        by_anchor = {lk.anchor: lk for lk in page.links}
        assert by_anchor["planning a short nap"].internal, head
        assert not by_anchor["melatonin night formula"].internal, head
        assert _inserted(page) == ["melatonin night formula"], head
    # Stating nothing (or a relative or malformed URL): every absolute link is external,
    # as before, and the self-link is taken for a plug.
    for head in ("", '<link rel="canonical" href="/shift-work">', '<link rel="canonical" href="http://[">'):
        page = parse_html(SAVED.format(head=head))
        assert not {lk.anchor: lk for lk in page.links}["planning a short nap"].internal, head
        assert sorted(_inserted(page)) == ["melatonin night formula", "planning a short nap"], head
    # A URL given by the caller wins over what the page states.
    page = parse_html(SAVED.format(head=canonical), url="https://mirror.example/copy")
    assert not {lk.anchor: lk for lk in page.links}["planning a short nap"].internal
