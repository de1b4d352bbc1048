"""Texts to padded id sequences, padding sides, and predicting the sentiment of typed text."""
import numpy as np
import pytest

from lstm_course.models import build_sequence_classifier
from lstm_course.text_prep import (
    OOV_ID,
    PAD_ID,
    TextVectorizer,
    make_vectorizer,
    pad_ids,
    padding_mask,
    predict_sentiment,
    trailing_padding,
)

TRAIN = [
    "The movie was great, great fun!",
    "The movie was awful.",
    "Great acting; the plot was awful.",
    "The ending was great.",
]


@pytest.fixture(scope="module")
def vectorizer():
    return make_vectorizer(TRAIN, vocab_size=20, seq_len=6, padding="pre")


def test_pad_ids_pre_and_post():
    seqs = [[5, 6], [1, 2, 3, 4, 5]]
    np.testing.assert_array_equal(pad_ids(seqs, 4, "pre"), [[0, 0, 5, 6], [2, 3, 4, 5]])
    np.testing.assert_array_equal(pad_ids(seqs, 4, "post"), [[5, 6, 0, 0], [2, 3, 4, 5]])
    np.testing.assert_array_equal(pad_ids(seqs, 4, "post", truncating="post"), [[5, 6, 0, 0], [1, 2, 3, 4]])
    assert pad_ids(seqs, 4).dtype == np.int32
    assert pad_ids([], 3).shape == (0, 3)


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "both"}, "padding must be 'pre' or 'post'"),
    ({"truncating": "middle"}, "truncating must be"),
    ({"seq_len": 0}, "seq_len must be a positive integer"),
])
def test_pad_ids_rejects_bad_layouts(kwargs, message):
    args = {"sequences": [[1]], "seq_len": 3} | kwargs
    with pytest.raises(ValueError, match=message):
        pad_ids(**args)


def test_padding_mask_and_trailing_padding():
    pre = pad_ids([[5, 6], [1, 2, 3]], 5, "pre")
    post = pad_ids([[5, 6], [1, 2, 3]], 5, "post")
    np.testing.assert_array_equal(padding_mask(post), [[1, 1, 0, 0, 0], [1, 1, 1, 0, 0]])
    np.testing.assert_array_equal(trailing_padding(pre), [0, 0])  # the LSTM ends on a real word
    np.testing.assert_array_equal(trailing_padding(post), [3, 2])  # ... or after 3 and 2 pad steps
    np.testing.assert_array_equal(trailing_padding(np.zeros((1, 4), int)), [4])


def test_vocabulary_is_most_frequent_first_with_reserved_ids(vectorizer):
    vocabulary = vectorizer.vocabulary
    assert vocabulary[PAD_ID] == "" and vocabulary[OOV_ID] == "[UNK]"
    assert vocabulary[2:4] == ["was", "the"] or vocabulary[2:4] == ["the", "was"]
    assert vocabulary.index("great") < vocabulary.index("acting")  # 4 occurrences before 1


def test_texts_become_padded_ids(vectorizer):
    X = vectorizer(["the movie was great", "zzz great"])
    assert X.shape == (2, 6) and X.dtype == np.int32
    vocabulary = vectorizer.vocabulary
    assert [vocabulary[i] for i in X[0][2:]] == ["the", "movie", "was", "great"]
    np.testing.assert_array_equal(X[:, :2], 0)  # "pre": zeros first, the review ends the sequence
    assert X[1][-2] == OOV_ID  # unknown word
    assert vectorizer.decode(X[0]) == "the movie was great"


def test_pre_truncation_keeps_the_end_of_long_texts(vectorizer):
    X = vectorizer(["awful " * 10 + "the ending was great"])
    assert vectorizer.decode(X[0]) == "awful awful the ending was great"


def test_with_layout_reuses_the_vocabulary(vectorizer):
    post = vectorizer.with_layout(seq_len=8, padding="post")
    assert post.vocabulary is vectorizer.vocabulary
    X = post(["the movie was great"])
    assert X.shape == (1, 8) and trailing_padding(X)[0] == 4
    assert vectorizer.seq_len == 6 and vectorizer.padding == "pre"  # the original is unchanged


