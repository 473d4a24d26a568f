"""How much the score says about a short page: the shipped model on texts cut to N words.

A spinner's swaps and a page's promotion are spread through it, so the first few words of
a spam page often carry no evidence at all, and the model, trained on whole pages, scores
such a snippet on what little it sees. This cuts held-out pages to their first N words
(whitespace-separated) and scores them with the shipped model *with the short-page rule
off* (``min_words_to_pass=0``), so that it measures the score alone:

* clean: held-out MedQuAD answers, Cochrane summaries and OneStopEnglish news;
* spam: ``evaluate.heldout_spun`` (held-out NIH/Cochrane texts spun, some promoted) and
  ``evaluate.heldout_promoted`` (held-out news with calls to action, claims and residue);

and reports, per N, the share of each scored ``ok`` and ``reject`` (and ``reject`` with the
rule on: a short page is rejected only when a signal family quotes spam on it,
``scorer.spam_evidence``), the ROC-AUC of the score between
clean and spam (and between clean and spun only: the promoted news carries its promotion
late in the page, so that cutting it mostly measures where the evidence sits), and the share of ``ok`` pages that are spam when half the queue is spam
(``spam_share_of_ok_at_even_odds``). It also scores MedQuAD's own short answers (under 40
words; training leaves them out), as they are, to show what the rule costs on real short
text, by score alone and with the rule. The default of ``Settings.min_words_to_pass`` is
read against this table.

Run from the project root (needs ../shared/data; about 3 minutes):

    python evaluation/short_pages.py [--lengths 5 10 15 20 25 30 40 60 100]
                                     [--out evaluation/reports/short_pages.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from qualityscore import Scorer
from qualityscore.model import corpora
from qualityscore.model.evaluate import heldout_clean, heldout_news, heldout_promoted, heldout_spun
from qualityscore.page import Page
from qualityscore.scorer import spam_evidence
from qualityscore.text import Doc


def _cut(text: str, n: int) -> str:
    return " ".join(text.split()[:n])


def _auc(pos: list[float], neg: list[float]) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[5, 10, 15, 20, 25, 30, 40, 60, 100])
    ap.add_argument("--per-group", type=int, default=300, help="texts per group")
    ap.add_argument("--out", type=Path, default=Path("evaluation/reports/short_pages.json"))
    args = ap.parse_args(argv)
    data_dir = corpora.data_dir_with("medquad")
    if data_dir is None:
        return 0
    t0 = time.time()
    k = args.per_group
    clean = heldout_clean(data_dir, max_per_corpus=k)
    news = heldout_news(data_dir)
    groups = {
        "medquad": [s.content for s in clean["medquad"][:k]],
        "cochrane_pls": [s.content for s in clean["cochrane_pls"][:k]],
        "news": [s.content for s in news[:k]],
        "spun": [p.text for p in heldout_spun(clean)[:k]],
        "promoted_news": [p.text for p in heldout_promoted(news)[:k]],
    }
    spam = ("spun", "promoted_news")
    scorer = Scorer.load(min_words_to_pass=0)
    ruled = Scorer.load()

    def scores(texts: list[str]) -> tuple[list[float], list[str], list[str]]:
        """Scores, decisions by score alone, and decisions with the rule."""
        results = scorer.score_pages_isolated([Page(text=t, is_html=False) for t in texts])
        rs = [(r, t) for r, t in zip(results, texts, strict=True) if r.error is None]
        ruled_decisions = [ruled.decide_page(r.score, Doc(t).word_count, evidence=spam_evidence(r.findings))
                           for r, t in rs]
        return [r.score for r, _ in rs], [r.decision for r, _ in rs], ruled_decisions

    rows = []
    for n in [*args.lengths, None]:
        row: dict = {"words": n or "whole page", "ok": {}, "reject": {}, "reject_with_the_rule": {}, "n": {}}
        by: dict[str, list[float]] = {}
        for name, texts in groups.items():
            s, d, ruled_d = scores([_cut(t, n) if n else t for t in texts])
            by[name] = s
            row["ok"][name] = float(np.mean([x == "ok" for x in d]))
            row["reject"][name] = float(np.mean([x == "reject" for x in d]))
            row["reject_with_the_rule"][name] = float(np.mean([x == "reject" for x in ruled_d]))
            row["n"][name] = len(s)
        pos = [-x for g in spam for x in by[g]]
        neg = [-x for g in groups if g not in spam for x in by[g]]
        row["roc_auc"] = _auc(pos, neg)
        row["roc_auc_spun"] = _auc([-x for x in by["spun"]], neg)
        clean_ok = float(np.mean([row["ok"][g] for g in groups if g not in spam]))
        spam_ok = float(np.mean([row["ok"][g] for g in spam]))
        row["spam_share_of_ok_at_even_odds"] = spam_ok / max(spam_ok + clean_ok, 1e-9)
        rows.append(row)
        print(f"{row['words']!s:>10}: ok " + " ".join(f"{g} {v:.2f}" for g, v in row["ok"].items())
              + "; reject (with the rule) " + " ".join(f"{g} {v:.3f} ({row['reject_with_the_rule'][g]:.3f})"
                                                      for g, v in row["reject"].items())
              + f"  AUC {row['roc_auc']:.3f} (spun {row['roc_auc_spun']:.3f})  spam share of ok {row['spam_share_of_ok_at_even_odds']:.2f}"
              f"  ({time.time() - t0:.0f} s)", flush=True)

    short = [s.content for s in corpora.medquad(data_dir, min_words=1) if len(s.content.split()) < 40]
    words = np.asarray([Doc(t).word_count for t in short])
    results = scorer.score_pages_isolated([Page(text=t, is_html=False) for t in short])
    ruled_results = ruled.score_pages_isolated([Page(text=t, is_html=False) for t in short])
    nih = {"answers": len(short), "by_words": {}}
    for lo, hi in ((1, 10), (10, 25), (25, 40), (40, 10**6)):
        pick = (words >= lo) & (words < hi)
        if not pick.any():
            continue
        nih["by_words"][f"{lo}-{hi - 1}" if hi < 10**6 else f"{lo}+"] = {
            "n": int(pick.sum()),
            "ok_score_alone": float(np.mean([r.decision == "ok" for r, p in zip(results, pick, strict=True) if p])),
            "ok_with_the_rule": float(np.mean([r.decision == "ok" for r, p in zip(ruled_results, pick, strict=True) if p])),
            "reject_score_alone": float(np.mean([r.decision == "reject" for r, p in zip(results, pick, strict=True) if p])),
            "reject_with_the_rule": float(np.mean([r.decision == "reject"
                                                   for r, p in zip(ruled_results, pick, strict=True) if p])),
        }
    report = {
        "protocol": "held-out pages cut to their first N words, scored by the shipped model with the "
                    "short-page rule off; spam = heldout_spun + heldout_promoted",
        "model_version": scorer.bundle.version,
        "thresholds": {k2: scorer.bundle.thresholds.get(k2) for k2 in ("reject_below", "review_below")},
        "min_words_to_pass": ruled.settings.min_words_to_pass,
        "lengths": rows,
        "medquad_short_answers": nih,
        "seconds": round(time.time() - t0, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(nih, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
