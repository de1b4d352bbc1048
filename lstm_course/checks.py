"""Self-checks for learners: a clear PASS or FAIL line, with a hint when it fails."""


def check(name: str, passed: bool, hint: str = "") -> bool:
    """Print `PASS: name` or `FAIL: name -- hint` and return whether it passed.

    Self-checks never raise, so a notebook keeps running and the learner sees every result.
    """
    if passed:
        print(f"PASS: {name}")
    else:
        print(f"FAIL: {name}" + (f" -- hint: {hint}" if hint else ""))
    return bool(passed)


def check_close(name: str, actual: float, expected: float, tol: float, hint: str = "") -> bool:
    """PASS when |actual - expected| <= tol; the message shows both numbers."""
    ok = abs(float(actual) - float(expected)) <= tol
    detail = f"got {float(actual):.4g}, expected {float(expected):.4g} +/- {tol:g}"
    return check(f"{name} ({detail})", ok, hint)
