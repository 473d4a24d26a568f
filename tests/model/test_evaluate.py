"""Evaluation: site keys from HTML, the ablation's refits, calibration, the model card,
the plots, and the README's figures against evaluation/reports/summary.json.

Every page and text here is written by this project.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from qs_testkit import EXAMPLES, ROOT

from qualityscore.model import evaluate as ev
from qualityscore.model.sites import group_sites, page_evidence, registered_domain

SUMMARY = ROOT / "evaluation" / "reports" / "summary.json"


# -- site keys -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("www.vhl.org", "vhl.org"),
        ("forum.mentalhealthchannel.net", "mentalhealthchannel.net"),
        ("www.nhs.co.uk", "nhs.co.uk"),
        ("health.med.umich.edu", "umich.edu"),
        ("someone.angelfire.com", "someone.angelfire.com"),
        ("localhost", "localhost"),
    ],
)
def test_registered_domain(host: str, expected: str) -> None:
    assert registered_domain(host) == expected


def _page(title: str, body: str, head: str = "", links: str = "") -> str:
    return f"<html><head><title>{title}</title>{head}</head><body><p>{body}</p>{links}</body></html>"


@pytest.mark.parametrize(
    ("html", "kind", "key"),
    [
        (_page("A", "x", head='<link rel="canonical" href="https://www.herbs-example.com/a">'),
         "canonical", "host:herbs-example.com"),
        (_page("A", "x", head='<meta property="og:url" content="http://news.clinic-example.org/b">'),
         "og_url", "host:clinic-example.org"),
        (_page("A", "x", head='<base href="http://www.remedy-example.net/">'), "base_href", "host:remedy-example.net"),
        (_page("A", "Copyright © 2009 Sunny Herbs Ltd. All rights reserved."), "copyright", "name:sunnyherbs"),
        (_page("A", "© 2001-2008 CarePages.example.com, Inc."), "copyright", "host:example.com"),
        (_page("A", "x", head='<meta name="copyright" content="Copyright (C) 2002 Bowen Relief">'),
         "copyright", "name:bowenrelief"),
        (_page("A", "x", links="".join(f'<a href="http://www.shop-example.com/p{i}">p</a>' for i in range(4))
               + '<a href="http://www.hon.ch/x">HON</a>' * 5),
         "self_links", "host:shop-example.com"),
    ],
)
def test_page_evidence(html: str, kind: str, key: str) -> None:
    assert key in page_evidence(html).keys.get(kind, set())


def test_copyright_inside_a_script_is_not_the_site() -> None:
    html = _page("A", "x", head="<script>/* Copyright 2008 Tracker Corp */</script>")
    assert "copyright" not in page_evidence(html).keys


def test_third_party_links_never_name_the_site() -> None:
    html = _page("A", "x", links='<a href="http://www.hon.ch/a">a</a>' * 5 + '<a href="http://twitter.com/x">t</a>' * 3)
    assert "self_links" not in page_evidence(html).keys


def test_group_sites_joins_same_site_and_keeps_others_apart() -> None:
    pages = {
        "a1": _page("Herbs: Ginger", "Ginger eases nausea. © 2008 Sunny Herbs"),
        "a2": _page("Herbs: Garlic", "Garlic and the heart. © 2009 Sunny Herbs"),
        "b1": _page("Heart Clinic - Diabetes", "Our clinic. © 2008 Heart Clinic Group"),
        # Shares the topic prefix "Diabetes" with no site: a topic cannot bridge two sites.
        "c1": _page("Diabetes - Food Matrix", "Buy now. © 2007 Matrix Sellers"),
        "c2": _page("Diabetes - Questions", "Order today. © 2007 Matrix Sellers"),
        "d1": _page("Untitled", "A lone page with no evidence at all."),
        "e1": _page("Request Rejected", "The requested URL was rejected. Your support ID is: 1234"),
        "e2": _page("Request Rejected", "The requested URL was rejected. Your support ID is: 9876"),
    }
    g = group_sites(pages)
    assert g("a1") == g("a2")
    assert g("c1") == g("c2")
    assert len({g("a1"), g("b1"), g("c1")}) == 3
    assert g("e1") == g("e2") != "site:unknown"  # identical but for digits
    assert g("d1") == "site:unknown"
    assert g.stats["pages"] == 8 and g.stats["unknown"] == 1


def test_title_site_name_attaches_a_page_to_its_domain() -> None:
    links = "".join(f'<a href="http://www.bluewell-example.com/p{i}">p</a>' for i in range(3))
    pages = {"x1": _page("Bluewell Example", "Welcome."), "x2": _page("Products", "Buy.", links=links)}
    g = group_sites(pages)
    assert g("x1") == g("x2")


def test_shared_navigation_template_joins_pages() -> None:
    nav = "".join(f'<a href="/section/{n}.html">{n}</a>' for n in ("about", "faq", "shop", "contact", "story", "team"))
    pages = {"n1": _page("Home", "One.", links=nav), "n2": _page("Reviews", "Two.", links=nav)}
    g = group_sites(pages)
    assert g("n1") == g("n2") != "site:unknown"


# -- metrics ---------------------------------------------------------------------------
def test_calibration_of_perfect_and_constant_predictions() -> None:
    y = np.array([0, 0, 1, 1])
    perfect = ev.calibration(y, y.astype(float))
    assert perfect["brier"] == 0.0 and perfect["ece"] == 0.0
    half = ev.calibration(y, np.full(4, 0.5))
    assert half["brier"] == pytest.approx(0.25)
    assert sum(b["n"] for b in half["bins"]) == 4


def test_healthstory_metrics_direction() -> None:
    ratings = np.array([0, 1, 2, 3, 4, 5, 1, 4, 2, 5], dtype=float)
    scores = ratings * 20 + np.linspace(0, 1, 10)
    m = ev.healthstory_metrics(scores, ratings, ["ok"] * 10)
    assert m["spearman"] > 0.9 and m["roc_auc"] == pytest.approx(1.0)
    assert m["spearman_ci95"][0] <= m["spearman"] <= m["spearman_ci95"][1]


def test_variants_cover_every_family() -> None:
    from qualityscore.signals import feature_names

    names = feature_names()
    fams = ev.family_columns(names)
    assert sorted(c for cols in fams.values() for c in cols) == list(range(1, len(names) + 1))
    variants = {v.name: v for v in ev.ablation_variants(names)}
    assert {"full", "words_only", "signals_only"} <= set(variants)
    for fam, cols in fams.items():
        assert not set(cols) & set(variants[f"without_{fam}"].cols)
        assert variants[f"without_{fam}"].text


def _toy_design(n: int = 160, n_signals: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from qualityscore.model.pipeline import design_matrix

    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    good = ["reviewed evidence trial", "doctor advice dose", "study results risk"]
    bad = ["buy now miracle", "order today cure", "secret remedy offer"]
    texts = [" ".join(rng.choice(bad if t else good, 3)) for t in y]
    feats = rng.normal(size=(n, n_signals)) + y[:, None] * 0.8
    return design_matrix(texts, feats), y


def test_fold_refit_shortcut_equals_fitting_the_whole_pipeline() -> None:
    """The ablation fits the word branch once per fold and reuses it; that must give the
    same probabilities as fitting the shipped design whole, with the simulated spam rows
    kept out of the word branch in both."""
    from qualityscore.model.pipeline import build_pipeline
    from qualityscore.model.train import fit_model

    X, y = _toy_design()
    corpus = np.where(np.arange(len(y)) % 5 == 0, "synthetic_spun", "page").astype(object)
    train, test = np.arange(0, 120), np.arange(120, 160)
    names = [f"fam{j % 2}.f{j}" for j in range(X.shape[1] - 1)]
    variants = ev.ablation_variants(names)
    vote = ev.vote_parameters(len(names))
    assert vote is not None
    out = ev._fit_fold(X, y, train, {"t": test}, variants, seed=0, vote=vote, corpus=corpus)
    model = fit_model(build_pipeline(len(names), seed=0), X[train], y[train], corpus[train])
    whole = model.predict_proba(X[test])[:, 1]
    # Equal up to float32 rounding (the TF-IDF matrix is float32).
    np.testing.assert_allclose(out["preds"]["full"]["t"], whole, rtol=0, atol=1e-6)
    # The word branch really did leave the synthetic rows out: fitted on all rows, it differs.
    everything = build_pipeline(len(names), seed=0).fit(X[train], y[train]).predict_proba(X[test])[:, 1]
    assert np.abs(everything - whole).max() > 1e-4
    generic = ev._fit_fold(X, y, train, {"t": test}, variants, seed=0, vote=None, corpus=corpus)
    for v in variants:
        np.testing.assert_allclose(out["preds"][v.name]["t"], generic["preds"][v.name]["t"], atol=1e-9)


def test_batch_scoring_equals_the_scorer(scorer) -> None:  # type: ignore[no-untyped-def]
    from qualityscore.extract.sources import read_path
    from qualityscore.page import Page

    pages = [read_path(EXAMPLES / "spun-remedy.html"), read_path(EXAMPLES / "leaflet.txt"),
             Page(text="Diabetes is a chronic condition. Talk to your doctor about it.")]
    batch = ev.score_matrix(scorer, ev.page_design_matrix(scorer.bundle, pages), ev.word_counts(pages))
    for page, p, d in zip(pages, batch.p_low, batch.decisions, strict=True):
        one = scorer.score_page(page)
        assert p == pytest.approx(one.probability_low_quality, abs=1e-12)
        assert d == one.decision
    assert batch.decisions[1:] == ["ok", "review"]  # the short page is held back, as by the Scorer


# -- model card ------------------------------------------------------------------------
EVAL = {
    "model_version": "0.1.0+x", "model_created": "2026-01-01T00:00:00+00:00", "generated": "2026-01-02",
    "digests_match_training": True, "published": ev.PUBLISHED,
    "sondhi_cv": {"accuracy": 0.9561, "roc_auc": 0.99, "f1_unreliable": 0.95},
    "sondhi_site_cv": {"accuracy": 0.8811, "roc_auc": 0.93, "f1_unreliable": 0.88},
    "site_grouping": {"groups": 55, "key_coverage": 0.92},
    "heldout_clean": {"medquad": {"n": 10, "ok_rate": 0.997, "review_rate": 0.001, "reject_rate": 0.002},
                      "onestop": {"n": 6, "ok_rate": 0.977, "review_rate": 0.014, "reject_rate": 0.009}},
    "heldout_promoted_news": {"n": 6, "flagged_rate": 0.866},
    "healthstory": {"n": 5, "spearman": -0.12, "spearman_ci95": [-0.16, -0.06], "roc_auc": 0.44},
    "brier": 0.041,
    "ablation": [{"variant": "words_only", "sondhi_stratified_cv_accuracy": 0.96, "sondhi_site_cv_accuracy": 0.7,
                  "labeled_heldout_accuracy": 0.89, "labeled_text_heldout_accuracy": 0.84}],
}


def test_card_carries_the_evaluation(tmp_path: Path) -> None:
    from qualityscore.model.card import read_card, write_card

    meta = {"model_version": "0.1.0+x", "created": "2026-01-01T00:00:00+00:00", "feature_names": ["a.b"],
            "thresholds": {"reject_below": 40.0, "review_below": 55.0, "reject_precision_target": 0.95,
                           "review_recall_target": 0.97, "how": "test"},
            "metrics": {}, "training_data": {"digests": {"sondhi": "abc"}, "rows": {}}}
    model = tmp_path / "m.skops"
    write_card(meta, model, evaluation=EVAL)
    card = read_card(model)
    assert card is not None and card["evaluation"]["sondhi_site_cv"]["accuracy"] == 0.8811
    md = (tmp_path / "MODEL_CARD.md").read_text("utf-8")
    for text in ("## Evaluation", "0.956", "0.881", "99.7%", "-0.120",
                 "precision ≥ 95%", "≥ 97%", "| words_only | 0.960 | 0.700 |", "site on both sides",
                 "| held-out OneStopEnglish news articles (not health) scored `ok` | 97.7%",
                 "| promoted versions of held-out news (synthetic) flagged | 86.6%"):
        assert text in md, text
    # Every section keeps its own shape: the evaluation rows sit in its table, and the
    # known limits are a list (a table row once landed among them).
    limits = md.split("## Known limits", 1)[1].split("\n## ", 1)[0]
    assert all(line.startswith("- ") for line in limits.strip().splitlines()), limits
    assert md.count("promoted versions of held-out news") == 1


def test_card_without_evaluation_still_renders(tmp_path: Path) -> None:
    from qualityscore.model.card import render_markdown

    md = render_markdown({"model_file": "m.skops", "thresholds": {"reject_below": 20, "review_below": 50}})
    assert "## Evaluation" not in md and "reject` when score < 20" in md


def test_card_says_when_the_model_was_trained_from_uncommitted_code() -> None:
    from qualityscore.model.card import render_markdown

    base = {"model_file": "m.skops", "git_commit": "abc123", "seed": 0, "thresholds": {}}
    clean = render_markdown({**base, "git_uncommitted": []})
    assert "git commit `abc123`, seed 0" in clean and "uncommitted" not in clean
    dirty = render_markdown({**base, "git_uncommitted": ["qualityscore/model/train.py"]})
    assert "git commit `abc123` with uncommitted changes to `qualityscore/model/train.py`, seed 0" in dirty


# -- plots -----------------------------------------------------------------------------
def test_plots_write_pngs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from qualityscore.model import plots

    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(50), np.ones(50)]
    p = np.clip(y * 0.6 + rng.uniform(0, 0.4, 100), 0, 1)
    curves = [("toy", y, p)]
    made = [
        plots.roc_curves(curves, tmp_path / "roc.png"),
        plots.pr_curves(curves, tmp_path / "pr.png"),
        plots.calibration_curves(curves, tmp_path / "cal.png"),
        plots.score_distributions([("toy", {"a": p * 100, "b": (1 - p) * 100})],
                                  {"reject_below": 40, "review_below": 55}, tmp_path / "dist.png"),
        plots.feature_importance(
            {"features": [{"feature": "spin.x", "log_loss_increase": 0.1, "log_loss_increase_sd": 0.01}], "repeats": 3},
            {"toward_low_quality": [["buy", 2.0]], "toward_high_quality": [["trial", -1.5]]}, tmp_path / "fi.png"),
        plots.ablation_chart([{"label": "full", "sondhi_stratified_cv_accuracy": 0.95, "sondhi_site_cv_accuracy": 0.9,
                               "labeled_heldout_accuracy": 0.96, "labeled_text_heldout_accuracy": 0.9}],
                             tmp_path / "ab.png"),
    ]
    for m in made:
        assert Path(m).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- the shipped report ----------------------------------------------------------------
@pytest.fixture(scope="module")
def summary() -> dict:
    if not SUMMARY.exists():
        pytest.skip("no evaluation/reports/summary.json (run `qualityscore evaluate`)")
    return json.loads(SUMMARY.read_text("utf-8"))


def test_summary_has_the_issue_fields(summary: dict) -> None:
    for key in ("sondhi_cv", "sondhi_site_cv"):
        assert {"accuracy", "roc_auc", "f1_unreliable"} <= set(summary[key])
    assert {"spearman", "spearman_ci95", "roc_auc"} <= set(summary["healthstory"])
    for key in ("medquad_ok_rate", "cochrane_ok_rate", "brier"):
        assert isinstance(summary[key], float)
    for plot in summary.get("plots", []):
        assert (SUMMARY.parent / plot).exists(), plot


def _results_section() -> str:
    readme = (ROOT / "README.md").read_text("utf-8")
    m = re.search(r"^### Results\n(.*?)(?=^#{2,3} )", readme, flags=re.S | re.M)
    assert m, "README has no '### Results' subsection"
    return m.group(1)


def test_readme_figures_match_the_summary(summary: dict) -> None:
    section = _results_section()
    hs = summary["healthstory"]
    expected = [
        f"{summary['sondhi_cv']['accuracy']:.3f}",
        f"{summary['sondhi_cv']['roc_auc']:.3f}",
        f"{summary['sondhi_site_cv']['accuracy']:.3f}",
        f"{100 * summary['medquad_ok_rate']:.1f}%",
        f"{100 * summary['cochrane_ok_rate']:.1f}%",
        f"{hs['spearman']:.2f}".replace("-", "−"),
        f"{summary['brier']:.3f}",
        f"n = {summary['heldout_clean']['medquad']['n']:,}",
    ]
    missing = [e for e in expected if e not in section]
    assert not missing, f"README '### Results' does not show {missing} from summary.json: rerun evaluate and update it"
