"""Pages not in English are input.unsupported_language errors, never clean scores.

Every paragraph here is written by this project (health leaflets in six languages, an
English keyword-stuffed spam page, an English list of resources, English prose).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qualityscore import Scorer
from qualityscore.errors import InputError
from qualityscore.language import check_english, english_evidence
from qualityscore.settings import DEFAULT_SETTINGS, Settings

FOREIGN = {
    "es": "La diabetes es una enfermedad en la que los niveles de glucosa en la sangre están muy altos. "
          "La insulina es una hormona que ayuda a que la glucosa entre a las células. Con la diabetes "
          "tipo 2, el cuerpo no usa la insulina adecuadamente. Con el tiempo, el exceso de glucosa "
          "puede dañar los ojos, los riñones y los nervios. Consulte a su médico si tiene síntomas.",
    "fr": "Le diabète est une maladie chronique qui se caractérise par un excès de sucre dans le sang. "
          "Dans le diabète de type 1, le pancréas ne produit plus d'insuline. Une alimentation "
          "équilibrée et une activité physique régulière aident à contrôler la glycémie. Parlez-en "
          "à votre médecin si vous avez soif souvent.",
    "de": "Bluthochdruck ist eine häufige Erkrankung, bei der der Druck in den Blutgefäßen dauerhaft "
          "erhöht ist. Viele Menschen bemerken lange Zeit keine Beschwerden. Eine gesunde Ernährung, "
          "regelmäßige Bewegung und weniger Salz helfen, den Blutdruck zu senken. Sprechen Sie mit "
          "Ihrer Ärztin oder Ihrem Arzt über eine Behandlung.",
    "it": "L'ipertensione arteriosa è una condizione in cui la pressione del sangue nelle arterie è "
          "costantemente elevata. Spesso non provoca sintomi per molti anni, ma può danneggiare il "
          "cuore, i reni e il cervello. Ridurre il sale e fare attività fisica sono misure importanti.",
    "pt": "A depressão é uma doença comum que afeta o humor, o sono e o apetite. As pessoas com "
          "depressão podem perder o interesse pelas atividades do dia a dia. O tratamento costuma "
          "combinar psicoterapia e medicamentos. Procure um profissional de saúde.",
    "ru": "Высокое давление часто протекает без симптомов, но со временем может повредить сердце, "
          "почки и мозг. Меньше соли, больше движения и отказ от курения помогают снизить давление. "
          "Регулярно измеряйте давление и обсудите лечение с врачом. " * 2,
}
KEYWORD_SPAM = (
    "cheap pills online pharmacy buy generic discount pills best price natural cure diabetes "
    "herbal remedy weight loss pills fast results guaranteed free shipping worldwide order now "
    "cheap meds online discount drugs no prescription needed buy online cheap"
)
RESOURCE_LIST = (
    "Resources on the diagnosis and management of asthma: - City Hospital: Asthma Clinic - "
    "Genetic Testing Registry: Familial asthma - Genetic Testing Registry: Childhood asthma, type 2 - "
    "Lung Foundation: Inhaler Technique - Allergy Society: Asthma Action Plan - Patient Handbook: "
    "Chronic Obstructive Pulmonary Disease - Pediatric Society: Asthma in Children - Registry: "
    "Occupational asthma - Clinical Review: Severe Asthma Management"
)
ENGLISH = (
    "High blood pressure rarely causes symptoms, so it is worth having it checked once a year. "
    "Eating less salt, moving more and not smoking all help to lower it. If your readings stay "
    "high, talk to your doctor about the options, including medicines and their side effects."
)


@pytest.mark.parametrize("lang", sorted(FOREIGN))
def test_foreign_pages_are_refused_with_the_evidence(lang: str) -> None:
    with pytest.raises(InputError) as exc:
        check_english(FOREIGN[lang], DEFAULT_SETTINGS)
    assert exc.value.type == "input.unsupported_language"
    assert "does not read as English" in exc.value.message
    assert "--any-language" in exc.value.message
    if lang in ("es", "fr", "it", "pt"):  # Latin-script languages are named
        assert f"'{lang}'" in exc.value.message


@pytest.mark.parametrize("text", [ENGLISH, KEYWORD_SPAM, RESOURCE_LIST], ids=["prose", "keyword-spam", "resource-list"])
def test_english_pages_pass_even_without_function_words(text: str) -> None:
    check_english(text, DEFAULT_SETTINGS)  # no exception
    ev = english_evidence(text, DEFAULT_SETTINGS)
    if text is not ENGLISH:
        # These have (almost) no function words: the vocabulary is what keeps them English.
        assert ev.function_share < DEFAULT_SETTINGS.english_function_share
        assert ev.english_share is not None and ev.english_share >= 0.6


def test_short_texts_are_judged_by_their_alphabet_only() -> None:
    """Under ``language_check_min_words`` words there is too little to weigh vocabularies
    (a Spanish snippet is scored), not too little to see that a snippet is written in
    another alphabet. Binary bytes behind a UTF-16 byte-order mark decode to a few CJK
    characters: refused as not English, never scored ``review``."""
    from qualityscore.extract.sources import decode_bytes

    check_english("Diabetes tipo 2: síntomas y tratamiento.", DEFAULT_SETTINGS)
    check_english("Take 5 mg of β-carotene with meals.", DEFAULT_SETTINGS)  # a Greek letter
    check_english("Ask about 二甲双胍 (metformin) at the clinic.", DEFAULT_SETTINGS)  # one word of six
    check_english("Метформин (metformin) при диабете", DEFAULT_SETTINGS)  # one Latin word is enough
    check_english("Cheap Viаgra", DEFAULT_SETTINGS)  # a Cyrillic "а" in an English word
    garbage = decode_bytes(b"\xff\xfe\x12\x4e\x99\x8a\x33\x55\x77\x66")
    for text in ("Сахарный диабет: симптомы и лечение.", "糖尿病的症状和治疗", garbage):
        with pytest.raises(InputError) as exc:
            check_english(text, DEFAULT_SETTINGS)
        assert exc.value.type == "input.unsupported_language"


def test_the_check_can_be_turned_off() -> None:
    check_english(FOREIGN["es"], Settings(language_check=False))


def test_scorer_entry_points_refuse_and_never_score(scorer: Scorer) -> None:
    with pytest.raises(InputError):
        scorer.score(FOREIGN["fr"])
    rows = list(scorer.score_many([ENGLISH, FOREIGN["de"], KEYWORD_SPAM]))
    assert [r.error.type if r.error else None for r in rows] == [None, "input.unsupported_language", None]
    assert rows[1].score is None and rows[1].decision is None
    assert rows[2].decision in {"review", "reject"}, "keyword spam is scored, and caught"
    isolated = scorer.score_pages_isolated([scorer._page(t, url=None, source=k) for k, t in FOREIGN.items()])
    assert all(r.error and r.error.type == "input.unsupported_language" for r in isolated)
    anyway = Scorer(scorer.bundle, Settings(language_check=False)).score(FOREIGN["es"])
    assert anyway.error is None and anyway.decision in {"ok", "review", "reject"}


def test_cli_reports_the_error_and_scores_with_any_language(tmp_path: Path) -> None:
    page = tmp_path / "pagina.txt"
    page.write_text(FOREIGN["es"], "utf-8")
    cmd = [sys.executable, "-c", "from qualityscore.cli import main; main()", "score", "--format", "json", str(page)]
    refused = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2, refused.stderr
    row = json.loads(refused.stdout)
    assert row["error"]["type"] == "input.unsupported_language" and row["score"] is None
    scored = subprocess.run([*cmd, "--any-language"], capture_output=True, text=True, timeout=120)
    assert scored.returncode == 0, scored.stderr
    assert json.loads(scored.stdout)["error"] is None
