"""The expectation API (lstm_course.expectations): matchers, mistakes, encoding, parsing, limits."""
import json
import math

import numpy as np
import pytest

from lstm_course.expectations import (
    AuthoringError, Opaque, ProbeDataError, Raised, compare, decode_json, encode_json, expect,
    make_spec, parse_test_cell,
)


def probe(value):
    """What the grader would see: the value through the probe's JSON and the strict decoder."""
    return decode_json(encode_json(value))


def verdict(value, expression="x", **arguments):
    arguments.setdefault("hint", "think about it")
    return compare(make_spec(expression, **arguments), probe(value))


# --- equals -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected, passed", [
    ([1, 2], [1, 2], True), ((1, 2), [1, 2], True), (np.array([1, 2]), [1, 2], True),
    (1.0, 1, True), (np.float32(0.5), 0.5, True), ("a", "a", True), (None, None, True),
    ([1, 2], [1, 2, 3], False), ([[1, 2]], [1, 2], False), (1, "1", False), (True, 1, False),
    ({"a": 1}, {"a": 1}, True), ({"a": 1}, {"a": 2}, False), ({(1, 2): "x"}, {(1, 2): "x"}, True),
    (float("nan"), float("nan"), True), (1.0, float("nan"), False),
    (np.array([[1, 2], [3, 4]]), [[1, 2], [3, 4]], True), (np.array([[1, 2], [3, 4]]), [1, 2, 3, 4], False),
])
def test_equals(value, expected, passed):
    assert verdict(value, equals=expected)[0] is passed


# --- close --------------------------------------------------------------------------------------
def test_close_tolerances_and_shape():
    assert verdict([0.1000001, 0.2], close=[0.1, 0.2])[0]
    assert not verdict([0.1001, 0.2], close=[0.1, 0.2])[0]
    assert verdict(105.0, close=100.0, rtol=0.05, atol=0.0)[0]
    assert not verdict(106.0, close=100.0, rtol=0.05, atol=0.0)[0]
    passed, message = verdict([0.1, 0.2, 0.3], close=[0.1, 0.2])
    assert not passed and "length 3" in message and "0.1" not in message.replace("0.1, 0.2", "")
    passed, message = verdict(0.5, close=[0.5])
    assert not passed and "single value" in message
    assert not verdict(float("nan"), close=1.0)[0]
    assert verdict(float("inf"), close=float("inf"))[0]
    assert not verdict("0.5", close=0.5)[0]


# --- between --------------------------------------------------------------------------------------
def test_between():
    assert verdict(0.7, between=(0.5, 1.0))[0]
    assert verdict(np.float64(0.5), between=[0.5, 1.0])[0]
    assert not verdict(1.5, between=(0.5, 1.0))[0]
    assert not verdict(float("nan"), between=(0.5, 1.0))[0]
    assert not verdict([0.7], between=(0.5, 1.0))[0]


# --- raises ---------------------------------------------------------------------------------------
class CustomError(ValueError):
    pass


def test_raises_and_message():
    assert verdict(ValueError("k must be >= 1"), raises="ValueError", message_has=["K MUST"])[0]
    assert verdict(CustomError("x"), raises="ValueError")[0]  # a subclass counts
    passed, message = verdict(TypeError("no"), raises="ValueError", hint="check k")
    assert not passed and "TypeError" in message and message.startswith("check k")
    passed, message = verdict(ValueError("bad"), raises="ValueError", message_has=["zebra"], hint="name it")
    assert not passed and "does not say enough" in message
    passed, message = verdict([1], raises="ValueError", hint="must raise")
    assert not passed and "no ValueError was raised" in message


def test_raised_where_a_value_was_expected():
    passed, message = verdict(NameError("name 'f' is not defined"), equals=1, hint="define f")
    assert not passed and "NameError" in message


# --- mistakes and messages ---------------------------------------------------------------------------
def test_mistake_hint_replaces_generic_hint():
    arguments = dict(equals=[0, 0, 2, 3], hint="zeros on the left",
                     mistakes=[([2, 3, 0, 0], "post-padding"), ([0, 2, 3], "length")])
    assert verdict([2, 3, 0, 0], **arguments) == (False, "post-padding")
    assert verdict([9, 9, 9, 9], **arguments) == (False, "zeros on the left")
    assert verdict([0, 0, 2, 3], **arguments)[0]


def test_close_mistakes_use_the_tolerance():
    arguments = dict(close=[0.5, 0.5], atol=1e-3, hint="h", mistakes=[([0.25, 0.75], "swapped gates")])
    assert verdict([0.2501, 0.7499], **arguments) == (False, "swapped gates")


def test_failure_message_never_shows_the_expected_value():
    passed, message = verdict(41, equals=123456789, hint="count again")
    assert not passed and "123456789" not in message


