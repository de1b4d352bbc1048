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


def test_expect_reads_the_notebook_namespace(monkeypatch, capsys):
    """In a notebook, expect() evaluates in the kernel's user namespace (IPython's user_ns)."""
    import IPython

    class Shell:
        user_ns = {"pad": lambda x: [0] + x}

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    expect("pad([1])", equals=[0, 1], hint="h")
    assert capsys.readouterr().out == "PASS: pad([1])\n"
    with pytest.raises(AssertionError) as error:
        expect("pad([1])", equals=[1, 0], hint="zeros go first", mistakes=[([0, 1], "post-padding")])
    assert str(error.value) == "post-padding"
    with pytest.raises(AssertionError, match="^zeros go first$"):
        expect("pad([2])", equals=[1, 0], hint="zeros go first")
    with pytest.raises(AuthoringError):
        expect("pad([1])", equals=[0, 1])  # no hint: the spec is validated before anything runs
    assert capsys.readouterr().out == ""


# --- exact verdicts and messages (what the learner reads) ----------------------------------------------
from lstm_course.expectations import MAX_DEPTH, _TooLarge, decode, encode, is_expectation_cell, probe_json  # noqa: E402,E501


@pytest.mark.parametrize("value, arguments, outcome", [
    ([0.1, 0.2, 0.3], dict(close=[0.1, 0.2]), (False, "h (length 3 where a different length was expected)")),
    (0.5, dict(close=[0.5]), (False, "h (a single value where a sequence (array) was expected)")),
    ([0.5], dict(close=0.5), (False, "h (a sequence where a single number was expected)")),
    ("0.5", dict(close=0.5), (False, "h (not a number)")),
    (float("nan"), dict(close=1.0), (False, "h (NaN where a number was expected)")),
    (1.0, dict(close=float("nan")), (False, "h (NaN where a number was expected)")),
    (float("nan"), dict(close=float("nan")), (True, "matches")),
    (1.0, dict(close=float("inf")), (False, "h (an infinite value where a finite one was expected)")),
    (float("inf"), dict(close=1.0), (False, "h (an infinite value where a finite one was expected)")),
    (float("-inf"), dict(close=float("inf")), (False, "h (an infinite value where a finite one was expected)")),
    (1.5, dict(close=1.0), (False, "h")),  # outside the tolerance: only the hint, nothing about the answer
    ([1.0, 2.5], dict(close=[1.0, 2.0]), (False, "h")),
    ([1.0, 2.0], dict(close=[1.0, 2.0]), (True, "matches")),
    (1.0, dict(between=(0.5, 1.0)), (True, "in range")),
    (0.5, dict(between=(0.5, 1.0)), (True, "in range")),
    (1.0000001, dict(between=(0.5, 1.0)), (False, "h")),
    ("0.7", dict(between=(0.5, 1.0)), (False, "h (not a number)")),
    (3, dict(equals=3), (True, "matches")),
    (4, dict(equals=3), (False, "h")),
    (ValueError("x" * 400), dict(equals=1), (False, "h (the expression raised ValueError: " + "x" * 300 + ")")),
    (np.zeros(2_000_000), dict(equals=1), (False, "h (the expression returned a value too large to check)")),
    (ValueError("k"), dict(raises="ValueError"), (True, "raises ValueError")),
    (ValueError("y" * 400), dict(raises="ValueError", message_has=["zebra"]),
     (False, "h (the ValueError message does not say enough: " + repr("y" * 300) + ")")),
    (KeyError("k"), dict(raises="ValueError"), (False, "h (it raised KeyError, not ValueError)")),
    (7, dict(raises="ValueError"), (False, "h (no ValueError was raised)")),
])
def test_exact_verdicts_and_messages(value, arguments, outcome):
    assert verdict(value, hint="h", **arguments) == outcome


@pytest.mark.parametrize("value, expected, passed", [
    (True, True, True), (False, False, True), (False, True, False), (1, True, False),
    ("1", 1, False), ("b", "a", False), ("a", "a", True), ("x", b"x", False), ([1, 2], {1, 2}, False),
    ([ValueError("x")], [1], False), ([Exception()], [None], False), ({"a": ValueError("x")}, {"a": 1}, False),
])
def test_equality_is_strict_about_types(value, expected, passed):
    """Booleans are not numbers, strings are not numbers, and a raised exception equals nothing."""
    assert verdict(value, equals=expected)[0] is passed


