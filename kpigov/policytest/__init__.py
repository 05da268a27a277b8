"""Policy tests (``kpigov test``): ``*_test.yaml`` files that pin what the governance answers.

:func:`load_suites` finds and validates the test files (static, located diagnostics);
:class:`PolicyTestRunner` answers each case with the production code paths and reports
:class:`CaseResult`s. The file format is documented in ``docs/policy-tests.md``.
"""

from kpigov.policytest.load import LocatedCase, Suite, load_suites, parse_suite
from kpigov.policytest.model import CASE_MODELS, PolicyTest
from kpigov.policytest.run import CaseResult, PolicyTestRunner

__all__ = ["CASE_MODELS", "CaseResult", "LocatedCase", "PolicyTest", "PolicyTestRunner", "Suite", "load_suites",
           "parse_suite"]