# --- encoding -------------------------------------------------------------------------------------
def test_encoding_of_unusual_values():
    assert probe(np.int64(3)) == 3 and type(probe(np.int64(3))) is int
    assert probe(np.bool_(True)) is True
    assert math.isnan(probe(np.float32("nan")))
    assert probe(-np.inf) == float("-inf")
    assert probe(np.array(["a", "b"])) == ["a", "b"]
    assert probe({1, 2}) == [1, 2]
    assert isinstance(probe(object()), Opaque) and probe(object()).type_name == "builtins.object"
    assert isinstance(probe(np.array([1j])), Opaque)
    raised = probe(CustomError("boom"))
    assert isinstance(raised, Raised) and raised.types[:2] == ["CustomError", "ValueError"]


def test_always_equal_object_has_no_plain_value():
    class Anything:
        def __eq__(self, other):
            return True

    passed, message = verdict(Anything(), equals=[1, 2], hint="h")
    assert not passed and "no plain value" in message


def test_size_limit():
    big = np.zeros(2_000_000)
    value = probe(big)
    assert isinstance(value, Opaque) and value.too_large
    assert not verdict(big, equals=[0.0], hint="h")[0]
    assert isinstance(probe("x" * 2_000_000), Opaque)
    deep = []
    for _ in range(500):
        deep = [deep]
    assert isinstance(probe(deep), Opaque)


@pytest.mark.parametrize("text", [
    '{"__evil__": 1}', '{"__float__": "NaN!"}', '{"a": 1, "b": 2}', 'not json', "[NaN]",
    '{"__dict__": [[1]]}', '{"__raised__": {"types": "ValueError", "message": "x"}}',
])
def test_decoder_rejects_malformed_probe_data(text):
    with pytest.raises(ProbeDataError):
        decode_json(text)


def test_decoder_rejects_oversized_reply():
    with pytest.raises(ProbeDataError):
        decode_json(json.dumps("x" * 2_000_000))


# --- authoring ----------------------------------------------------------------------------------
CELL = '''# Tests (2 points)
from lstm_course.expectations import expect
expect("f(1)", equals=[0, 1], hint="left", mistakes=[([1, 0], "post")])
### BEGIN HIDDEN TESTS
expect("f(-1)", raises="ValueError", message_has=["negative"], hint="bad input")
### END HIDDEN TESTS
'''


def test_parse_test_cell():
    specs = parse_test_cell(CELL)
    assert [s["expression"] for s in specs] == ["f(1)", "f(-1)"]
    assert [s["hidden"] for s in specs] == [False, True]
    assert specs[0]["mistakes"] == [[[1, 0], "post"]]
    assert specs[1]["message_has"] == ["negative"]


@pytest.mark.parametrize("source, says", [
    ("assert f(1) == 2", "assert statement"),
    ("import numpy as np\nexpect('1', equals=1, hint='h')", "import statement"),
    ("expect('1', equals=1, hint='h')\nx = 1", "line 2"),
    ("expect(f'{1}', equals=1, hint='h')", "literal"),
    ("expect('1', equals=[x], hint='h')", "literal"),
    ("expect('1', equals=1, close=1, hint='h')", "exactly one"),
    ("expect('1', hint='h')", "exactly one"),
    ("expect('1', equals=1)", "hint= is required"),
    ("expect('1 +', equals=1, hint='h')", "not a Python expression"),
    ("expect('1', equals=1, atol=0.1, hint='h')", "close= only"),
    ("expect('1', equals=1, message_has=['x'], hint='h')", "raises= only"),
    ("expect('1', between=(2, 1), hint='h')", "low <= high"),
    ("expect('1', close='a', hint='h')", "needs numbers"),
    ("expect('1', equals=1, hint='h', tolerance=2)", "unknown argument"),
    ("expect('1', equals=1, hint='h', mistakes=[1])", "(value, hint) pair"),
    ("expect('1', raises=ValueError, hint='h')", "literal"),
    ("# only a comment", "no expect"),
    ("def f(:", "not valid Python"),
])
def test_parse_errors_are_clear(source, says):
    with pytest.raises(AuthoringError, match=None) as error:
        parse_test_cell(source)
    assert says in str(error.value)


# --- the learner's side ---------------------------------------------------------------------------
def test_expect_in_plain_python(capsys):
    def pad(x):
        return [0] + x

    globals()["pad_for_test"] = pad
    try:
        expect("pad_for_test([1])", equals=[0, 1], hint="h")
        assert "PASS: pad_for_test([1])" in capsys.readouterr().out
        with pytest.raises(AssertionError, match="post-padding"):
            expect("pad_for_test([1])", equals=[1, 0], hint="h", mistakes=[([0, 1], "post-padding")])
    finally:
        del globals()["pad_for_test"]


def test_expect_sees_probe_fixtures():
    expect("RecordingModel([0.1, 0.9], context_length=2).predict([[1, 2]]).shape", equals=[1, 2], hint="h")
    expect("np.arange(3)", equals=[0, 1, 2], hint="h")