def test_a_mistake_is_recognised_when_the_expected_exception_was_not_raised():
    arguments = dict(raises="ValueError", hint="a negative k must raise", mistakes=[([1], "returned [1] instead")])
    assert verdict([1], **arguments) == (False, "returned [1] instead")
    assert verdict([2], **arguments) == (False, "a negative k must raise (no ValueError was raised)")
    assert verdict(object(), **arguments) == (False, "a negative k must raise (no ValueError was raised)")


def test_a_close_mistake_reports_its_hint_not_the_tolerance():
    arguments = dict(close=1.0, hint="h", mistakes=[(2.0, "you doubled it")])
    assert verdict(2.0000001, **arguments) == (False, "you doubled it")
    assert verdict(3.0, **arguments) == (False, "h")


# --- the probe's size budget and depth limit ------------------------------------------------------------
@pytest.mark.parametrize("value, smallest_limit", [
    (None, 5), (True, 5), (7, 1), (1000, 4), (-1000, 5), (10**50, 60), (-(10**50), 60), (10**49, 50),
    (0.5, 24), ("ab", 4), ([], 2), ({}, 2), (set(), 2), ([None, 1], 8), ({"a": 1}, 6),
    (ValueError("ab"), 66), (object(), 31), (np.complex128(1j), 32),
    (np.array([1, 2, 3]), 17), (np.array([True, False, True]), 23), (np.array(["a"]), 9),
    (np.array(5), 1), (np.int64(12), 2), (np.array([1j, 2j]), 8),
])
def test_the_size_budget_is_spent_as_documented(value, smallest_limit):
    """encode() charges each part of a value (a lower bound of its JSON size) and stops past the limit."""
    encode(value, smallest_limit)
    with pytest.raises(_TooLarge):
        encode(value, smallest_limit - 1)


class ReadRecorder(Exception):
    """An exception whose message records that the probe read it."""

    reads = 0

    def __str__(self):
        ReadRecorder.reads += 1
        return "read"


def test_the_walk_stops_once_the_budget_is_spent():
    ReadRecorder.reads = 0
    value = ["abcdefgh", ReadRecorder()]
    with pytest.raises(_TooLarge):
        encode(value, 11)  # 2 for the list + 10 for the string: over budget before the exception
    assert ReadRecorder.reads == 0
    assert json.loads(encode_json(value, 11)) == {"__too_large__": {"limit": 11}}


def nest(inner, levels):
    for _ in range(levels):
        inner = [inner]
    return inner


class FakeTensor:
    """Duck-types a TensorFlow eager tensor: the probe converts it with .numpy()."""

    __module__ = "tensorflow.python.framework.ops"

    def __init__(self, array):
        self.array = array

    def numpy(self):
        if isinstance(self.array, Exception):
            raise self.array
        return self.array


class HasNumpyMethod:
    def numpy(self):
        return np.array([1, 2])


@pytest.mark.parametrize("inner, deepest_level", [
    (0, MAX_DEPTH),  # a plain value, MAX_DEPTH lists down
    ({"k": 0}, MAX_DEPTH - 1),  # a dict's keys and values are one level below it
    ({"k": nest(0, 10)}, MAX_DEPTH - 11),  # ... so a value deep inside a dict counts from there
    ({0}, MAX_DEPTH - 1),  # so are a set's elements
    (np.array([0]), MAX_DEPTH - 2),  # an array becomes a list, whose elements are one level further
    (np.array(["a"]), MAX_DEPTH - 2),
    (np.int64(0), MAX_DEPTH - 1),
    (FakeTensor(np.array([0])), MAX_DEPTH - 3),
])
def test_every_container_counts_towards_the_depth_limit(inner, deepest_level):
    assert probe(nest(inner, deepest_level)) == json.loads(json.dumps(nest(probe(inner), deepest_level)))
    too_deep = probe(nest(inner, deepest_level + 1))
    assert isinstance(too_deep, Opaque) and too_deep.too_large


def test_a_dict_key_counts_towards_the_depth_limit():
    key = nest(0, 10)
    fits = nest({json_tuple(key): 0}, MAX_DEPTH - 11)
    assert not isinstance(probe(fits), Opaque)
    assert probe(nest({json_tuple(key): 0}, MAX_DEPTH - 10)).too_large


