"""Declarative test expectations: written once, checked in the learner's notebook and by the grader.

A test cell in `solutions/` holds only calls such as::

    expect("pre_pad([[2, 3]], 4)", equals=[[0, 0, 2, 3]], hint="zeros go on the left")

(see docs/test_authoring.md). The three halves of this module:

* **probe** (runs where the student's code runs): evaluate an expression and encode its value as
  plain, size-limited JSON (`probe_json`). A probe never sees an expected value, a tolerance or a hint.
* **compare** (pure, no NumPy; the grader runs it outside the student's process): decide whether a
  decoded value meets a spec and choose the hint (`compare`, `decode`).
* **authoring**: `make_spec` validates one expectation's arguments, `parse_test_cell` reads a whole
  test cell with `ast` (literal arguments only) and `expect` is what the learner's notebook runs: it
  probes, round-trips through the same JSON and compares, so learners and grader agree exactly.
"""
from __future__ import annotations

import ast
import json
import math
import sys

MATCHERS = ("equals", "close", "between", "raises")
OPTIONS = ("atol", "rtol", "message_has", "hint", "mistakes")
DEFAULT_ATOL = 1e-6
DEFAULT_RTOL = 0.0
MAX_PROBE_BYTES = 1_000_000  # encoded JSON per probe; a larger value is reported, not sent
MAX_DEPTH = 64
MAX_MESSAGE_CHARS = 2000  # of an exception message
IMPORT_LINE = "from lstm_course.expectations import expect"
BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
FIXTURES_MODULE = "lstm_course.probe_fixtures"

# Tags of the JSON encoding: every non-plain value is a one-key object whose key starts with "__".
TAG_FLOAT = "__float__"        # "nan", "inf", "-inf"
TAG_DICT = "__dict__"          # [[key, value], ...]
TAG_RAISED = "__raised__"      # {"types": [MRO names], "message": str}
TAG_TYPE = "__type__"          # "module.QualName" of a value that has no plain form
TAG_TOO_LARGE = "__too_large__"  # {"limit": bytes}
TAGS = (TAG_FLOAT, TAG_DICT, TAG_RAISED, TAG_TYPE, TAG_TOO_LARGE)


class AuthoringError(ValueError):
    """A test cell or an `expect(...)` call that does not follow docs/test_authoring.md."""


class ProbeDataError(ValueError):
    """Probe data that is not a valid encoding (the grader treats it as a failed test)."""


# ---------------------------------------------------------------------------------------------
# Values as the grader sees them
# ---------------------------------------------------------------------------------------------
class Raised:
    """The expression raised: the exception's class names (its MRO) and its message."""

    def __init__(self, types, message):
        self.types = [str(t) for t in types]
        self.message = str(message)

    @property
    def name(self) -> str:
        return self.types[0] if self.types else "Exception"

    def __repr__(self):
        return f"Raised({self.name}: {self.message!r})"


class Opaque:
    """A value with no plain-data form (a module, a function, a model object ...): only its type."""

    def __init__(self, type_name, too_large=False):
        self.type_name = str(type_name)
        self.too_large = too_large

    def __repr__(self):
        return f"Opaque({self.type_name})"


# ---------------------------------------------------------------------------------------------
# Probe: value -> JSON (runs in the student's process; its output is data, never a verdict)
# ---------------------------------------------------------------------------------------------
class _TooLarge(Exception):
    pass


def _type_name(value) -> str:
    kind = type(value)
    return f"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', kind.__name__)}"


def _encode_float(number: float):
    if math.isnan(number):
        return {TAG_FLOAT: "nan"}
    if math.isinf(number):
        return {TAG_FLOAT: "inf" if number > 0 else "-inf"}
    return number


def _raised(error: BaseException) -> dict:
    try:
        message = str(error)
    except Exception:  # noqa: BLE001 - a broken __str__ is the student's, the probe must answer
        message = "<the exception's message could not be read>"
    types = [getattr(kind, "__name__", "?") for kind in type(error).__mro__]
    return {TAG_RAISED: {"types": types, "message": message[:MAX_MESSAGE_CHARS]}}


