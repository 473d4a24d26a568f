"""The model card: a JSON and a Markdown sidecar beside the model file, from its metadata.

``train`` writes it from the bundle's metadata; ``evaluate --update-card`` writes it
again with the evaluation summary added (``evaluation``), without touching the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _context_model_line(info: dict[str, Any] | None) -> list[str]:
    if not info:
        return []
    return [
        f"- spin tagger's model of words in context (`signals/context_model.py`): the word vectors of "
        f"{info.get('window')} tokens on each side → {info.get('hidden')} ReLU units → a {info.get('dim')}-d "
        f"context vector, trained by sampled softmax on {info.get('words', 0):,} words of the statistics' "
        f"NIH and Cochrane text ({info.get('epochs')} epochs, {info.get('seconds')} s; loss "
        f"{info.get('final_epoch_loss')}); log Z fitted linearly, residual sd {info.get('log_z_residual_sd')}"
    ]


def card_paths(model_path: Path) -> tuple[Path, Path]:
    return model_path.with_name("model-card.json"), model_path.with_name("MODEL_CARD.md")


def write_card(metadata: dict[str, Any], model_path: Path, *, evaluation: dict[str, Any] | None = None) -> None:
    json_path, md_path = card_paths(model_path)
    # One card for the pair of files train writes (bundle.py): the skops file and the
    # runtime file compiled from it.
    card = {"model_file": model_path.with_suffix(".skops").name,
            "runtime_file": model_path.with_suffix(".npz").name, **metadata}
    if evaluation:
        card["evaluation"] = evaluation
    json_path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(card), encoding="utf-8")


def read_card(model_path: Path) -> dict[str, Any] | None:
    json_path, _ = card_paths(model_path)
    if not json_path.exists():
        return None
    return json.loads(json_path.read_text("utf-8"))


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _pct(v: Any) -> str:
    return f"{100 * v:.1f}%" if isinstance(v, (int, float)) else "n/a"


def _num(v: Any, digits: int = 3) -> str:
    return f"{v:.{digits}f}" if isinstance(v, (int, float)) else "n/a"


def _evaluation_lines(ev: dict[str, Any]) -> list[str]:
    pub = ev.get("published", {})
    lines = [
        "## Evaluation",
        "",
        f"From `qualityscore evaluate` on {ev.get('generated')}, of this model "
        f"(`{ev.get('model_version')}`, created {ev.get('model_created')}); full report and plots "
        "in `evaluation/reports/` (method: `evaluation/README.md`). Corpus digests "
        + ("match" if ev.get("digests_match_training") else "**differ from**")
        + " those the model was trained on.",
        "",
        "| measure | result | reference |",
        "|---|---|---|",
    ]
    cv = ev.get("sondhi_cv")
    if cv:
        lines.append(
            f"| Sondhi, 5-fold stratified CV (published protocol) | accuracy {_num(cv.get('accuracy'))}, "
            f"ROC-AUC {_num(cv.get('roc_auc'))}, F1 (unreliable) {_num(cv.get('f1_unreliable'))} | "
            f"accuracy {_num(pub.get('sondhi_2012_accuracy'), 2)} (Sondhi 2012), "
            f"{_num(pub.get('replication_2021_accuracy'), 2)} (2021 replication); goal ≥ 0.95 |"
        )
    site = ev.get("sondhi_site_cv")
    if site:
        g = ev.get("site_grouping", {})
        lines.append(
            f"| Sondhi, 5-fold site-grouped CV | accuracy {_num(site.get('accuracy'))}, ROC-AUC "
            f"{_num(site.get('roc_auc'))}, F1 (unreliable) {_num(site.get('f1_unreliable'))} | "
            f"{g.get('groups')} sites; {_pct(g.get('key_coverage'))} of pages keyed from their HTML |"
        )
    for key, name, goal in (("medquad", "MedQuAD (NIH) answers", "goal ≥ 98%"),
                            ("cochrane_pls", "Cochrane plain-language summaries", "goal ≥ 98%"),
                            ("onestop", "OneStopEnglish news articles (not health)", "")):
        rates = ev.get("heldout_clean", {}).get(key)
        if rates:
            lines.append(
                f"| held-out {name} scored `ok` | {_pct(rates.get('ok_rate'))} (review {_pct(rates.get('review_rate'))}, "
                f"reject {_pct(rates.get('reject_rate'))}; n = {rates.get('n'):,}) | {goal} |"
            )
    spun = ev.get("heldout_spun")
    if spun:
        lines.append(
            f"| spun versions of held-out NIH/Cochrane text (synthetic) flagged | {_pct(spun.get('flagged_rate'))} "
            f"(n = {spun.get('n'):,}) | |"
        )
    promo = ev.get("heldout_promoted_news")
    if promo:
        lines.append(
            f"| promoted versions of held-out news (synthetic) flagged | {_pct(promo.get('flagged_rate'))} "
            f"(n = {promo.get('n'):,}) | |"
        )
    hs = ev.get("healthstory")
    if hs:
        ci = hs.get("spearman_ci95") or [None, None]
        lines.append(
            f"| HealthStory: Spearman of score with expert stars | {_num(hs.get('spearman'))} "
            f"(95% CI {_num(ci[0])} to {_num(ci[1])}; n = {hs.get('n'):,}) | |"
        )
        lines.append(f"| HealthStory: ROC-AUC for rating < 3 | {_num(hs.get('roc_auc'))} | 0.5 = chance |")
    if ev.get("brier") is not None:
        lines.append(f"| Brier score, Sondhi out-of-fold probabilities | {_num(ev.get('brier'))} | 0.25 = always 0.5 |")
    lines.append("")
    ab = ev.get("ablation")
    if ab:
        lines += [
            "Ablation (accuracy; each variant refitted in the same folds; labeled = the project's "
            "pages held out of training, as given / text only):",
            "",
            "| variant | Sondhi stratified CV | Sondhi site CV | labeled held out | labeled, text only |",
            "|---|---|---|---|---|",
        ]
        for r in ab:
            lines.append(
                f"| {r['variant']} | {_num(r.get('sondhi_stratified_cv_accuracy'))} | {_num(r.get('sondhi_site_cv_accuracy'))} "
                f"| {_num(r.get('labeled_heldout_accuracy'))} | {_num(r.get('labeled_text_heldout_accuracy'))} |"
            )
        lines.append("")
    return lines


def render_markdown(card: dict[str, Any]) -> str:
    from ..settings import DEFAULT_SETTINGS

    min_words = DEFAULT_SETTINGS.min_words_to_pass
    td = card.get("training_data", {})
    lines = [
        f"# Model card: {card.get('model_file')}",
        "",
        f"- version: `{card.get('model_version')}`, created {card.get('created')}, "
        f"git commit `{card.get('git_commit')}`"
        + (f" with uncommitted changes to {', '.join(f'`{f}`' for f in card['git_uncommitted'])}"
           if card.get("git_uncommitted") else "")
        + f", seed {card.get('seed')}",
        "- task: probability that a health page is low quality (spun, promotional, "
        "unsupported); score = 100 × (1 − probability)",
        "- architecture: two scikit-learn branches: TF-IDF words+bigrams → logistic regression "
        "(learned from real pages only, not the simulated spam), and the signal vector → "
        "gradient-boosted trees (NaN = missing HTML evidence); combined as "
        "`1 − (1 − lin)(1 − p_signals^k)`, `lin = w·p_words + (1 − w)·p_signals`: a linear "
        "vote, except that near-certain signal evidence decides alone "
        f"(w = {card.get('vote', {}).get('text_weight', '?')}, "
        f"k = {card.get('vote', {}).get('signal_power', '?')}; "
        "see `qualityscore/model/vote.py`)",
        f"- features: {len(card.get('feature_names', []))} signals + text",
        *_context_model_line(card.get("context_model")),
        f"- files: `{card.get('model_file')}` (the scikit-learn objects, skops) and "
        f"`{card.get('runtime_file')}` (the same model compiled to arrays, loaded with "
        "`allow_pickle=False` and scored with NumPy alone; what `Scorer` loads by default)"
        + (f"; largest difference in P(low) between the two over the {card['runtime_check']['rows']} "
           f"training rows: {card['runtime_check']['max_abs_difference']:.1g}"
           if card.get("runtime_check") else ""),
        "",
        "## Training data",
        "",
        "| corpus view | high | low |",
        "|---|---|---|",
    ]
    for name, counts in td.get("rows", {}).items():
        lines.append(f"| {name} | {counts.get('high', 0)} | {counts.get('low', 0)} |")
    lines += ["", "Digests (sha256 of ids and contents, first 16 hex):", ""]
    for name, d in td.get("digests", {}).items():
        lines.append(f"- {name}: `{d}`")
    lines += [
        "",
        "`*_text` rows are the same pages with HTML evidence removed, so that missing links "
        "never count as evidence of quality. `synthetic_spun` rows are spun and promoted "
        "versions of a disjoint slice of the NIH and Cochrane text, made by "
        "`qualityscore/model/spinner.py`; `synthetic_spun_unknown` rows are the same texts "
        "spun with a quarter of the lexicon, their signals computed by a detector that does "
        "not know that quarter (spinners whose vocabulary we lack); "
        "`synthetic_spun_thesaurus` rows are half of the same texts spun by a general "
        "thesaurus (the training half of a WordNet thesaurus, `qualityscore/thesaurus`), "
        "everyday words as much as medical ones, and nothing else added. Only the signal branch "
        "learns from these (the word branch would learn the simulator's own vocabulary). "
        "`synthetic_promoted_news` rows are those news articles with calls to action, "
        "uncited claims and blog residue added (signal branch only, like the spun rows); "
        "`synthetic_spun_news` rows are half of them spun by the same general thesaurus "
        "(signal branch only), so that the register of news is not read as evidence of quality. "
        "`onestop` rows are OneStopEnglish news articles (general news, all three reading "
        "levels of 60% of the articles): clean writing in the register of news, so that "
        "reported prices, figures and quotes are not read as spam. Held-out slices of "
        "MedQuAD, Cochrane and OneStopEnglish are never trained on; evaluation uses them. "
        "The spin detector's word statistics and context model read a MedQuAD slice that "
        "no classifier row and no tagger text comes from, and the abstracts of the Cochrane "
        "reviews whose summaries are spun rows only: none whose summary is a clean row or "
        "sets the tagger's cut (an abstract makes its own summary's words look familiar). "
        "HealthStory (health news) is never trained on. MedReadMe's medical sentences "
        "(papers, research summaries, Wikipedia, the MSD manual; its Cochrane sentences "
        "left out) are read by the per-token spin tagger as clean writing in other "
        "registers: every word of them is a negative. Half of its passages are `medreadme` "
        "rows of the classifier, and the same passages spun by the general thesaurus are "
        "`synthetic_spun_research` rows (signal branch only), so that term-dense research "
        "prose is not read as spam and heavy spin is not read as research prose; the other "
        "half is held out.",
        "",
        "## Metrics recorded at training",
        "",
    ]
    metrics = card.get("metrics", {})
    for section, values in metrics.items():
        lines.append(f"**{section}**: " + ", ".join(f"{k} {_fmt(v)}" for k, v in values.items()))
        lines.append("")
    if not metrics:
        lines += ["none (trained with `--no-cv`)", ""]
    if card.get("evaluation"):
        lines += _evaluation_lines(card["evaluation"])
    th = card.get("thresholds", {})
    lines += [
        "## Decision thresholds",
        "",
        f"- `reject` when score < {th.get('reject_below')}; `review` when score < {th.get('review_below')}; otherwise `ok` "
        f"(`review` for a page under {min_words} words: the Scorer's short-page rule, not the model's)",
    ]
    if "reject_precision_target" in th:
        lines += [
            f"- `reject_below`: the highest cut at which the Sondhi pages scoring below it (out-of-fold) "
            f"are low quality with precision ≥ {th['reject_precision_target']:.0%} (target precision for reject)",
            f"- `review_below`: the lowest cut ≥ 50 that sends ≥ {th['review_recall_target']:.0%} of the low-quality "
            "Sondhi pages to review or reject (target recall for review)",
        ]
    reps = th.get("per_repetition")
    if reps:
        each = ", ".join(f"{r['reject_below']} / {r['review_below']}" for r in reps)
        lines.append(f"- chosen on the out-of-fold scores of {th.get('cv_repetitions', len(reps))} repetitions of the "
                     f"CV pooled; each repetition alone would give reject / review {each} (how much one CV moves them)")
    if th.get("review_below") is not None and th.get("review_below") == th.get("reject_below"):
        lines.append("- the review band is empty: the reject cut alone already sends the target share of "
                     "low-quality Sondhi pages to `reject`; set `--review-below` for a band")
    lines += [
        f"- as recorded: {th.get('how')}",
        "- override per run with `--review-below` / `--reject-below` (CLI) or `Settings`",
        "",
        "## Library versions",
        "",
        ", ".join(f"{k} {v}" for k, v in card.get("versions", {}).items()),
        "",
        "## Known limits",
        "",
        "- English only: pages that do not read as English are refused "
        "(`input.unsupported_language`, `qualityscore/language.py`). Trained on Sondhi (2012-era health sites), NIH and Cochrane text, "
        "general news (OneStopEnglish), the project's 64 labeled pages and simulated spin; "
        "pages unlike all of these (forums, social media, product listings) are out of scope "
        "and score unpredictably.",
        "- Spin evidence comes from a curated lexicon plus learned word statistics. Pages spun "
        "with substitutions outside the lexicon, and not otherwise promotional, are caught "
        "about half the time, and lightly spun ones (a few swaps per 100 words) mostly pass; "
        "most of the swapped words themselves are not pointed out "
        "(`evaluation/lexicon_holdout.py`, `foreign_spinner.py`, `spin_heldout.py`; README, *Spin detection*; evaluation/RESULTS.md).",
        "- Prices and reported claims still raise findings on news stories: stories that "
        "report on supplements and cures draw many of the false alarms on well-rated news, "
        "with their own words (\"natural\", \"product\", prices, \"cure for\"; "
        "`evaluation/false_alarms.py`). The per-token tagger's `spin.unlikely_word` also "
        "quotes words of sound pages, web-page residue among them "
        "(`evaluation/spin_evidence.py` counts every spin rule's findings per source). Its model of "
        "words in context knows clean NIH and Cochrane text: on clean pages about unusual topics it "
        "quotes the words the topic needs (a review of fracture fixation: \"nailing\", \"plating\").",
        f"- A page of fewer than `Settings.min_words_to_pass` words ({min_words}) is never `ok`, and is "
        "`reject`ed only when a signal family quotes spam on it (else `review`): on so little text the "
        "score is weak evidence either way (`evaluation/short_pages.py`).",
        "- Research-paper prose has low pair fluency, as heavy spin does. The classifier learns "
        "the difference from half of MedReadMe's passages, clean and spun, and from which words "
        "clean health text lacks on the page (`spin.unseen_word_domain`: terms or general "
        "English); prose from fields far from MedReadMe's may still be rejected "
        "(`evaluation/pair_fluency.py`'s `technical_decisions`; evaluation/RESULTS.md, *Research prose*).",
        "- Link features exist only for HTML input; plain text is scored without them.",
        "- The thresholds are tuned on Sondhi out-of-fold scores: their precision and recall "
        "targets hold for pages like Sondhi's, not necessarily for other sources.",
    ]
    ev = card.get("evaluation") or {}
    cv, site = ev.get("sondhi_cv"), ev.get("sondhi_site_cv")
    if cv and site:
        lines.append(
            f"- Sondhi holds many pages per site: with no site on both sides of a fold, accuracy is "
            f"{_num(site.get('accuracy'))} instead of {_num(cv.get('accuracy'))}, so part of the "
            "stratified figure is recognising sites rather than judging pages."
        )
    hs = ev.get("healthstory")
    if hs:
        lines.append(
            f"- News is not spam: on HealthStory the score does not track the reviewers' journalism "
            f"criteria (Spearman {_num(hs.get('spearman'))}, ROC-AUC {_num(hs.get('roc_auc'))} for rating < 3)."
        )
    lines.append("")
    return "\n".join(lines)