def json_tuple(value):
    return tuple(json_tuple(v) for v in value) if isinstance(value, list) else value


def test_tensors_arrays_and_numpy_scalars_become_plain_values():
    assert probe(FakeTensor(np.array([[1, 2], [3, 4]]))) == [[1, 2], [3, 4]]
    assert probe(FakeTensor(np.float32(0.5))) == 0.5
    assert isinstance(probe(HasNumpyMethod()), Opaque)  # only TensorFlow's values are converted
    assert probe(HasNumpyMethod()).type_name.endswith("HasNumpyMethod")
    raised = probe(FakeTensor(RuntimeError("device gone")))  # a conversion that fails is reported, not crashed
    assert isinstance(raised, Raised) and raised.types[0] == "RuntimeError" and raised.message == "device gone"
    assert probe(np.array("abc")) == "abc"  # a 0-d array is its item
    assert probe(np.bytes_(b"a")).type_name == "builtins.bytes"
    assert probe(np.complex128(1j)).type_name == "numpy.complex128"
    assert probe(np.array([1j])).type_name == "numpy.ndarray[complex128]"
    assert isinstance(probe(np.dtype("int32")), Opaque)


def test_sets_are_sorted_by_their_json_text():
    assert probe({8, 1}) == [1, 8]
    assert probe({1, "a"}) == ["a", 1]  # '"a"' sorts before '1'
    assert probe(frozenset({(2, 1), (1, 2)})) == [[1, 2], [2, 1]]


def test_a_local_class_is_named_by_its_qualified_name():
    class Local:
        pass

    assert probe(Local()).type_name == f"{__name__}.{Local.__qualname__}"
    assert "<locals>" in Local.__qualname__


def test_an_exception_whose_message_cannot_be_read():
    class Broken(Exception):
        def __str__(self):
            raise RuntimeError("no")

    raised = probe(Broken())
    assert raised.message == "<the exception's message could not be read>"
    assert raised.types[:2] == ["Broken", "Exception"]
    assert probe(ValueError("m" * 5000)).message == "m" * 2000


@pytest.mark.parametrize("value, limit, text", [
    (None, 4, '{"__too_large__": {"limit": 4}}'),  # over the budget while walking
    ([1, 2, 3], 6, '{"__too_large__": {"limit": 6}}'),  # within the budget, but the JSON text is longer
    ([1, 2, 3], 7, "[1,2,3]"),
    ({"a": [1, 2]}, 100, '{"__dict__":[["a",[1,2]]]}'),
    (float("nan"), 100, '{"__float__":"nan"}'),
    (float("-inf"), 100, '{"__float__":"-inf"}'),
    (float("inf"), 100, '{"__float__":"inf"}'),
])
def test_encode_json_text(value, limit, text):
    assert encode_json(value, limit) == text


# --- the strict decoder ---------------------------------------------------------------------------------
@pytest.mark.parametrize("text, message", [
    ("NaN", "non-finite number outside its tag"),
    ('{"__dict__": [[1]]}', "a dict entry is not a [key, value] pair"),
    ('{"__type__": []}', "not a valid probe encoding: {'__type__': []}"),
    ('{"__float__": [1]}', "not a valid probe encoding: {'__float__': [1]}"),
    ('{"__dict__": {"types": [], "message": ""}}', "not a valid probe encoding: {'__dict__': {'types': [], 'message': ''}}"),
    (json.dumps({"__evil__": "z" * 200}), "not a valid probe encoding: " + str({"__evil__": "z" * 200})[:80]),
    ("not json", "probe reply is not JSON: Expecting value: line 1 column 1 (char 0)"),
    (None, "probe reply missing or too large"),
])
def test_decoder_errors_say_what_is_wrong(text, message):
    with pytest.raises(ProbeDataError) as error:
        decode_json(text)
    assert str(error.value) == message


