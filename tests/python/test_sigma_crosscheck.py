"""The independent Sigma engine (sigma_crosscheck.py) checked on its own: hand-written events
whose expected matches are known, for the semantics the Rust cross-check relies on (absent
fields and nulls, lists, letter case, modifiers)."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import sigma_crosscheck  # noqa: E402

RULES = pathlib.Path(__file__).resolve().parents[2] / "rules"


def test_the_cross_check_engine_passes_its_own_cases():
    assert sigma_crosscheck.self_test([str(RULES)]) == 0
