"""Per-rule cases (tests/advice_cases/<rule>.py), collected by one test function."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import tests.advice_cases as cases_pkg
from overfitdoc.advice import Context, advise, evaluate, rules
from tests.advice_cases import case_diagnosis

RULE_IDS = [r.id for r in rules()]


def _collect():
    out = []
    for info in sorted(pkgutil.iter_modules(cases_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{cases_pkg.__name__}.{info.name}")
        rule_id = info.name.replace("_", "-")
        for case in getattr(module, "CASES", ()):
            out.append(pytest.param(rule_id, case, id=f"{rule_id}: {case['name']}"))
    return out


CASES = _collect()


@pytest.mark.parametrize("rule_id, case", CASES)
def test_rule_case(rule_id, case):
    d = case_diagnosis(case["history"])
    ctx = Context.parse(case.get("context"))
    results = {r.rule.id: r for r in evaluate(d, ctx, strict=True)}
    res = results[rule_id]
    expect = case["expect"]
    assert res.status == {"fire": "fired", "silent": "silent", "skipped": "skipped"}[expect], (
        f"{rule_id} was {res.status} ({res.reason or (res.hit.evidence if res.hit else '')}); verdict {d.verdict}"
    )
    if expect == "skipped":
        assert case.get("reason", "") in res.reason
        return
    if expect != "fire":
        return
    hit = res.hit
    for text in case.get("evidence", ()):
        assert text in hit.evidence, f"{text!r} not in evidence: {hit.evidence}"
    for key, value in (case.get("params") or {}).items():
        assert hit.params.get(key) == pytest.approx(value), f"params[{key!r}] = {hit.params.get(key)!r}"
    assert case.get("score_min", 0.0) <= hit.score <= case.get("score_max", 1.0), hit.score
    if "hint" in case:
        assert hit.hint and case["hint"] in hit.hint, hit.hint
    ranked = advise(d, ctx, strict=True)
    entry = next(a for a in ranked if a.id == rule_id)
    if "rank" in case:
        assert entry.rank == case["rank"], [a.id for a in ranked]
    for fw, text in (case.get("fix_contains") or {}).items():
        assert text in entry.fix[fw], entry.fix


def test_every_rule_has_cases_that_fire_and_that_do_not():
    by_rule: dict[str, set] = {}
    for p in CASES:
        rule_id, case = p.values
        by_rule.setdefault(rule_id, set()).add(case["expect"])
    assert sorted(by_rule) == sorted(RULE_IDS), "a case file per rule, named after its id"
    for rule_id, kinds in by_rule.items():
        assert "fire" in kinds and kinds & {"silent", "skipped"}, rule_id


def test_class_weights_check_and_fix_were_measured_on_the_run_they_advise():
    """make_generated.py majority_class ran the rule's check (the classes predicted on the
    validation split) and its fix (the loss weighted by inverse class shares) on that run: it
    predicted one class, and the weighted model predicts both and finds most of the rare one."""
    import json
    from pathlib import Path

    ev = json.loads((Path(__file__).parent / "fixtures" / "generated" / "majority_class.test.json").read_text())
    assert ev["predicted_classes"][1] == 0 and sum(ev["predicted_classes"]) == 300
    assert min(ev["weighted_predicted_classes"]) > 0 and ev["weighted_rare_recall"] > 0.5
