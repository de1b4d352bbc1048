"""Self-checks for learners: a clear PASS or FAIL line, with a hint when it fails."""


class CheckResult:
    """Whether a check passed: true or false like a bool, but a cell ending in `check(...)` shows only the
    printed PASS/FAIL line, not a stray `True` output under it (IPython calls `_ipython_display_`)."""

    __slots__ = ("passed",)

    def __init__(self, passed: bool):
        self.passed = bool(passed)

    def __bool__(self) -> bool:
        return self.passed

    def __eq__(self, other) -> bool:
        return self.passed == other

    def __hash__(self) -> int:
        return hash(self.passed)

    def __repr__(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def _ipython_display_(self) -> None:
        pass  # the PASS/FAIL line is already printed


def check(name: str, passed: bool, hint: str = "") -> CheckResult:
    """Print `PASS: name` or `FAIL: name -- hint` and return whether it passed (true or false).

    Self-checks never raise, so a notebook keeps running and the learner sees every result.
    """
    if passed:
        print(f"PASS: {name}")
    else:
        print(f"FAIL: {name}" + (f" -- hint: {hint}" if hint else ""))
    return CheckResult(passed)


def check_close(name: str, actual: float, expected: float, tol: float, hint: str = "") -> CheckResult:
    """PASS when |actual - expected| <= tol; the message shows both numbers."""
    ok = abs(float(actual) - float(expected)) <= tol
    detail = f"got {float(actual):.4g}, expected {float(expected):.4g} +/- {tol:g}"
    return check(f"{name} ({detail})", ok, hint)