def encode(value, limit: int = MAX_PROBE_BYTES):
    """`value` as JSON-ready plain data (see the TAG_* constants); raises _TooLarge past `limit`."""
    budget = [limit]

    def spend(n):
        budget[0] -= n
        if budget[0] < 0:
            raise _TooLarge

    def walk(item, depth):
        if depth > MAX_DEPTH:
            raise _TooLarge
        if item is None or isinstance(item, bool):
            spend(5)
            return None if item is None else bool(item)
        if isinstance(item, int):
            number = int.__index__(item)
            spend(len(str(number)) if abs(number) < 10**50 else 60)
            return number
        if isinstance(item, float):
            spend(24)
            return _encode_float(float.__float__(item))
        if isinstance(item, str):
            text = str.__str__(item)
            spend(len(text) + 2)
            return text
        if isinstance(item, BaseException):
            return walk_raised(item)
        if isinstance(item, (list, tuple)):
            spend(2)
            return [walk(element, depth + 1) for element in item]
        if isinstance(item, dict):
            spend(2)
            return {TAG_DICT: [[walk(key, depth + 1), walk(val, depth + 1)] for key, val in item.items()]}
        module = getattr(type(item), "__module__", "") or ""
        if module.startswith("numpy"):
            return walk_numpy(item, depth)
        if module.startswith("tensorflow") and hasattr(item, "numpy"):
            return walk(item.numpy(), depth + 1)
        if isinstance(item, (set, frozenset)):
            spend(2)
            elements = [walk(element, depth + 1) for element in item]
            return sorted(elements, key=lambda e: json.dumps(e, sort_keys=True))
        spend(len(_type_name(item)) + 16)
        return {TAG_TYPE: _type_name(item)}

    def walk_raised(error):
        encoded = _raised(error)
        spend(len(encoded[TAG_RAISED]["message"]) + 64)
        return encoded

    def walk_numpy(item, depth):
        if hasattr(item, "shape") and hasattr(item, "dtype") and getattr(item, "ndim", 0) > 0:
            kind = item.dtype.kind
            spend(int(item.size) * (2 if kind == "b" else 4))  # a lower bound, checked before tolist
            if kind in "biuf":
                return walk(item.tolist(), depth + 1)
            if kind in "USO":
                return walk(item.tolist(), depth + 1)
            return {TAG_TYPE: f"numpy.ndarray[{item.dtype}]"}
        if hasattr(item, "item") and getattr(item, "dtype", None) is not None:
            kind = item.dtype.kind
            if kind in "biufUSO":
                return walk(item.item(), depth + 1)
        spend(len(_type_name(item)) + 16)
        return {TAG_TYPE: _type_name(item)}

    return walk(value, 0)


def encode_json(value, limit: int = MAX_PROBE_BYTES) -> str:
    """The JSON text of `encode(value)`; a too-large value becomes a TAG_TOO_LARGE marker."""
    try:
        text = json.dumps(encode(value, limit), allow_nan=False, separators=(",", ":"))
    except _TooLarge:
        return json.dumps({TAG_TOO_LARGE: {"limit": limit}})
    except Exception as error:  # noqa: BLE001 - e.g. a __index__ that raises: report, don't crash
        return json.dumps(_raised(error))
    if len(text) > limit:
        return json.dumps({TAG_TOO_LARGE: {"limit": limit}})
    return text


def probe_namespace(user_ns: dict) -> dict:
    """Globals for a probe: the notebook's names, then `np` and the probe fixtures (they win)."""
    namespace = dict(user_ns)
    import numpy  # noqa: PLC0415 - probes may use np; numpy is a course dependency

    namespace["np"] = numpy
    try:
        import importlib  # noqa: PLC0415

        fixtures = importlib.import_module(FIXTURES_MODULE)
        for name in getattr(fixtures, "__all__", []):
            namespace[name] = getattr(fixtures, name)
    except ImportError:
        pass
    return namespace


def evaluate(expression: str, user_ns: dict):
    """Evaluate `expression` in the probe namespace; an exception is returned, not raised."""
    code = compile(expression, "<expectation>", "eval")
    try:
        return eval(code, probe_namespace(user_ns))  # noqa: S307 - the expression is the test's
    except Exception as error:  # noqa: BLE001 - a raised exception is the probed value
        return error


def _user_namespace() -> dict:
    try:
        from IPython import get_ipython  # noqa: PLC0415

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None:
        return shell.user_ns
    return sys._getframe(2).f_globals  # plain Python: the caller of expect()


def probe_json(expression: str, limit: int = MAX_PROBE_BYTES) -> str:
    """Kernel side of a grading probe: evaluate in the notebook's namespace, return JSON text."""
    return encode_json(evaluate(expression, _user_namespace()), limit)


