"""Golden cases from ``cases/*.yaml``: rejected text, canonical text and ``check`` diagnostics.

A failing case prints the expression with a caret under the expected and the actual offset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from kpigov.expr import ExprError, check, parse, to_text

CASES = Path(__file__).parent / "cases"


def _load(name: str) -> Any:
    return YAML(typ="safe").load((CASES / name).read_text(encoding="utf-8"))


def _caret(text: str, offset: int, label: str) -> str:
    return f"  {text}\n  {' ' * offset}^ {label} (offset {offset})"


BAD = _load("bad.yaml")
GOOD = _load("good.yaml")
CHECK = _load("check.yaml")


def test_there_are_enough_golden_cases() -> None:
    assert len(BAD) >= 30
    assert len({case["code"] for case in BAD}) >= 10  # too-long and too-deep are built in test_expr_language.py


@pytest.mark.parametrize("case", BAD, ids=[case["text"] for case in BAD])
def test_bad_expression_is_rejected_at_the_right_place(case: dict[str, Any]) -> None:
    text = case["text"]
    with pytest.raises(ExprError) as raised:
        parse(text)
    error = raised.value
    where = "\n".join([_caret(text, case["offset"], "expected"), _caret(text, error.offset, f"got: {error.message}")])
    assert (error.code, error.offset) == (case["code"], case["offset"]), f"\n{where}"
    assert error.message


@pytest.mark.parametrize("case", GOOD, ids=[case["text"] for case in GOOD])
def test_good_expression_has_canonical_text(case: dict[str, Any]) -> None:
    canonical = to_text(parse(case["text"]))
    assert canonical == case["canonical"]
    assert to_text(parse(canonical)) == canonical


@pytest.mark.parametrize("case", CHECK["cases"], ids=[case["text"] for case in CHECK["cases"]])
def test_check_reports_every_problem(case: dict[str, Any]) -> None:
    errors = check(parse(case["text"]), CHECK["allowed"], expect=case.get("expect"))
    actual = [{"code": str(e.code), "offset": e.offset, "message": e.message} for e in errors]
    assert actual == case["errors"], "\n".join(_caret(case["text"], e.offset, e.message) for e in errors)
