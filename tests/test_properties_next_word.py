"""Property-based tests (Hypothesis) of prefix generation, top-k and temperature sampling (lesson 4)."""
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lstm_course import next_word as nw

sentences = st.lists(st.lists(st.integers(min_value=2, max_value=40), max_size=9), min_size=1, max_size=6)


@given(sentences)
def test_prefixes_are_every_prefix_of_two_words_or_more_in_order(sequences):
    prefixes = nw.make_prefixes(sequences)
    expected = [s[:end] for s in sequences for end in range(2, len(s) + 1)]
    assert prefixes == expected
    assert len(prefixes) == sum(max(0, len(s) - 1) for s in sequences)


@given(sentences.filter(lambda ss: any(len(s) >= 2 for s in ss)), st.integers(min_value=0, max_value=5))
def test_padded_prefixes_keep_the_words_at_the_right_end(sequences, extra):
    prefixes = nw.make_prefixes(sequences)
    longest = max(map(len, prefixes))
    padded = nw.pad_prefixes(prefixes, longest + extra)
    assert padded.shape == (len(prefixes), longest + extra)
    for row, prefix in zip(padded, prefixes):
        assert row[len(row) - len(prefix):].tolist() == prefix and not row[:len(row) - len(prefix)].any()
    X, y = nw.split_inputs_and_targets(padded)
    assert y.tolist() == [p[-1] for p in prefixes] and (X == padded[:, :-1]).all()
    if longest > 1:
        with pytest.raises(ValueError, match="would cut words"):
            nw.pad_prefixes(prefixes, longest - 1)


distributions = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1, max_size=12).filter(
    lambda p: sum(p) > 0)
temperatures = st.floats(min_value=0.05, max_value=50)


@given(distributions, temperatures)
def test_temperature_gives_a_distribution_that_keeps_the_ranking_and_the_impossible(p, temperature):
    p = np.array(p)
    q = nw.apply_temperature(p, temperature)
    assert q.shape == p.shape and np.all(q >= 0) and q.sum() == pytest.approx(1.0)
    assert np.all(q[p == 0] == 0)  # impossible words stay impossible
    order = np.argsort(p, kind="stable")
    assert np.all(np.diff(q[order]) >= -1e-12)  # a likelier word never becomes less likely than a rarer one
    assert q[np.argmax(p)] == q.max()


@given(distributions, temperatures, temperatures)
def test_lower_temperature_is_sharper(p, t1, t2):
    low, high = sorted((t1, t2))
    assume(high - low > 1e-3)
    p = np.array(p)
    assert nw.apply_temperature(p, low).max() >= nw.apply_temperature(p, high).max() - 1e-12


@given(distributions)
def test_temperature_one_is_the_model_and_zero_is_greedy(p):
    p = np.array(p)
    assert nw.apply_temperature(p, 1.0) == pytest.approx(p / p.sum())
    greedy = nw.apply_temperature(p, 0)
    assert greedy.sum() == 1.0 and greedy[int(np.argmax(p))] == 1.0


def not_a_number(text):
    try:
        float(text)
    except ValueError:
        return True
    return False


@given(st.one_of(st.floats(max_value=-1e-9), st.just(float("nan")), st.just(float("inf")),
                 st.text(max_size=3).filter(not_a_number), st.none()))
def test_a_temperature_that_is_not_a_finite_number_at_least_zero_is_refused(temperature):
    with pytest.raises(ValueError, match="temperature must be"):
        nw.apply_temperature([0.5, 0.5], temperature)


def vocabulary_of(size):
    return ["", "[UNK]"] + [f"w{i}" for i in range(size)]


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=3, max_size=15), st.data())
def test_top_k_returns_the_k_likeliest_real_words_in_order(p, data):
    words = vocabulary_of(len(p) - 2)
    k = data.draw(st.integers(min_value=1, max_value=len(p) - 2))
    p = np.array(p)
    top = nw._top_k(p, words, k)
    assert len(top) == k and all(w not in ("", "[UNK]") for w, _ in top)
    probabilities = [q for _, q in top]
    assert probabilities == sorted(probabilities, reverse=True)
    rest = [p[i] for i in range(2, len(p)) if words[i] not in {w for w, _ in top}]
    assert not rest or min(probabilities) >= max(rest)
    # ties keep vocabulary order
    for (w1, q1), (w2, q2) in zip(top, top[1:]):
        if q1 == q2:
            assert words.index(w1) < words.index(w2)


class FixedModel:
    """A stand-in next-word model: the same distribution after any context."""

    def __init__(self, probabilities, context=3):
        self.probabilities = np.asarray(probabilities, dtype="float32")
        self.input_shape, self.output_shape = (None, context), (None, len(probabilities))

    def __call__(self, padded, training=False):
        assert padded.shape == (1, self.input_shape[1])
        return self.probabilities[None]


@given(st.lists(st.floats(min_value=0, max_value=1, width=32), min_size=4, max_size=10).filter(
           lambda p: np.float32(p[2:]).sum() > 0),
       st.one_of(st.just(0.0), st.floats(min_value=0.05, max_value=5)), st.integers(min_value=0, max_value=2**32 - 1),
       st.integers(min_value=0, max_value=8))
def test_sampling_never_returns_reserved_or_impossible_words_and_repeats_for_a_seed(p, temperature, seed, n):
    words = vocabulary_of(len(p) - 2)
    model = FixedModel(p)
    text = nw.generate(model, words, "w0", n, temperature=temperature, seed=seed)
    new = text.split()[1:]
    assert len(new) == n and text.split()[0] == "w0"
    assert all(p[words.index(w)] > 0 for w in new)
    assert nw.generate(model, words, "w0", n, temperature=temperature, seed=seed) == text
    if temperature == 0:
        best = words[2 + int(np.argmax(np.asarray(p[2:], dtype="float32")))]
        assert new == [best] * n


@given(st.floats(min_value=5e-324, max_value=1e-300))
def test_a_tiny_positive_temperature_is_greedy_not_nan(temperature):
    q = nw.apply_temperature([0.2, 0.5, 0.3], temperature)
    assert q.tolist() == [0.0, 1.0, 0.0]