# ---------------------------------------------------------------------------------------------
# Decode (grader side): strict, JSON -> plain values, Raised, Opaque
# ---------------------------------------------------------------------------------------------
def decode(data, depth: int = 0):
    """Plain data from parsed probe JSON; anything malformed raises ProbeDataError."""
    if depth > MAX_DEPTH + 2:
        raise ProbeDataError("nested too deeply")
    if data is None or isinstance(data, (bool, int, str)):
        return data
    if isinstance(data, float):
        if math.isnan(data) or math.isinf(data):
            raise ProbeDataError("non-finite number outside its tag")
        return data
    if isinstance(data, list):
        return [decode(item, depth + 1) for item in data]
    if isinstance(data, dict) and len(data) == 1:
        (tag, body), = data.items()
        if tag == TAG_FLOAT and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == TAG_DICT and isinstance(body, list):
            result = {}
            for pair in body:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise ProbeDataError("a dict entry is not a [key, value] pair")
                key = _hashable(decode(pair[0], depth + 1))
                result[key] = decode(pair[1], depth + 1)
            return result
        if tag == TAG_RAISED and isinstance(body, dict):
            types, message = body.get("types"), body.get("message")
            if isinstance(types, list) and all(isinstance(t, str) for t in types) and isinstance(message, str):
                return Raised(types, message)
        if tag == TAG_TYPE and isinstance(body, str):
            return Opaque(body)
        if tag == TAG_TOO_LARGE:
            return Opaque("value too large to send", too_large=True)
    raise ProbeDataError(f"not a valid probe encoding: {str(data)[:80]}")


def decode_json(text: str, limit: int = MAX_PROBE_BYTES + 1024):
    if not isinstance(text, str) or len(text) > limit:
        raise ProbeDataError("probe reply missing or too large")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise ProbeDataError(f"probe reply is not JSON: {error}") from None
    return decode(data)


def _hashable(value):
    if isinstance(value, list):
        return tuple(_hashable(item) for item in value)
    if isinstance(value, dict):
        # keys as they are (already hashable), ordered by repr only for sorting: storing repr(k)
        # nested the escaping, which doubled at every level (a 500-byte forged reply, 8 MB)
        items = [(k, _hashable(v)) for k, v in value.items()]
        return tuple(sorted(items, key=lambda item: (type(item[0]).__name__, repr(item[0]))))
    if isinstance(value, (Raised, Opaque)):
        return repr(value)
    return value


# ---------------------------------------------------------------------------------------------
# Specs: one validated expectation
# ---------------------------------------------------------------------------------------------
def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def make_spec(expression, **arguments) -> dict:
    """Validate one expectation's arguments and return its spec (a plain dict). AuthoringError if bad."""
    if not isinstance(expression, str) or not expression.strip():
        raise AuthoringError("the first argument of expect() must be a non-empty string: the expression to probe")
    try:
        compile(expression, "<expectation>", "eval")
    except SyntaxError as error:
        raise AuthoringError(f"expect({expression!r}): not a Python expression ({error.msg})") from None
    unknown = sorted(set(arguments) - set(MATCHERS) - set(OPTIONS))
    if unknown:
        raise AuthoringError(f"expect({expression!r}): unknown argument(s) {', '.join(unknown)}; "
                             f"use one of {', '.join(MATCHERS)} and {', '.join(OPTIONS)}")
    matchers = [name for name in MATCHERS if name in arguments]
    if len(matchers) != 1:
        raise AuthoringError(f"expect({expression!r}): give exactly one of {', '.join(MATCHERS)} "
                             f"(got {', '.join(matchers) or 'none'})")
    matcher = matchers[0]
    expected = arguments[matcher]
    hint = arguments.get("hint")
    if not isinstance(hint, str) or not hint.strip():
        raise AuthoringError(f"expect({expression!r}): hint= is required: a sentence that names the concept")
    spec = {"expression": expression, "matcher": matcher, "expected": expected, "hint": hint,
            "mistakes": []}
    if matcher == "close":
        spec["atol"] = arguments.get("atol", DEFAULT_ATOL)
        spec["rtol"] = arguments.get("rtol", DEFAULT_RTOL)
        for name in ("atol", "rtol"):
            if not _is_number(spec[name]) or not spec[name] >= 0:
                raise AuthoringError(f"expect({expression!r}): {name} must be a number >= 0")
        if not _numbers_only(expected):
            raise AuthoringError(f"expect({expression!r}): close= needs numbers (nested lists of numbers)")
    elif "atol" in arguments or "rtol" in arguments:
        raise AuthoringError(f"expect({expression!r}): atol/rtol apply to close= only")
    if matcher == "between":
        if not (isinstance(expected, (list, tuple)) and len(expected) == 2 and all(map(_is_number, expected))
                and expected[0] <= expected[1]):
            raise AuthoringError(f"expect({expression!r}): between= needs (low, high) numbers with low <= high")
        spec["expected"] = list(expected)
    if matcher == "raises":
        if not (isinstance(expected, str) and expected.isidentifier()):
            raise AuthoringError(f"expect({expression!r}): raises= needs an exception class name, e.g. 'ValueError'")
        message_has = arguments.get("message_has", [])
        if isinstance(message_has, str):
            message_has = [message_has]
        if not (isinstance(message_has, (list, tuple)) and all(isinstance(s, str) for s in message_has)):
            raise AuthoringError(f"expect({expression!r}): message_has= needs a list of strings")
        spec["message_has"] = list(message_has)
    elif "message_has" in arguments:
        raise AuthoringError(f"expect({expression!r}): message_has applies to raises= only")
    mistakes = arguments.get("mistakes", [])
    if not isinstance(mistakes, (list, tuple)):
        raise AuthoringError(f"expect({expression!r}): mistakes= needs a list of (value, hint) pairs")
    for mistake in mistakes:
        if not (isinstance(mistake, (list, tuple)) and len(mistake) == 2 and isinstance(mistake[1], str)):
            raise AuthoringError(f"expect({expression!r}): each mistake must be a (value, hint) pair")
        spec["mistakes"].append([mistake[0], mistake[1]])
    return spec


