"""Texts to padded id sequences, padding sides, and predicting the sentiment of typed text."""
import numpy as np
import pytest

from lstm_course.models import build_sequence_classifier
from lstm_course.text_prep import (
    OOV_ID,
    PAD_ID,
    SentimentPrediction,
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
    """A stand-in classifier that answers `probability` (one number, or a row of them) for any input and
    records what it was given; with `seq_len=None` it declares no input shape (as a subclassed model)."""

    def __init__(self, probability, seq_len=6):
        self.probability, self.seen = probability, []
        if seq_len is not None:
            self.input_shape = (None, seq_len)

    def predict(self, X, verbose=0):
        self.seen.append(np.asarray(X))
        return np.array([np.atleast_1d(self.probability)], dtype="float32")


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


# -- exact behaviour that mutation testing (tools/mutation.py text_prep) showed was unpinned ----------------

def test_both_entry_points_share_the_documented_defaults():
    vectorizer = make_vectorizer(TRAIN)
    assert (vectorizer.vocab_size, vectorizer.seq_len, vectorizer.padding, vectorizer.truncating) == (
        5000, 50, "pre", "pre")
    plain = TextVectorizer()
    assert (plain.vocab_size, plain.seq_len, plain.padding, plain.truncating) == (5000, 50, "pre", "pre")


def test_make_vectorizer_passes_each_layout_argument_to_its_own_parameter():
    vectorizer = make_vectorizer(TRAIN, vocab_size=20, seq_len=3, padding="post", truncating="post")
    assert (vectorizer.padding, vectorizer.truncating) == ("post", "post")
    mixed = make_vectorizer(TRAIN, vocab_size=20, seq_len=3, padding="post", truncating="pre")
    assert (mixed.padding, mixed.truncating) == ("post", "pre")
    # truncating="post" keeps the START of a long text, padding="post" puts zeros after a short one
    long_ids, short_ids = vectorizer.token_ids(["the movie was great fun", "awful"])
    assert vectorizer(["the movie was great fun"]).tolist() == [long_ids[:3]]
    assert mixed(["the movie was great fun"]).tolist() == [long_ids[-3:]]
    assert vectorizer(["awful"]).tolist() == [short_ids + [PAD_ID, PAD_ID]]


def test_smallest_vocabulary_is_padding_unknown_and_one_word():
    vectorizer = TextVectorizer(vocab_size=3, seq_len=4).adapt(["great great awful"])
    assert vectorizer.vocabulary == ["", "[UNK]", "great"]
    assert vectorizer(["great awful"]).tolist() == [[PAD_ID, PAD_ID, 2, OOV_ID]]
    for bad in (2, 0, -1, 3.0, "10"):
        with pytest.raises(ValueError, match=r"vocab_size must be an integer >= 3 \(padding, \[UNK\] and a word\)"):
            TextVectorizer(vocab_size=bad)


@pytest.mark.parametrize("kwargs, message", [
    ({"padding": "left"}, "padding must be 'pre' or 'post', not 'left'"),
    ({"truncating": "middle"}, "truncating must be 'pre' or 'post', not 'middle'"),
    ({"seq_len": 0}, "seq_len must be a positive integer, got 0"),
])
def test_a_bad_layout_is_refused_when_the_vectorizer_is_made_or_relaid(vectorizer, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TextVectorizer(**kwargs)
    with pytest.raises(ValueError, match=message):
        vectorizer.with_layout(**kwargs)


def test_with_layout_keeps_what_it_is_not_told_to_change(vectorizer):
    post = vectorizer.with_layout(padding="post")
    assert (post.seq_len, post.padding, post.truncating, post.vocabulary) == (
        6, "post", "pre", vectorizer.vocabulary)
    cut_start = vectorizer.with_layout(truncating="post")
    assert (cut_start.seq_len, cut_start.padding, cut_start.truncating) == (6, "pre", "post")


def test_unadapted_vectorizer_says_what_to_call():
    fresh = TextVectorizer(vocab_size=10, seq_len=4)
    for use in (lambda: fresh(["text"]), lambda: fresh.vocabulary, lambda: fresh.with_layout(seq_len=3)):
        with pytest.raises(RuntimeError, match=r"^call adapt\(train_texts\) first: the vectorizer has no vocabulary yet$"):
            use()
    assert repr(fresh) == ("TextVectorizer(vocab_size=10, seq_len=4, padding='pre', truncating='pre', "
                           "vocabulary=not adapted)")
    fresh.adapt(["good film", "bad film"])
    assert repr(fresh).endswith("vocabulary=5)")  # '', [UNK], film, bad, good


def test_text_list_errors_name_the_problem():
    fresh = TextVectorizer(vocab_size=10, seq_len=4)
    with pytest.raises(TypeError, match=r"^expected a list of texts, got a single string: wrap it in a list$"):
        fresh.adapt("one string")
    with pytest.raises(TypeError, match=r"^every text must be a string, got int$"):
        fresh.adapt(["fine", 3])
    with pytest.raises(TypeError, match=r"^every text must be a string, got bytes$"):
        fresh.adapt([b"bytes"])
    with pytest.raises(ValueError, match=r"^adapt\(\) needs at least one non-empty training text$"):
        fresh.adapt(["", "  "])


def test_words_fall_back_to_the_vocabulary_when_python_and_keras_split_differently():
    vectorizer = make_vectorizer(["great movie"], vocab_size=10, seq_len=4)
    # Python's str.split breaks at a no-break space; TextVectorization's whitespace split does not
    assert vectorizer.words("great\u00a0movie") == [("[UNK]", OOV_ID)]
    assert vectorizer.words("Great movie!") == [("great", vectorizer.vocabulary.index("great")),
                                                ("movie", vectorizer.vocabulary.index("movie"))]


def test_refusals_explain_how_to_fix_the_review(tiny_model, vectorizer):
    with pytest.raises(ValueError, match=r"^The review is empty: type a sentence or two, e\.g\. 'The acting was great\.'$"):
        predict_sentiment(tiny_model, vectorizer, " ")
    with pytest.raises(TypeError, match=r"^text must be a string, got list$"):
        predict_sentiment(tiny_model, vectorizer, ["a list"])
    words_learned = len(vectorizer.vocabulary) - 2  # without padding and [UNK]
    with pytest.raises(ValueError) as refused:
        predict_sentiment(tiny_model, vectorizer, "zorblax quuxly")
    assert str(refused.value) == (
        f"None of the words in 'zorblax quuxly' are in the model's vocabulary ({words_learned:,} words learned "
        "from the training reviews), so any answer would be a guess. Write it with ordinary review words, "
        "e.g. 'The acting was great but the story was boring.'")


def test_prediction_prints_no_progress_bar(tiny_model, vectorizer, capfd):
    predict_sentiment(tiny_model, vectorizer, "The movie was great")
    out, err = capfd.readouterr()
    assert out == "" and "step" not in err  # a progress bar per typed review would bury the answer


def test_a_model_without_an_input_shape_is_still_asked(vectorizer):
    model = ConstantModel(0.9, seq_len=None)
    assert not hasattr(model, "input_shape")
    assert predict_sentiment(model, vectorizer, "The movie was great").label == "positive"


@pytest.mark.parametrize("length, shown", [
    (59, None), (60, None), (61, 57),  # up to 60 characters are shown whole; longer ones cut to 57 + "..."
])
def test_prediction_shortens_only_texts_over_60_characters(length, shown):
    text = ("great " * 20)[:length]
    line = str(SentimentPrediction(text, 0.5, "positive", ["great"], []))
    quoted = line.split(" ", 4)[-1]
    assert quoted == repr(text if shown is None else text[:shown] + "...")
    assert "not in the vocabulary" not in line  # nothing to list


def test_prediction_lists_the_first_eight_unknown_words():
    unknown = [f"w{i}" for i in range(10)]
    line = str(SentimentPrediction("some text", 0.1, "negative", [], unknown))
    assert line == "NEGATIVE (P(positive) = 0.10) 'some text'; not in the vocabulary: w0, w1, w2, w3, w4, w5, w6, w7"


def test_a_model_with_two_outputs_is_refused_not_read_as_one(vectorizer):
    with pytest.raises(ValueError, match=r"^the model gives 2 numbers per review; predict_sentiment needs one, the "
                                         r"probability that the review is positive \(a model ending in Dense\(1, "
                                         r"sigmoid\)\)$"):
        predict_sentiment(ConstantModel([0.8, 0.2]), vectorizer, "The movie was great")  # a softmax head