def test_vectorizer_input_errors():
    fresh = TextVectorizer(vocab_size=10, seq_len=4)
    with pytest.raises(RuntimeError, match="adapt"):
        fresh(["text"])
    with pytest.raises(TypeError, match="single string"):
        fresh.adapt("one string")
    with pytest.raises(ValueError, match="non-empty"):
        fresh.adapt(["", "  "])
    with pytest.raises(ValueError, match="vocab_size"):
        TextVectorizer(vocab_size=2)
    with pytest.raises(ValueError, match="padding must be"):
        TextVectorizer(padding="left")


def test_vocabulary_never_exceeds_embedding_size():
    texts = [f"word{i} common" for i in range(100)]
    X = make_vectorizer(texts, vocab_size=30, seq_len=3)(texts)
    assert X.max() < 30


@pytest.fixture(scope="module")
def tiny_model(vectorizer):
    return build_sequence_classifier("lstm", vocab_size=20, seq_len=6, embed_dim=4, units=4)


def test_predict_sentiment_returns_a_probability_and_lists_unknown_words(tiny_model, vectorizer):
    result = predict_sentiment(tiny_model, vectorizer, "The movie was great, zorblax!")
    assert 0.0 <= result.probability_positive <= 1.0
    assert result.label == ("positive" if result.probability_positive >= 0.5 else "negative")
    assert result.known_words == ["the", "movie", "was", "great"] and result.unknown_words == ["zorblax"]
    assert "zorblax" in str(result)
    expected = float(tiny_model.predict(vectorizer(["the movie was great zorblax"]), verbose=0)[0, 0])
    assert result.probability_positive == pytest.approx(expected)


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n", "empty"),
    ("?!...", "no words"),
    ("zorblax quuxly", "None of the words"),
])
def test_predict_sentiment_refuses_to_guess(tiny_model, vectorizer, text, message):
    with pytest.raises(ValueError, match=message):
        predict_sentiment(tiny_model, vectorizer, text)


def test_predict_sentiment_checks_types_and_lengths(tiny_model, vectorizer):
    with pytest.raises(TypeError, match="string"):
        predict_sentiment(tiny_model, vectorizer, ["a list"])
    with pytest.raises(ValueError, match="reads sequences of 6 ids but the vectorizer makes 9"):
        predict_sentiment(tiny_model, vectorizer.with_layout(seq_len=9), "the movie was great")


class ConstantModel:
    """A stand-in classifier that answers `probability` for any input and records what it was given."""

    def __init__(self, probability, seq_len=6):
        self.probability, self.input_shape, self.seen = probability, (None, seq_len), []

    def predict(self, X, verbose=0):
        self.seen.append(np.asarray(X))
        return np.array([[self.probability]], dtype="float32")


@pytest.mark.parametrize("probability, threshold, label", [
    (0.5, 0.5, "positive"),  # exactly at the threshold counts as positive (>=)
    (np.nextafter(np.float32(0.5), np.float32(0)), 0.5, "negative"),
    (0.75, 0.75, "positive"),  # 0.75 is exact in float32, the dtype of a Keras output
    (0.74, 0.75, "negative"),
    (0.2, 0.1, "positive"),
])
def test_predict_sentiment_at_and_around_its_threshold(vectorizer, probability, threshold, label):
    model = ConstantModel(probability)
    result = predict_sentiment(model, vectorizer, "The movie was great", threshold=threshold)
    assert result.label == label and result.probability_positive == pytest.approx(float(np.float32(probability)))
    assert model.seen[0].tolist() == vectorizer(["The movie was great"]).tolist()  # the padded ids, as trained


def test_prediction_prints_label_probability_and_a_shortened_text(vectorizer):
    long_text = "the movie was great " * 10
    line = str(predict_sentiment(ConstantModel(0.25), vectorizer, long_text + "zorblax"))
    assert line.startswith("NEGATIVE (P(positive) = 0.25) 'the movie was great")
    assert "...'" in line and len(line.split("'")[1]) == 60 and line.endswith("not in the vocabulary: zorblax")
