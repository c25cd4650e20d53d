"""The OCSF checker (ocsf_check.py) checked on its own: a Detection Finding written by hand from
OCSF 1.5 passes, and each kind of fault (an attribute OCSF does not define, a coerced type, a
wrong severity, class, type or tactic) is reported."""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))

import ocsf_check  # noqa: E402


def test_the_ocsf_checker_passes_its_own_cases():
    assert ocsf_check.self_test() == 0
