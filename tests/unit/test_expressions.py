"""The restricted evaluator for gateway conditions and timer values: what it computes, what it refuses."""
import re
import tracemalloc
from pathlib import Path

import pytest

from app.services.engine.expressions import ExpressionError, check_expression, evaluate

BPMN = Path(__file__).resolve().parents[2] / "processes" / "dispute_mediation.bpmn"
DATA = {"tier": 2, "result": "agreement", "names": ["张三", "李四"], "case": {"tier": 3, "tags": ["noise"]}}


@pytest.mark.parametrize("source, expected", [
    ("tier == 2", True),
    ("tier != 2", False),
    ("1 < tier <= 3", True),
    ("3 < tier < 1", False),
    ("result is not None", True),
    ("tier > 1 and result == 'agreement'", True),
    ("tier > 5 or result == 'unresolved'", False),
    ("not tier", False),
    ("0 or 'fallback'", "fallback"),
    ("tier * 3 + 1 - 2 / 2", 6.0),
    ("7 // 2 + 7 % 2 + 2 ** 3 + -tier", 10),
    ("'李四' in names", True),
    ("'王五' not in names", True),
    ("'noise' in case['tags']", True),
    ("case['tier']", 3),
    ("names[-1]", "李四"),
    ("{'a': 1}['a'] + [10, 20][1] + (1, 2)[0]", 22),
    ("2 in {1, 2}", True),
    ("'high' if tier >= 2 else 'low'", "high"),
    ("len(names) + abs(-1) + min(4, tier) + max([1, 5])", 10),
    ("round(2.567, 1) == 2.6 and int('7') == 7 and float(1) == 1.0", True),
    ("str(tier) + '级'", "2级"),
    ("bool(0) == False and true and not false", True),
    ('"PT72H"', "PT72H"),
])
def test_evaluates_allowed_expressions(source, expected):
    assert evaluate(source, DATA) == expected


def test_and_or_short_circuit_before_undefined_names():
    assert evaluate("tier == 1 and missing > 0", DATA) is False
    assert evaluate("tier == 2 or missing > 0", DATA) is True
    assert evaluate("'a' if tier == 2 else missing", DATA) == "a"
    with pytest.raises(ExpressionError, match="missing"):
        evaluate("tier == 2 and missing > 0", DATA)


def test_every_condition_of_the_mediation_process_is_accepted():
    conditions = set(re.findall(r"<bpmn:conditionExpression[^>]*>([^<]+)<", BPMN.read_text(encoding="utf-8")))
    assert "result == 'agreement' and judicial_confirmation == True" in conditions
    for condition in conditions:
        check_expression(condition)


@pytest.mark.parametrize("source, data, expected", [
    ("result == 'agreement' and judicial_confirmation == True",
     {"result": "agreement", "judicial_confirmation": True}, True),
    ("result == 'agreement' and judicial_confirmation == True",
     {"result": "agreement", "judicial_confirmation": False}, False),
    ("result == 'agreement' and judicial_confirmation == True", {"result": "taken_over"}, False),
    ("violence_risk == True", {"violence_risk": True}, True),
    ("violence_risk == True", {"violence_risk": False}, False),
    ("tier == 3", {"tier": 3}, True),
    ("tier == 3", {"tier": 1}, False),
    ("result == 'continue'", {"result": "continue"}, True),
    ("result == 'taken_over'", {"result": "returned_to_mediation"}, False),
])
def test_mediation_gateway_conditions(source, data, expected):
    assert evaluate(source, data) is expected


# Refused by the check alone, before anything is evaluated.
STATIC_REFUSALS = [
    "__import__('os').system('true')",
    "().__class__.__base__.__subclasses__()",
    "x.__class__",
    "x.upper()",
    "names.append",
    "_secret",
    "__builtins__",
    "lambda: 1",
    "(lambda: 1)()",
    "[n for n in names]",
    "{n: 1 for n in names}",
    "any(n for n in names)",
    "max(names, key=len)",
    "int('7', base=10)",
    "open('/etc/passwd')",
    "eval('1')",
    "getattr(x, 'upper')",
    "type(x)",
    "x(1)",
    "len(*names)",
    "[*names]",
    "names[0:1]",
    "f'{x}'",
    "(y := 1)",
    "1 +",
    "tier ==",
    "x = 1",
    "import os",
    "1 + " * 1249 + "1000",  # 5,000 characters
    "x" * 5000,
    "",
    None,
]


@pytest.mark.parametrize("source", STATIC_REFUSALS)
def test_check_refuses(source):
    with pytest.raises(ExpressionError):
        check_expression(source)


@pytest.mark.parametrize("source", STATIC_REFUSALS)
def test_evaluate_refuses(source):
    with pytest.raises(ExpressionError):
        evaluate(source, {"x": "text", "names": ["a"], "_secret": 1})


@pytest.mark.parametrize("source", [
    "10**10**10",
    "2 ** 65",
    "'a' * 10**9",
    "10**9 * 'a'",
    "[0] * 10**9",
    "(0,) * 10**9",
    "[0] * 10000 + [0]",
    "10**20 * 10**20",
    "{**d}",
    "missing",
    "missing == 1",
    "names[5]",
    "d['absent']",
    "tier['x']",
    "1 / 0",
    "'a' + 1",
    "int('x')",
])
def test_evaluate_refuses_at_run_time(source):
    with pytest.raises(ExpressionError):
        evaluate(source, {"names": ["a"], "d": {}, "tier": 2})


@pytest.mark.parametrize("template", [
    "__import__('os').system('touch {path}')",
    "open('{path}', 'w')",
    "eval(\"open('{path}', 'w')\")",
    "getattr(__builtins__, 'open')('{path}', 'w')",
    "type(x).__subclasses__() and open('{path}', 'w')",
])
def test_refused_expression_has_no_side_effect(tmp_path, template):
    target = tmp_path / "pwned"
    with pytest.raises(ExpressionError):
        evaluate(template.format(path=target), {"x": 1})
    assert not target.exists()


def test_refused_name_in_data_is_still_refused():
    with pytest.raises(ExpressionError, match="_secret"):
        evaluate("_secret == 1", {"_secret": 1})


def test_check_refuses_dict_unpacking():
    with pytest.raises(ExpressionError):
        check_expression("{**d}")


@pytest.mark.parametrize("source", ["'%020000000d' % 0", "str([[0] * 1000] * 1000)"])
def test_large_results_are_refused_before_they_are_built(source):
    tracemalloc.start()
    try:
        with pytest.raises(ExpressionError):
            evaluate(source, {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