def _numbers_only(value) -> bool:
    if isinstance(value, (list, tuple)):
        return all(_numbers_only(item) for item in value)
    return _is_number(value)


# ---------------------------------------------------------------------------------------------
# Compare (pure): decoded value + spec -> (passed, message)
# ---------------------------------------------------------------------------------------------
def _plain_equal(expected, value) -> bool:
    if isinstance(value, (Raised, Opaque)):
        return False
    if isinstance(expected, (list, tuple)):
        return (isinstance(value, (list, tuple)) and len(value) == len(expected)
                and all(_plain_equal(e, v) for e, v in zip(expected, value)))
    if isinstance(expected, dict):
        return (isinstance(value, dict) and set(map(_hashable, value)) == set(map(_hashable, expected))
                and all(_plain_equal(expected[k], _lookup(value, k)) for k in expected))
    if isinstance(expected, bool) or isinstance(value, bool):
        return isinstance(expected, bool) and isinstance(value, bool) and expected == value
    if _is_number(expected):
        if not _is_number(value):
            return False
        if isinstance(expected, float) and math.isnan(expected):
            return isinstance(value, float) and math.isnan(value)
        return expected == value
    if expected is None:
        return value is None
    if isinstance(expected, str):
        return isinstance(value, str) and value == expected
    return False


def _lookup(mapping, key):
    for candidate, item in mapping.items():
        if _hashable(candidate) == _hashable(key):
            return item
    return None


def _close(expected, value, atol, rtol):
    """(ok, reason) for the close matcher; reason says what differs without the expected value."""
    if isinstance(expected, (list, tuple)):
        if not isinstance(value, (list, tuple)):
            return False, "a single value where a sequence (array) was expected"
        if len(value) != len(expected):
            return False, f"length {len(value)} where a different length was expected"
        for e, v in zip(expected, value):
            ok, reason = _close(e, v, atol, rtol)
            if not ok:
                return ok, reason
        return True, ""
    if isinstance(value, (list, tuple)):
        return False, "a sequence where a single number was expected"
    if not _is_number(value):
        return False, "not a number"
    expected, value = float(expected), float(value)
    if math.isnan(expected) or math.isnan(value):
        return (math.isnan(expected) and math.isnan(value)), "NaN where a number was expected"
    if math.isinf(expected) or math.isinf(value):
        return expected == value, "an infinite value where a finite one was expected"
    if abs(value - expected) <= atol + rtol * abs(expected):
        return True, ""
    return False, "a number outside the tolerance"


def _matches(spec, expected, value):
    matcher = spec["matcher"]
    if matcher == "close":
        return _close(expected, value, spec["atol"], spec["rtol"])[0]
    return _plain_equal(expected, value)


def _describe(value) -> str:
    if isinstance(value, Raised):
        return f"raised {value.name}: {value.message[:300]}"
    if isinstance(value, Opaque):
        if value.too_large:
            return "returned a value too large to check"
        return f"returned an object of type {value.type_name}, which has no plain value"
    return ""


