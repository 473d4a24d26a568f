"""evaluation/after_retrain.py: which steps run, in which order, and that a failure stops
the run and says how to resume (no step is actually run here)."""

from __future__ import annotations

import re

import pytest
from qs_testkit import ROOT, evaluation_script


@pytest.fixture(scope="module")
def driver():  # type: ignore[no-untyped-def]
    return evaluation_script("after_retrain")


def names(steps) -> list[str]:  # type: ignore[no-untyped-def]
    return [n for n, _ in steps]


def test_the_card_is_evaluated_before_the_gate_reads_it_and_the_readme_is_checked_last(driver) -> None:  # type: ignore[no-untyped-def]
    order = names(driver.select(train=True, start=None, only=()))
    assert order[:2] == ["train", "evaluate"]
    assert order.index("evaluate") < order.index("gate")
    assert order[-1] == "readme"
    assert len(set(order)) == len(order)


def test_without_train_the_model_on_disk_is_measured(driver) -> None:  # type: ignore[no-untyped-def]
    assert "train" not in names(driver.select(train=False, start=None, only=()))
    assert names(driver.select(train=False, start="gate", only=()))[0] == "gate"
    assert names(driver.select(train=False, start="train", only=()))[0] == "train"
    assert names(driver.select(train=True, start=None, only=("readme", "gate"))) == ["gate", "readme"]
    with pytest.raises(ValueError, match="no step 'gatee'"):
        driver.select(train=False, start="gatee", only=())


def test_every_evaluation_script_it_names_exists_and_writes_a_committed_report(driver) -> None:  # type: ignore[no-untyped-def]
    reports = {p.stem for p in (ROOT / "evaluation" / "reports").glob("*.json")}
    for name, cmd in driver.STEPS:
        scripts = [c for c in cmd if c.startswith("evaluation/") and c.endswith(".py")]
        for s in scripts:
            assert (ROOT / s).is_file(), s
        if scripts:  # each script step's default report is one the repository carries
            assert name in reports, name


def test_a_failing_step_stops_the_run_and_says_how_to_resume(driver) -> None:  # type: ignore[no-untyped-def]
    ran: list[list[str]] = []
    said: list[str] = []

    def runner(cmd: list[str]) -> int:
        ran.append(cmd)
        return 1 if "--gate" in cmd else 0

    steps = driver.select(train=False, start="short_pages", only=())
    code, log = driver.run(steps, runner=runner, say=said.append)
    assert code == 1
    assert [r["step"] for r in log] == ["short_pages", "gate"]  # nothing after the gate ran
    assert len(ran) == 2 and log[-1]["exit_code"] == 1
    assert any(re.search(r"--from gate\b", s) for s in said)


def test_dry_run_prints_the_commands_and_runs_nothing(driver, capsys) -> None:  # type: ignore[no-untyped-def]
    assert driver.main(["--dry-run", "--only", "spin_heldout"]) == 0
    assert capsys.readouterr().out.strip().endswith("evaluation/spin_heldout.py --docs 200")
    assert driver.main(["--from", "nope"]) == 2
