"""Property-based tests (Hypothesis) of padding and truncation: any id sequences, any length, either side."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_course.text_prep import PAD_ID, pad_ids, padding_mask, split_words, trailing_padding

real_ids = st.integers(min_value=1, max_value=50_000)  # 0 is the padding id, never a word
id_lists = st.lists(st.lists(real_ids, max_size=30), max_size=12)
sides = st.sampled_from(["pre", "post"])
lengths = st.integers(min_value=1, max_value=40)


def expected_row(sequence, seq_len, padding, truncating):
    if len(sequence) > seq_len:
        return sequence[-seq_len:] if truncating == "pre" else sequence[:seq_len]
    zeros = [PAD_ID] * (seq_len - len(sequence))
    return zeros + sequence if padding == "pre" else sequence + zeros


@given(id_lists, lengths, sides, sides)
def test_every_row_is_the_sequence_padded_or_cut_on_the_requested_side(sequences, seq_len, padding, truncating):
    X = pad_ids(sequences, seq_len, padding, truncating)
    assert X.shape == (len(sequences), seq_len) and X.dtype == np.int32
    for row, sequence in zip(X, sequences):
        assert row.tolist() == expected_row(sequence, seq_len, padding, truncating)


@given(id_lists, lengths, sides)
def test_mask_and_trailing_padding_agree_with_the_layout(sequences, seq_len, padding):
    X = pad_ids(sequences, seq_len, padding)
    mask, trailing = padding_mask(X), trailing_padding(X)
    for row_mask, after, sequence in zip(mask, trailing, sequences):
        kept = min(len(sequence), seq_len)
        assert row_mask.sum() == kept
        if kept == 0:
            assert after == seq_len  # an empty review is all padding
        else:
            assert after == (0 if padding == "pre" else seq_len - kept)


@given(lengths, sides, sides)
def test_no_sequences_give_an_empty_int32_array(seq_len, padding, truncating):
    X = pad_ids([], seq_len, padding, truncating)
    assert X.shape == (0, seq_len) and X.dtype == np.int32


@given(st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=3), st.none()))
def test_a_length_that_is_not_a_positive_integer_is_refused(seq_len):
    with pytest.raises(ValueError, match="seq_len must be a positive integer"):
        pad_ids([[1, 2]], seq_len)


@given(st.text(max_size=8).filter(lambda s: s not in ("pre", "post")))
def test_an_unknown_side_is_refused_by_name(side):
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post'"):
        pad_ids([[1]], 3, padding=side)
    with pytest.raises(ValueError, match="truncating must be 'pre' or 'post'"):
        pad_ids([[1]], 3, truncating=side)


@given(st.text(max_size=60))
def test_split_words_is_lower_case_without_punctuation_and_idempotent(text):
    words = split_words(text)
    assert all(w and w == w.lower() and not any(ch in w for ch in ".,!?'\"-;:()[]") for w in words)
    assert split_words(" ".join(words)) == words