def test_decoder_limits_are_exact():
    assert decode_json('"ab"', limit=4) == "ab"
    with pytest.raises(ProbeDataError, match="^probe reply missing or too large$"):
        decode_json('"ab"', limit=3)
    limit = MAX_DEPTH + 2
    assert decode(nest(0, limit)) == nest(0, limit)
    with pytest.raises(ProbeDataError, match="^nested too deeply$"):
        decode(nest(0, limit + 1))
    deep_dict = 0
    for _ in range(limit):
        deep_dict = {"__dict__": [["k", deep_dict]]}
    decode(deep_dict)
    with pytest.raises(ProbeDataError, match="^nested too deeply$"):
        decode({"__dict__": [["k", deep_dict]]})
    assert decode({"__dict__": [[nest(0, limit - 1), 0]]}) == {json_tuple(nest(0, limit - 1)): 0}
    with pytest.raises(ProbeDataError, match="^nested too deeply$"):
        decode({"__dict__": [[nest(0, limit), 0]]})  # a key is one level below its dict too


def test_nested_dict_keys_decode_in_linear_space():
    """Fixed: _hashable once keyed a decoded dict by repr() of its keys, and the escaping doubled at
    every level (a forged 500-byte reply of 24 nested dict keys built an 8 MB key)."""
    forged = 0
    for _ in range(24):
        forged = {"__dict__": [[forged, 0]]}
    text = json.dumps(forged)
    assert len(text) < 600
    assert len(repr(decode_json(text))) < 100 * len(text)


def test_decoded_keys_that_are_not_hashable_become_comparable_keys():
    """Only a forged probe sends a dict or a raised exception as a key: it decodes, never crashes."""
    one = decode_json('{"__dict__": [[{"__dict__": [["a", 1], ["b", 2]]}, "v"]]}')
    same = decode_json('{"__dict__": [[{"__dict__": [["b", 2], ["a", 1]]}, "v"]]}')
    assert one == same and len(one) == 1
    keys = decode_json('{"__dict__": [[{"__dict__": [["a", 1]]}, 1], [{"__dict__": [["b", 1]]}, 2],'
                       ' [{"__dict__": [["a", 2]]}, 3], [{"__type__": "x.A"}, 4], [{"__type__": "x.B"}, 5]]}')
    assert sorted(keys.values()) == [1, 2, 3, 4, 5]
    assert decode_json('{"__too_large__": {"limit": 3}}').type_name == "value too large to send"


def test_a_dict_key_is_the_same_key_whatever_the_order_of_its_items():
    """A decoded dict used as a key is keyed by its items in a canonical order: items with equal values and
    keys of different types (which Python cannot sort against each other) included."""
    equal_values = decode_json('{"__dict__": [[{"__dict__": [["a", 1], ["b", 1]]}, "v"], '
                               '[{"__dict__": [["b", 1], ["a", 1]]}, "w"]]}')
    assert list(equal_values.values()) == ["w"]  # one key: the second entry replaced the first
    mixed = decode_json('{"__dict__": [[{"__dict__": [[1, "x"], ["a", "y"]]}, "v"], '
                        '[{"__dict__": [["a", "y"], [1, "x"]]}, "w"]]}')
    assert list(mixed.values()) == ["w"]


# --- authoring: exact specs and messages ----------------------------------------------------------------
def test_specs_are_complete_plain_dicts():
    assert make_spec("f()", between=(0.5, 1.0), hint="h") == {
        "expression": "f()", "matcher": "between", "expected": [0.5, 1.0], "hint": "h", "mistakes": []}
    assert make_spec("f()", between=(1, 1), hint="h")["expected"] == [1, 1]
    assert make_spec("f()", raises="ValueError", message_has="neg", hint="h") == {
        "expression": "f()", "matcher": "raises", "expected": "ValueError", "hint": "h", "mistakes": [],
        "message_has": ["neg"]}
    assert make_spec("f()", close=[1, 2], hint="h", mistakes=[([2, 1], "swapped")]) == {
        "expression": "f()", "matcher": "close", "expected": [1, 2], "hint": "h", "mistakes": [[[2, 1], "swapped"]],
        "atol": 1e-6, "rtol": 0.0}
    specs = parse_test_cell(CELL)
    assert [s["line"] for s in specs] == [3, 5]