def compare(spec: dict, value) -> tuple[bool, str]:
    """Does the decoded probe `value` meet `spec`? Returns (passed, message for the learner).

    The message never contains the expected value: it is the hint (or the matching mistake's hint)
    plus what happened when that says nothing about the answer (an exception, a wrong type, a
    wrong length).
    """
    matcher, expected, hint = spec["matcher"], spec["expected"], spec["hint"]
    if matcher == "raises":
        if isinstance(value, Raised):
            if expected not in value.types:
                return False, f"{hint} (it raised {value.name}, not {expected})"
            message = value.message.lower()
            missing = [part for part in spec.get("message_has", []) if part.lower() not in message]
            if missing:
                return False, f"{hint} (the {expected} message does not say enough: {value.message[:300]!r})"
            return True, f"raises {expected}"
        if not isinstance(value, Opaque):
            for mistake_value, mistake_hint in spec.get("mistakes", []):
                if _plain_equal(mistake_value, value):
                    return False, mistake_hint
        return False, f"{hint} (no {expected} was raised)"
    if isinstance(value, (Raised, Opaque)):
        return False, f"{hint} (the expression {_describe(value)})"
    if matcher == "between":
        low, high = expected
        if not _is_number(value) or isinstance(value, float) and math.isnan(value):
            return False, f"{hint} (not a number)"
        if low <= value <= high:
            return True, "in range"
        return False, hint
    if matcher == "close":
        ok, reason = _close(expected, value, spec["atol"], spec["rtol"])
    else:
        ok, reason = _plain_equal(expected, value), ""
    if ok:
        return True, "matches"
    for mistake_value, mistake_hint in spec.get("mistakes", []):
        if _matches(spec, mistake_value, value):
            return False, mistake_hint
    if reason and "tolerance" not in reason:
        return False, f"{hint} ({reason})"
    return False, hint


# ---------------------------------------------------------------------------------------------
# Test cells: parse (grader, tests) and run (learner)
# ---------------------------------------------------------------------------------------------
def _hidden_lines(source: str) -> set[int]:
    hidden, inside = set(), False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN_HIDDEN):
            inside = True
        elif stripped.startswith(END_HIDDEN):
            inside = False
        elif inside:
            hidden.add(number)
    return hidden


def is_expectation_cell(source: str) -> bool:
    """Does this test cell use expectations (as opposed to legacy assert-style code)?"""
    try:
        parse_test_cell(source)
    except AuthoringError:
        return False
    return True


def parse_test_cell(source: str) -> list[dict]:
    """The specs of a test cell, in order, each with `hidden` (inside the hidden-tests markers).

    Only comments, the one import line and `expect("...", keyword=literal, ...)` calls are allowed;
    anything else raises AuthoringError naming the line. The cell's code is never executed.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise AuthoringError(f"line {error.lineno}: the test cell is not valid Python ({error.msg})") from None
    hidden = _hidden_lines(source)
    specs = []
    for statement in tree.body:
        line = statement.lineno
        if isinstance(statement, ast.ImportFrom) and statement.module == "lstm_course.expectations" \
                and [(a.name, a.asname) for a in statement.names] == [("expect", None)] and statement.level == 0:
            continue
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
                and isinstance(statement.value.func, ast.Name) and statement.value.func.id == "expect"):
            kind = type(statement).__name__.lower()
            raise AuthoringError(
                f"line {line}: a test cell may hold only `{IMPORT_LINE}` and expect(...) calls; "
                f"found a{'n' if kind[0] in 'aeiou' else ''} {kind} statement "
                f"({ast.get_source_segment(source, statement) or ''!s:.60})")
        call = statement.value
        if len(call.args) != 1 or any(k.arg is None for k in call.keywords):
            raise AuthoringError(f"line {line}: expect() takes one positional argument (the expression "
                                 "as a string) and keyword arguments")
        try:
            expression = ast.literal_eval(call.args[0])
            arguments = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except ValueError:
            raise AuthoringError(f"line {line}: every argument of expect() must be a literal "
                                 "(numbers, strings, lists, tuples, dicts, None, True/False)") from None
        try:
            spec = make_spec(expression, **arguments)
        except AuthoringError as error:
            raise AuthoringError(f"line {line}: {error}") from None
        spec["hidden"] = line in hidden
        spec["line"] = line
        specs.append(spec)
    if not specs:
        raise AuthoringError("the test cell holds no expect(...) call")
    return specs


def expect(expression, **arguments) -> None:
    """Check one expectation now, in the notebook's namespace: print PASS or raise AssertionError."""
    spec = make_spec(expression, **arguments)
    value = decode_json(encode_json(evaluate(expression, _user_namespace())))
    passed, message = compare(spec, value)
    if not passed:
        raise AssertionError(message)
    print(f"PASS: {expression}")
