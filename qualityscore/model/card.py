"""The model card: a JSON and a Markdown sidecar beside the model file, from its metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def card_paths(model_path: Path) -> tuple[Path, Path]:
    return model_path.with_name("model-card.json"), model_path.with_name("MODEL_CARD.md")


def write_card(metadata: dict[str, Any], model_path: Path, *, evaluation: dict[str, Any] | None = None) -> None:
    json_path, md_path = card_paths(model_path)
    card = {"model_file": model_path.name, **metadata}
    if evaluation:
        card["evaluation"] = evaluation
    json_path.write_text(json.dumps(card, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(card), encoding="utf-8")


def _fmt(v: Any) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def render_markdown(card: dict[str, Any]) -> str:
    td = card.get("training_data", {})
    lines = [
        f"# Model card: {card.get('model_file')}",
        "",
        f"- version: `{card.get('model_version')}`, created {card.get('created')}, "
        f"git commit `{card.get('git_commit')}`, seed {card.get('seed')}",
        "- task: probability that a health page is low quality (spun, promotional, "
        "unsupported); score = 100 × (1 − probability)",
        "- architecture: soft vote of two scikit-learn branches: TF-IDF words+bigrams → logistic "
        "regression, and the signal vector → gradient-boosted trees (NaN = missing HTML "
        "evidence), probabilities averaged with text weight 0.65",
        f"- features: {len(card.get('feature_names', []))} signals + text",
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
        "`qualityscore/model/spinner.py`.",
        "",
        "## Metrics",
        "",
    ]
    metrics = card.get("metrics", {})
    for section, values in metrics.items():
        lines.append(f"**{section}**: " + ", ".join(f"{k} {_fmt(v)}" for k, v in values.items()))
        lines.append("")
    if card.get("evaluation"):
        lines.append("**evaluation** (`qualityscore evaluate`): " + ", ".join(
            f"{k} {_fmt(v)}" for k, v in card["evaluation"].items() if not isinstance(v, dict)))
        lines.append("")
    th = card.get("thresholds", {})
    lines += [
        "## Decision thresholds",
        "",
        f"- reject when score < {th.get('reject_below')}; review when score < {th.get('review_below')}; otherwise ok",
        f"- how chosen: {th.get('how')}",
        "",
        "## Library versions",
        "",
        ", ".join(f"{k} {v}" for k, v in card.get("versions", {}).items()),
        "",
        "## Known limits",
        "",
        "- English only. Trained on Sondhi (2012-era health sites), NIH and Cochrane text, "
        "the project's 64 labeled pages and simulated spin; pages unlike all of these "
        "(forums, news, non-health) are out of scope and score unpredictably.",
        "- Spin evidence comes from a curated lexicon plus learned word statistics; a "
        "spinner whose substitutions are all ordinary health words is hard to see.",
        "- Link features exist only for HTML input; plain text is scored without them.",
        "",
    ]
    return "\n".join(lines)