@pytest.mark.parametrize("expression, arguments, message", [
    (5, dict(equals=1), "the first argument of expect() must be a non-empty string: the expression to probe"),
    ("  ", dict(equals=1), "the first argument of expect() must be a non-empty string: the expression to probe"),
    ("x", dict(equals=1, zeta=1, alpha=2),
     "expect('x'): unknown argument(s) alpha, zeta; use one of equals, close, between, raises and "
     "atol, rtol, message_has, hint, mistakes"),
    ("x", dict(equals=1, close=1), "expect('x'): give exactly one of equals, close, between, raises (got equals, close)"),
    ("x", dict(), "expect('x'): give exactly one of equals, close, between, raises (got none)"),
    ("x", dict(equals=1, rtol=0.1), "expect('x'): atol/rtol apply to close= only"),
    ("x", dict(close=1, atol=-1), "expect('x'): atol must be a number >= 0"),
    ("x", dict(close=1, rtol="a"), "expect('x'): rtol must be a number >= 0"),
    ("x", dict(raises="not a name"), "expect('x'): raises= needs an exception class name, e.g. 'ValueError'"),
    ("x", dict(raises=5), "expect('x'): raises= needs an exception class name, e.g. 'ValueError'"),
    ("x", dict(raises="ValueError", message_has=[1]), "expect('x'): message_has= needs a list of strings"),
    ("x", dict(equals=1, mistakes="no"), "expect('x'): mistakes= needs a list of (value, hint) pairs"),
    ("x", dict(equals=1, mistakes=[(1, 2)]), "expect('x'): each mistake must be a (value, hint) pair"),
])
def test_authoring_errors_are_exact(expression, arguments, message):
    with pytest.raises(AuthoringError) as error:
        make_spec(expression, hint="h", **arguments)
    assert str(error.value) == message


@pytest.mark.parametrize("source, message", [
    ("x = 1", "line 1: a test cell may hold only `from lstm_course.expectations import expect` and expect(...) "
              "calls; found an assign statement (x = 1)"),
    ("assert f(1) == 2", "line 1: a test cell may hold only `from lstm_course.expectations import expect` and "
                         "expect(...) calls; found an assert statement (assert f(1) == 2)"),
    ("for i in range(3): pass", "line 1: a test cell may hold only `from lstm_course.expectations import expect` "
                                "and expect(...) calls; found a for statement (for i in range(3): pass)"),
    ("value = " + "1 + " * 30 + "1", "line 1: a test cell may hold only `from lstm_course.expectations import "
                                     "expect` and expect(...) calls; found an assign statement ("
                                     + ("value = " + "1 + " * 30)[:60] + ")"),
    ("expect()", "line 1: expect() takes one positional argument (the expression as a string) and keyword arguments"),
    ("expect('1', '2', hint='h')",
     "line 1: expect() takes one positional argument (the expression as a string) and keyword arguments"),
    ("expect('1', **spec)",
     "line 1: expect() takes one positional argument (the expression as a string) and keyword arguments"),
    ("expect('1', equals=x, hint='h')", "line 1: every argument of expect() must be a literal "
                                        "(numbers, strings, lists, tuples, dicts, None, True/False)"),
    ("# nothing", "the test cell holds no expect(...) call"),
])
def test_test_cell_errors_are_exact(source, message):
    with pytest.raises(AuthoringError) as error:
        parse_test_cell(source)
    assert str(error.value) == message


def test_a_check_after_the_hidden_block_is_visible_again():
    source = CELL + 'expect("f(2)", equals=[2], hint="after")\n'
    assert [s["hidden"] for s in parse_test_cell(source)] == [False, True, False]


def test_probe_json_answers_from_the_notebook_namespace(monkeypatch):
    """The grader's probe: the kernel evaluates the expression in the notebook's names and returns JSON text."""
    import IPython

    class Shell:
        user_ns = {"pad": lambda x: [0] + x}

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    assert probe_json("pad([1])") == "[0,1]"
    assert probe_json("np.arange(2)") == "[0,1]"
    assert json.loads(probe_json("pad([1])", limit=4)) == {"__too_large__": {"limit": 4}}
    assert probe_json("pad([1])", limit=5) == "[0,1]"
    assert decode_json(probe_json("missing(1)")).types[0] == "NameError"


def test_expectation_cells_are_told_from_legacy_test_code():
    assert is_expectation_cell(CELL)
    assert not is_expectation_cell("assert f(1) == [0, 1]")
    assert not is_expectation_cell("# no checks")
