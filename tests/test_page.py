"""The JSON contract of Result.to_dict (schema_version 1)."""

from __future__ import annotations

import json
import math

from qualityscore.page import SCHEMA_VERSION, ErrorInfo, Finding, Result

CONTRACT_KEYS = {
    "schema_version", "source", "score", "probability_low_quality", "decision",
    "signals", "findings", "error",
}
FINDING_KEYS = {"family", "rule", "start", "end", "text", "suggestion", "weight"}


def test_scored_result_contract() -> None:
    f = Finding("spin", "spin.broken_term", 4, 16, "blood strain", 1.0, "blood pressure")
    r = Result(
        source="a.txt", score=12.34, probability_low_quality=0.8766, decision="reject",
        signals={"spin.broken_terms_per_100w": 2.0, "promotion.links_per_100w": math.nan},
        findings=(f,),
    )
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert CONTRACT_KEYS <= d.keys()
    assert d["schema_version"] == SCHEMA_VERSION == 1
    assert d["decision"] == "reject" and d["error"] is None
    assert 0 <= d["score"] <= 100 and 0 <= d["probability_low_quality"] <= 1
    # Missing evidence is null in JSON, never 0 and never NaN.
    assert d["signals"]["promotion.links_per_100w"] is None
    assert set(d["findings"][0]) == FINDING_KEYS
    assert d["findings"][0]["suggestion"] == "blood pressure"


def test_error_result_is_never_a_clean_page() -> None:
    r = Result(source="gone.txt", error=ErrorInfo("input.not_found", "no such file: gone.txt"))
    d = r.to_dict()
    assert d["error"] == {"type": "input.not_found", "message": "no such file: gone.txt"}
    assert d["score"] is None and d["decision"] is None
    assert not r.ok


def test_reasons_one_per_rule_heaviest_first() -> None:
    fs = (
        Finding("promotion", "promotion.call_to_action", 0, 5, "Order", 1.0),
        Finding("promotion", "promotion.call_to_action", 10, 15, "Order", 1.0),
        Finding("spin", "spin.broken_term", 20, 30, "x" * 10, 1.2),
        Finding("credibility", "credibility.disclaimer", 40, 50, "y" * 10, -0.5),
    )
    rules = [f.rule for f in Result(source="s", findings=fs).reasons(limit=3)]
    assert rules == ["spin.broken_term", "promotion.call_to_action", "credibility.disclaimer"]


def test_reasons_follow_the_decision() -> None:
    """A flagged page is explained by evidence against it; an ok page by the signals'
    evidence against it if any, else by evidence for it. The word model's low-quality
    terms never explain an ok page (every page has some)."""
    fs = (
        Finding("words", "words.low_quality_term", 0, 2, "my", 0.66),
        Finding("words", "words.high_quality_term", 5, 9, "type", -0.11),
        Finding("credibility", "credibility.disclaimer", 40, 50, "y" * 10, -0.5),
    )
    def rules(decision: str, findings: tuple[Finding, ...] = fs) -> list[str]:
        return [f.rule for f in Result(source="s", decision=decision, findings=findings).reasons(limit=3)]

    assert rules("reject") == ["words.low_quality_term"]
    assert rules("review") == ["words.low_quality_term"]
    assert rules("ok") == ["credibility.disclaimer", "words.high_quality_term"]
    cta = Finding("promotion", "promotion.call_to_action", 20, 25, "Order", 1.0)
    assert rules("ok", (*fs, cta)) == ["promotion.call_to_action"]
    assert rules("reject", fs[1:]) == ["credibility.disclaimer", "words.high_quality_term"]
    assert rules("ok", ()) == []


def test_result_repr_is_one_line_with_the_verdict_not_every_signal() -> None:
    from qualityscore.page import ErrorInfo, Finding, Result

    f = Finding("promotion", "promotion.call_to_action", 0, 9, "Order now", weight=1.0)
    r = Result(source="p.txt", score=12.34, decision="reject", findings=(f,),
               signals={f"s.{i}": float(i) for i in range(60)})
    text = repr(r)
    assert text == ("Result(source='p.txt', score=12.3, decision='reject', findings=1, "
                    "reasons=[promotion.call_to_action 'Order now'])")
    err = Result(source="x", error=ErrorInfo("input.empty", "nothing to read"))
    assert repr(err) == "Result(source='x', error='input.empty', message='nothing to read')"


def test_a_page_signal_reason_shows_the_signals_value_not_a_quote() -> None:
    """``signals.<signal>`` findings have no span: the table shows the signal's value."""
    from qualityscore.report import explain

    fs = (Finding("signals", "signals.spin.pair_fluency", 0, 0, "", 0.41),
          Finding("spin", "spin.unlikely_word", 3, 9, "ticker", 0.9, "heart"))
    r = Result(source="s", score=4.0, decision="reject", findings=fs,
               signals={"spin.pair_fluency": 0.2468, "spin.tagger_mean": 0.1})
    assert explain(r) == ['spin.unlikely_word "ticker" → heart', "signals.spin.pair_fluency = 0.247"]
    missing = Result(source="s", score=4.0, decision="reject", findings=fs[:1],
                     signals={"spin.pair_fluency": float("nan")})
    assert explain(missing) == ["signals.spin.pair_fluency"]
    assert json.loads(json.dumps(r.to_dict()))["findings"][0]["text"] == ""
