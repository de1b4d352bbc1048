"""Unit tests of lstm_course.next_word (lesson 4: next-word prediction)."""
import math
import sys
import warnings
from pathlib import Path

import keras
import numpy as np
import pytest

from lstm_course import next_word as nw
from lstm_course.env import set_seed

WORDS = ["hello", "how", "are", "your", "you", "what", "is", "friends", "doing", "day"]


@pytest.fixture(scope="module")
def vectorizer():
    return nw.make_vectorizer()


@pytest.fixture(scope="module")
def vocabulary(vectorizer):
    return nw.get_vocabulary(vectorizer)


@pytest.fixture(scope="module")
def trained():
    """The seed's model trained as in the seed (200 full-batch Adam steps, seed 42)."""
    model, vectorizer, loss = nw.train_next_word_model(epochs=200, seed=42)
    return model, vectorizer, loss


def controlled_model(vocabulary, probabilities):
    """A real next-word model whose output is `probabilities` whatever the input.

    With a zero output kernel the Dense layer's softmax sees only its bias, so bias = log(p) gives p.
    """
    set_seed(0)
    model = nw.build_next_word_model(len(vocabulary), 4)
    dense = model.layers[-1]
    kernel, _ = dense.get_weights()
    dense.set_weights([np.zeros_like(kernel), np.log(np.asarray(probabilities, dtype="float32"))])
    return model


def distribution(vocabulary, **word_probabilities):
    """A distribution over the vocabulary: given words get the given mass, the rest share what is left."""
    p = np.zeros(len(vocabulary))
    for word, value in word_probabilities.items():
        p[vocabulary.index({"PAD": "", "UNK": "[UNK]"}.get(word, word))] = value
    rest = [i for i, value in enumerate(p) if value == 0]
    p[rest] = (1.0 - p.sum()) / len(rest)
    return p


# ---------------------------------------------------------------- corpus and vocabulary


def test_corpus_is_the_seed_corpus():
    assert nw.CORPUS == (
        "hello how are you",
        "hello how is your day",
        "hello how are your friends",
        "hello what are you doing",
    )


def test_vocabulary_reserves_padding_and_unknown_then_ten_words(vocabulary, vectorizer):
    assert vocabulary[0] == "" and vocabulary[1] == "[UNK]"
    assert sorted(vocabulary[2:]) == sorted(set(" ".join(nw.CORPUS).split()))
    assert len(vocabulary) == vectorizer.vocabulary_size() == 12  # 10 words + padding + [UNK]


def test_vocabulary_is_ordered_by_frequency(vocabulary):
    counts = {word: " ".join(nw.CORPUS).split().count(word) for word in vocabulary[2:]}
    frequencies = [counts[word] for word in vocabulary[2:]]
    assert frequencies == sorted(frequencies, reverse=True)
    assert vocabulary[2] == "hello"  # the only word in all four sentences


def test_legacy_word_index_counts_from_one_without_unknown_token():
    index = nw.legacy_word_index()
    # hello 4x; how and are 3x (how appears first); you and your 2x (you first); then single words in
    # order of first appearance: is, day, friends, what, doing.
    assert index == {"hello": 1, "how": 2, "are": 3, "you": 4, "your": 5,
                     "is": 6, "day": 7, "friends": 8, "what": 9, "doing": 10}
    seed_total_words = len(index) + 1  # the seed's `len(word_index) + 1`
    assert seed_total_words == 11 == len(nw.get_vocabulary(nw.make_vectorizer())) - 1


def test_standardize_matches_text_vectorization(vectorizer, vocabulary):
    for text in ["Hello, how ARE you?", "  hello   what's  up!! ", "hello-how", "(hello) how."]:
        ids_from_layer = [int(i) for i in np.asarray(vectorizer([text]))[0]]
        ids_from_words = [vocabulary.index(w) if w in vocabulary else 1 for w in nw.standardize(text)]
        assert ids_from_layer == ids_from_words, text


def test_encode_and_decode_round_trip(vocabulary):
    ids = nw.encode(vocabulary, "Hello, how is your day?")
    assert all(i >= 2 for i in ids)
    assert nw.decode(vocabulary, ids) == ["hello", "how", "is", "your", "day"]
    assert nw.decode(vocabulary, [0, 0] + ids[:2]) == ["hello", "how"]  # padding is skipped


def test_get_vocabulary_rejects_lists_without_reserved_tokens():
    with pytest.raises(ValueError, match="padding token"):
        nw.get_vocabulary(["hello", "how"])
    with pytest.raises(TypeError):
        nw.get_vocabulary("hello how")


@pytest.mark.parametrize("words", [["", "[UNK]"], ["x", "[UNK]", "hello"], ["", "x", "hello"], ["", "", "hello"],
                                   ["[UNK]", "", "hello"]])
def test_a_vocabulary_needs_padding_then_unknown_then_a_word(words):
    with pytest.raises(ValueError) as raised:
        nw.get_vocabulary(words)
    assert str(raised.value) == ("vocabulary must start with the padding token '' (id 0) and '[UNK]' (id 1), "
                                 f"followed by at least one word, as TextVectorization's get_vocabulary() does; "
                                 f"got {words[:4]}...")


def test_the_smallest_vocabulary_is_accepted_and_a_refusal_shows_its_first_four_words():
    assert nw.get_vocabulary(["", "[UNK]", "hello"]) == ["", "[UNK]", "hello"]
    with pytest.raises(ValueError, match=r"got \['a', 'b', 'c', 'd'\]\.\.\.$"):
        nw.get_vocabulary(["a", "b", "c", "d", "e"])


@pytest.mark.parametrize("vocabulary, name", [("hello how", "str"), (5, "int")])
def test_a_vocabulary_of_the_wrong_type_is_named(vocabulary, name):
    with pytest.raises(TypeError) as raised:
        nw.get_vocabulary(vocabulary)
    assert str(raised.value) == ("vocabulary must be a TextVectorization layer or its get_vocabulary() list, "
                                 f"not {name}")


# ---------------------------------------------------------------- prefixes and padding


def test_make_prefixes_builds_every_ngram_prefix():
    assert nw.make_prefixes([[2, 3, 4, 6]]) == [[2, 3], [2, 3, 4], [2, 3, 4, 6]]
    assert nw.make_prefixes([[5]]) == []  # one word: nothing to predict


def test_corpus_gives_fifteen_prefixes(vectorizer):
    sequences = nw.texts_to_sequences(vectorizer, nw.CORPUS)
    assert [len(s) for s in sequences] == [4, 5, 5, 5]
    assert len(nw.make_prefixes(sequences)) == 3 + 4 + 4 + 4  # a sentence of n words gives n - 1


def test_pad_prefixes_pads_on_the_left():
    padded = nw.pad_prefixes([[2, 3], [2, 3, 4], [2, 3, 4, 6]])
    assert padded.tolist() == [[0, 0, 2, 3], [0, 2, 3, 4], [2, 3, 4, 6]]
    assert nw.pad_prefixes([[2, 3]], max_len=5).tolist() == [[0, 0, 0, 2, 3]]


def test_pad_prefixes_refuses_to_cut_words():
    with pytest.raises(ValueError, match="cut"):
        nw.pad_prefixes([[2, 3, 4]], max_len=2)
    with pytest.raises(ValueError, match="no prefixes"):
        nw.pad_prefixes([])


def test_training_data_shapes_and_first_pair(vectorizer, vocabulary):
    X, y = nw.make_training_data(vectorizer)
    assert X.shape == (15, 4) and y.shape == (15,)  # longest sentence has 5 words -> 4 context ids
    assert nw.decode(vocabulary, X[0]) == ["hello"] and vocabulary[y[0]] == "how"
    assert not np.any(y == 0) and not np.any(y == 1)  # targets are always real words
    for row in X:  # pre-padding: once a real word starts, no padding follows
        real = np.flatnonzero(row)
        assert real.size and np.all(row[real[0]:] != 0)


def test_split_inputs_and_targets_rejects_bad_shapes():
    with pytest.raises(ValueError):
        nw.split_inputs_and_targets(np.array([1, 2, 3]))


# ---------------------------------------------------------------- what the data allows


def test_bayes_optimal_accuracy_on_seed_corpus(vectorizer):
    X, y = nw.make_training_data(vectorizer)
    # Contexts with several continuations, best guess right in brackets:
    #   "hello"         -> how, how, how, what   (3 of 4)
    #   "hello how"     -> are, is, are          (2 of 3)
    #   "hello how are" -> you, your             (1 of 2)
    # The other 6 contexts have one continuation each (6 of 6). Best: (3 + 2 + 1 + 6) / 15 = 0.8.
    assert nw.bayes_optimal_accuracy(X, y) == pytest.approx(12 / 15)


def test_bayes_optimal_accuracy_small_cases():
    assert nw.bayes_optimal_accuracy([[1], [1], [2]], [5, 6, 7]) == pytest.approx(2 / 3)
    assert nw.bayes_optimal_accuracy([[1], [2]], [5, 6]) == 1.0
    with pytest.raises(ValueError):
        nw.bayes_optimal_accuracy([[1]], [5, 6])


def test_lowest_possible_loss_on_seed_corpus(vectorizer):
    X, y = nw.make_training_data(vectorizer)
    # Predicting exactly the corpus frequencies: -[3 ln(3/4) + ln(1/4)] for "hello",
    # -[2 ln(2/3) + ln(1/3)] for "hello how", -2 ln(1/2) for "hello how are", 0 elsewhere.
    expected = -(3 * math.log(3 / 4) + math.log(1 / 4) + 2 * math.log(2 / 3) + math.log(1 / 3)
                 + 2 * math.log(1 / 2)) / 15
    assert nw.lowest_possible_loss(X, y) == pytest.approx(expected)


def test_continuation_counts_for_hello_how(vectorizer, vocabulary):
    X, y = nw.make_training_data(vectorizer)
    context = tuple(nw.pad_prefixes([nw.encode(vocabulary, "hello how")], max_len=4)[0])
    counts = nw.continuation_counts(X, y)[context]
    assert {vocabulary[i]: n for i, n in counts.items()} == {"are": 2, "is": 1}


# ---------------------------------------------------------------- model


def test_model_matches_the_seed_shapes():
    model = nw.build_next_word_model(12, 4)
    assert model.input_shape == (None, 4) and model.output_shape == (None, 12)
    counts = [layer.count_params() for layer in model.layers]
    assert counts == [12 * 10, 4 * (50 * 10 + 50 * 50 + 50), 50 * 12 + 12]
    assert model.loss == "sparse_categorical_crossentropy"
    assert model.name == "next_word_lstm"  # what summary() shows learners
    assert model.inputs[0].dtype == "int32"  # word ids are integers
    assert isinstance(model.optimizer, keras.optimizers.Adam)  # the seed's optimizer="adam"
    history = model.fit(np.zeros((2, 4), "int32"), np.array([2, 3]), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}  # lesson 4 reads history["accuracy"]


def test_train_on_batch_makes_the_same_updates_as_fit(vectorizer):
    X, y = nw.make_training_data(vectorizer)
    set_seed(3)
    with_fit = nw.build_next_word_model(12, 4)
    history = with_fit.fit(X, y, epochs=5, verbose=0)
    set_seed(3)
    stepwise = nw.build_next_word_model(12, 4)
    losses = [float(stepwise.train_on_batch(X, y)[0]) for _ in range(5)]
    assert losses == pytest.approx(history.history["loss"], rel=1e-4)


# ---------------------------------------------------------------- prediction


def test_top_k_is_sorted_and_skips_reserved_tokens(vocabulary):
    # padding and [UNK] get the most mass: they must still never be returned
    p = distribution(vocabulary, PAD=0.3, UNK=0.2, your=0.25, you=0.1, day=0.05)
    model = controlled_model(vocabulary, p)
    pairs = nw.predict_next_word(model, vocabulary, "hello how is", k=3)
    assert [word for word, _ in pairs] == ["your", "you", "day"]
    assert [prob for _, prob in pairs] == pytest.approx([0.25, 0.1, 0.05], abs=1e-5)
    assert sum(prob for _, prob in pairs) <= 1.0


def test_top_k_probabilities_are_descending_and_sum_at_most_one(trained):
    model, vectorizer, _ = trained
    for text in ["hello", "hello how", "hello what are"]:
        pairs = nw.predict_next_word(model, vectorizer, text, k=10)
        probs = [p for _, p in pairs]
        assert probs == sorted(probs, reverse=True)
        assert len({w for w, _ in pairs}) == 10 and "" not in dict(pairs) and "[UNK]" not in dict(pairs)
        assert 0.99 <= sum(probs) <= 1.0 + 1e-6  # all 10 words: nearly all the mass, never more than 1


def test_bad_k_is_rejected(trained):
    model, vectorizer, _ = trained
    for k in [0, -1, 11, 2.5, True]:
        with pytest.raises(ValueError, match="k must be"):
            nw.predict_next_word(model, vectorizer, "hello", k=k)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "?!..."])
def test_empty_input_is_a_clear_error(trained, text):
    model, vectorizer, _ = trained
    with pytest.raises(nw.EmptyInputError, match="type at least one word"):
        nw.predict_next_word(model, vectorizer, text)


def test_unknown_words_are_named_with_the_vocabulary(trained):
    model, vectorizer, _ = trained
    with pytest.raises(nw.UnknownWordError) as error:
        nw.predict_next_word(model, vectorizer, "hello world, how is the world")
    assert error.value.unknown_words == ["world", "the"]
    assert sorted(error.value.vocabulary_words) == sorted(WORDS)
    message = str(error.value)
    assert "world" in message and "the" in message and all(word in message for word in WORDS)
    assert isinstance(error.value, ValueError)


def test_non_string_input_is_a_type_error(trained):
    model, vectorizer, _ = trained
    with pytest.raises(TypeError, match="string"):
        nw.predict_next_word(model, vectorizer, ["hello"])


def test_over_long_input_warns_and_uses_the_last_words(trained):
    model, vectorizer, _ = trained
    with pytest.warns(nw.InputTooLongWarning, match="last 4: 'how are your friends'.*'hello'"):
        long_answer = nw.predict_next_word(model, vectorizer, "hello how are your friends", k=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # exactly 4 words: no warning
        short_answer = nw.predict_next_word(model, vectorizer, "how are your friends", k=3)
    assert long_answer == short_answer


def test_vocabulary_must_match_the_model(vocabulary):
    model = nw.build_next_word_model(20, 4)
    with pytest.raises(ValueError, match=r"^the model's output has shape \(20,\) but the vocabulary has 12 words: use "
                                         r"the vocabulary the model was trained with, and a model that ends in "
                                         r"Dense\(12, softmax\) on the LSTM's last state$"):
        nw.predict_next_word(model, vocabulary, "hello")


def test_a_model_that_predicts_at_every_step_is_refused_not_read_at_its_first(vocabulary):
    every_step = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(12, 3),
                                   keras.layers.LSTM(5, return_sequences=True),
                                   keras.layers.Dense(12, activation="softmax")])
    with pytest.raises(ValueError, match=r"^the model's output has shape \(4, 12\) but the vocabulary has 12 words"):
        nw.next_word_probabilities(every_step, vocabulary, "hello how")


def test_probabilities_are_read_in_inference_mode(vocabulary):
    """A learner's model with dropout: the same text gives the same probabilities, those of predict."""
    set_seed(0)
    with_dropout = keras.Sequential([keras.Input((4,), dtype="int32"), keras.layers.Embedding(12, 8),
                                     keras.layers.LSTM(8), keras.layers.Dropout(0.9),
                                     keras.layers.Dense(12, activation="softmax")])
    first = nw.next_word_probabilities(with_dropout, vocabulary, "hello how")
    np.testing.assert_array_equal(first, nw.next_word_probabilities(with_dropout, vocabulary, "hello how"))
    ids = keras.utils.pad_sequences([nw.encode(vocabulary, "hello how")], maxlen=4)
    np.testing.assert_allclose(first, with_dropout.predict(ids, verbose=0)[0], rtol=1e-5)


@pytest.mark.parametrize("call, error, message", [
    (lambda: nw.standardize(5), TypeError, "text must be a string, not int"),
    (lambda: nw.pad_prefixes([]), ValueError, "no prefixes to pad: every sentence needs at least two words"),
    (lambda: nw.split_inputs_and_targets(np.zeros(3)), ValueError,
     "expected a 2-D array with at least 2 columns, got shape (3,)"),
    (lambda: nw.build_next_word_model(2, 4), ValueError, "need total_words >= 3 and context_length >= 1, got 2, 4"),
    (lambda: nw.build_next_word_model(12, 0), ValueError, "need total_words >= 3 and context_length >= 1, got 12, 0"),
    (lambda: nw.train_next_word_model("hello how are you", epochs=1), TypeError,
     "corpus must be a list of sentences, not a single string"),
    *[(lambda corpus=corpus: nw.train_next_word_model(corpus, epochs=1), ValueError,
       "corpus must be a non-empty list of non-empty sentences")
      for corpus in ([], [""], ["hello how", "   "], ["hello how", 3])],
])
def test_every_refusal_says_exactly_what_is_wrong(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert str(raised.value) == message and type(raised.value) is error


def test_the_smallest_model_and_context_are_accepted():
    model = nw.build_next_word_model(3, 1)  # padding, [UNK] and one word; one word of context
    assert model.input_shape == (None, 1) and model.output_shape == (None, 3)


def test_an_empty_text_message_in_full(vocabulary):
    with pytest.raises(nw.EmptyInputError) as raised:
        nw.encode(vocabulary, "?!")
    assert str(raised.value) == ("no words in '?!': type at least one word the model knows, e.g. 'hello how' "
                                 "(punctuation is removed before reading).")


def test_a_long_text_warning_names_every_word_it_ignored(trained):
    model, vectorizer, _ = trained
    with pytest.warns(nw.InputTooLongWarning) as record:
        nw.predict_next_word(model, vectorizer, "hello hello how are your friends")
    assert str(record[0].message) == ("the model reads at most 4 words; it used the last 4: 'how are your friends' "
                                      "and ignored 'hello hello'")


def test_chart_data_matches_predict_next_word(trained):
    model, vectorizer, _ = trained
    chart = nw.top_k_chart_data(model, vectorizer, "Hello how", k=4)
    pairs = nw.predict_next_word(model, vectorizer, "hello how", k=4)
    assert chart["context"] == ["hello", "how"]
    assert list(zip(chart["words"], chart["probabilities"])) == pairs
    assert chart["other"] >= 0
    assert sum(chart["probabilities"]) + chart["other"] == pytest.approx(1.0, abs=1e-5)


# ---------------------------------------------------------------- trained model


def test_trained_model_predicts_your_after_hello_how_is(trained):
    model, vectorizer, loss = trained
    word, probability = nw.predict_next_word(model, vectorizer, "hello how is", k=1)[0]
    assert word == "your" and probability > 0.5
    assert nw.predict_next_word(model, vectorizer, "hello", k=1)[0][0] == "how"  # 3 of 4 sentences
    X, y = nw.make_training_data(vectorizer)
    assert loss >= nw.lowest_possible_loss(X, y)  # no model beats the data's own uncertainty


def test_trained_accuracy_is_near_but_never_above_the_bayes_optimum(trained):
    model, vectorizer, _ = trained
    X, y = nw.make_training_data(vectorizer)
    predicted = np.argmax(np.asarray(model(X, training=False)), axis=1)
    accuracy = float(np.mean(predicted == y))
    assert accuracy <= nw.bayes_optimal_accuracy(X, y) + 1e-9
    # seed 42 reaches 12/15 here; allow one miss so other CPUs' round-off cannot break the test
    assert accuracy >= 11 / 15


# ---------------------------------------------------------------- temperature


def test_temperature_one_leaves_the_distribution_unchanged():
    p = np.array([0.5, 0.3, 0.2, 0.0])
    assert nw.apply_temperature(p, 1.0) == pytest.approx(p)


def test_low_temperature_sharpens_and_high_temperature_flattens():
    p = np.array([0.5, 0.3, 0.2, 0.0])

    def entropy(q):
        q = q[q > 0]
        return float(-(q * np.log(q)).sum())

    temperatures = [0.1, 0.5, 1.0, 2.0, 10.0]
    entropies = [entropy(nw.apply_temperature(p, t)) for t in temperatures]
    assert entropies == sorted(entropies)  # hotter = more uncertain
    assert nw.apply_temperature(p, 0.05)[0] > 0.99
    assert nw.apply_temperature(p, 1000.0)[:3] == pytest.approx([1 / 3] * 3, abs=1e-3)
    assert nw.apply_temperature(p, 1000.0)[3] == 0.0  # impossible words stay impossible


def test_temperature_zero_is_greedy():
    assert nw.apply_temperature([0.2, 0.5, 0.3], 0).tolist() == [0.0, 1.0, 0.0]


@pytest.mark.parametrize("temperature", [-0.5, float("nan"), float("inf"), "hot", None])
def test_bad_temperatures_are_rejected(temperature):
    with pytest.raises(ValueError, match="temperature"):
        nw.apply_temperature([0.5, 0.5], temperature)


def test_bad_probabilities_are_rejected():
    for bad in [[], [0.0, 0.0], [0.5, -0.1], [[0.5, 0.5]]]:
        with pytest.raises(ValueError, match="probabilities"):
            nw.apply_temperature(bad, 1.0)


# ---------------------------------------------------------------- generation


def test_generate_is_repeatable_for_a_seed(trained):
    model, vectorizer, _ = trained
    first = nw.generate(model, vectorizer, "hello", 4, temperature=1.5, seed=7)
    assert first == nw.generate(model, vectorizer, "hello", 4, temperature=1.5, seed=7)
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    assert nw.generate(model, vectorizer, "hello", 4, 1.5, rng_a) == nw.generate(model, vectorizer, "hello", 4, 1.5, rng_b)


def test_generate_starts_with_the_seed_text_and_adds_n_words(trained):
    model, vectorizer, _ = trained
    text = nw.generate(model, vectorizer, "Hello, how", 3, temperature=1.0, seed=0)
    assert text.split()[:2] == ["hello", "how"] and len(text.split()) == 5
    assert nw.generate(model, vectorizer, "hello", 0) == "hello"


def test_generate_at_temperature_zero_follows_the_top_word(trained):
    model, vectorizer, _ = trained
    text = "hello"
    for _ in range(3):
        text += " " + nw.predict_next_word(model, vectorizer, " ".join(text.split()[-4:]), k=1)[0][0]
    for seed in range(3):  # greedy ignores the random seed
        assert nw.generate(model, vectorizer, "hello", 3, temperature=0, seed=seed) == text


def test_generate_never_emits_reserved_tokens_and_high_temperature_varies(vocabulary):
    # a model that puts most mass on padding and [UNK]; the rest spread evenly over the 10 words
    model = controlled_model(vocabulary, distribution(vocabulary, PAD=0.45, UNK=0.45))
    texts = {nw.generate(model, vocabulary, "hello", 4, temperature=2.0, seed=s) for s in range(5)}
    assert len(texts) > 1  # different seeds, different samples
    for text in texts:
        assert "[unk]" not in text.lower() and len(text.split()) == 5


def test_generate_rejects_bad_arguments(trained):
    model, vectorizer, _ = trained
    with pytest.raises(ValueError, match="temperature"):
        nw.generate(model, vectorizer, "hello", 2, temperature=-1)
    for n_words in [-1, 1.5, "3"]:
        with pytest.raises(ValueError, match="n_words"):
            nw.generate(model, vectorizer, "hello", n_words)
    with pytest.raises(nw.EmptyInputError):
        nw.generate(model, vectorizer, "  ", 2)
    with pytest.raises(nw.UnknownWordError):
        nw.generate(model, vectorizer, "goodbye", 2)


def test_generate_warns_once_for_a_long_seed_text(trained):
    model, vectorizer, _ = trained
    with pytest.warns(nw.InputTooLongWarning) as record:
        text = nw.generate(model, vectorizer, "hello how are your friends", 3, temperature=1.0, seed=0)
    assert len([w for w in record if w.category is nw.InputTooLongWarning]) == 1
    assert len(text.split()) == 8


# ---------------------------------------------------------------- end of sentence


@pytest.fixture(scope="module")
def end_vocabulary():
    return nw.get_vocabulary(nw.make_vectorizer(end_token=True))


def exact(vocabulary, **word_probabilities):
    """All the mass on the given words (zero elsewhere, a tiny floor so log() stays finite)."""
    p = np.full(len(vocabulary), 1e-12)
    for word, value in word_probabilities.items():
        p[vocabulary.index(word)] = value
    return p / p.sum()


def test_end_token_comes_after_the_words_which_keep_their_ids(vocabulary, end_vocabulary):
    assert end_vocabulary == vocabulary + [nw.END_TOKEN]
    assert nw.end_id(end_vocabulary) == len(vocabulary)
    assert nw.end_id(vocabulary) is None


def test_training_pairs_end_every_sentence_with_the_end_token():
    vectorizer = nw.make_vectorizer(end_token=True)
    X, y = nw.make_training_data(vectorizer)
    end = nw.end_id(vectorizer)
    assert len(y) == sum(len(s.split()) for s in nw.CORPUS)  # one more pair per sentence than without
    ends = [tuple(nw.decode(vectorizer, row)) for row, target in zip(X, y) if target == end]
    assert sorted(" ".join(words) for words in ends) == sorted(nw.CORPUS)
    # every context is now followed by one word only, except the three ambiguous ones of the seed's corpus
    assert nw.bayes_optimal_accuracy(X, y) == pytest.approx(16 / 19)


def test_add_end_needs_the_token(vocabulary, end_vocabulary):
    assert nw.add_end([[2, 3]], end_vocabulary) == [[2, 3, nw.end_id(end_vocabulary)]]
    with pytest.raises(ValueError, match="end_token=True"):
        nw.add_end([[2, 3]], vocabulary)


@pytest.mark.parametrize("text", ["[END]", "hello end", "hello [end]"])
def test_the_end_token_cannot_be_typed(end_vocabulary, text):
    with pytest.raises(nw.UnknownWordError) as caught:
        nw.encode(end_vocabulary, text)
    assert nw.END_TOKEN not in caught.value.vocabulary_words
    assert caught.value.unknown_words == ["end"]


def test_generation_stops_when_the_model_predicts_the_end(end_vocabulary):
    model = controlled_model(end_vocabulary, exact(end_vocabulary, **{nw.END_TOKEN: 1.0}))
    result = nw.generate_sentence(model, end_vocabulary, "hello how", max_words=10, temperature=1.0)
    assert result == {"text": "hello how", "new_words": [], "ended": True, "steps": 1}
    assert nw.generate(model, end_vocabulary, "hello how", 5) == "hello how"


def test_max_words_guards_a_model_that_never_ends(end_vocabulary):
    model = controlled_model(end_vocabulary, exact(end_vocabulary, how=1.0))
    for max_words in (0, 1, 7):
        result = nw.generate_sentence(model, end_vocabulary, "hello", max_words=max_words, temperature=0.5)
        assert result["new_words"] == ["how"] * max_words and not result["ended"]
        assert result["steps"] == max_words


def test_sampling_with_an_end_token_is_repeatable_and_varies_with_the_seed(end_vocabulary):
    model = controlled_model(end_vocabulary, exact(end_vocabulary, how=0.3, are=0.3, **{nw.END_TOKEN: 0.4}))
    runs = [nw.generate_sentence(model, end_vocabulary, "hello", 8, 1.0, seed=s) for s in range(8)]
    assert runs == [nw.generate_sentence(model, end_vocabulary, "hello", 8, 1.0, seed=s) for s in range(8)]
    assert len({r["text"] for r in runs}) > 1
    assert all(r["ended"] == (r["steps"] == len(r["new_words"]) + 1) for r in runs)
    assert all(nw.END_TOKEN not in r["text"] for r in runs)


@pytest.mark.parametrize("max_words", [-1, 2.5, "4", True])
def test_generate_sentence_rejects_bad_lengths(end_vocabulary, max_words):
    model = controlled_model(end_vocabulary, exact(end_vocabulary, how=1.0))
    with pytest.raises(ValueError, match="max_words must be a whole number"):
        nw.generate_sentence(model, end_vocabulary, "hello", max_words)


def test_generate_sentence_rejects_unusable_text(end_vocabulary):
    model = controlled_model(end_vocabulary, exact(end_vocabulary, how=1.0))
    with pytest.raises(nw.EmptyInputError):
        nw.generate_sentence(model, end_vocabulary, " ?! ")
    with pytest.raises(nw.UnknownWordError):
        nw.generate_sentence(model, end_vocabulary, "hello world")
    with pytest.raises(ValueError, match="temperature"):
        nw.generate_sentence(model, end_vocabulary, "hello", 3, temperature=-0.5)


def test_a_model_trained_with_the_end_token_stops_where_the_corpus_stops():
    model, vectorizer, _ = nw.train_next_word_model(epochs=400, seed=42, end_token=True)
    for sentence in nw.CORPUS:  # a whole training sentence is always followed by [END]
        assert nw.predict_next_word(model, vectorizer, sentence, k=1)[0][0] == nw.END_TOKEN
    greedy = nw.generate_sentence(model, vectorizer, "hello", max_words=10, temperature=0)
    assert greedy["ended"] and greedy["text"] in nw.CORPUS


# -- exact behaviour that mutation testing (tools/mutation.py next_word) showed was unpinned ----------------

def test_unknown_word_message_in_full():
    error = nw.UnknownWordError(["world"], ["hello", "how"])
    assert str(error) == (
        "unknown word(s) ['world']: the model only knows the 2 words it was trained on: hello, how. "
        "An unknown word would reach the model as [UNK], which it never saw, so its answer would be a "
        "guess; rephrase with known words.")


def test_add_end_says_how_to_build_a_vocabulary_with_the_token(vocabulary):
    with pytest.raises(ValueError, match=r"^the vocabulary has no '\[END\]' token: build it with "
                                         r"make_vectorizer\(corpus, end_token=True\)$"):
        nw.add_end([[2, 3]], vocabulary)


def test_legacy_word_index_splits_at_the_punctuation_it_removes():
    assert nw.legacy_word_index(["Hello,how are-you", "how?"]) == {"how": 1, "hello": 2, "are": 3, "you": 4}


@pytest.mark.parametrize("X, y", [
    (np.zeros((3, 2)), np.zeros((3, 1))),  # y must be one id per row
    (np.zeros(3), np.zeros(3)),  # X must be rows of ids
    (np.zeros((3, 2)), np.zeros(2)),  # as many targets as rows
    (np.zeros((0, 2)), np.zeros(0)),  # at least one pair
])
def test_continuation_counts_refuses_mismatched_shapes(X, y):
    with pytest.raises(ValueError, match=r"^need X of shape \(n, length\) and y of shape \(n,\), n > 0; got "):
        nw.continuation_counts(X, y)


def test_continuation_counts_of_a_single_pair():
    assert nw.continuation_counts([[0, 2]], [3]) == {(0, 2): {3: 1}}


def test_chart_shows_five_words_by_default_and_at_most_every_known_word(trained):
    model, vectorizer, _ = trained
    assert len(nw.top_k_chart_data(model, vectorizer, "hello how")["words"]) == 5
    known = len(nw.get_vocabulary(vectorizer)) - len(nw.RESERVED_IDS)
    assert len(nw.top_k_chart_data(model, vectorizer, "hello how", k=known)["words"]) == known
    with pytest.raises(ValueError, match=rf"^k must be a whole number from 1 to {known} \(the number of known words\)"):
        nw.top_k_chart_data(model, vectorizer, "hello how", k=known + 1)


def test_a_long_text_warning_points_at_the_learners_line(trained):
    model, vectorizer, _ = trained
    for ask in (nw.top_k_chart_data, nw.predict_next_word):
        with pytest.warns(nw.InputTooLongWarning, match="last 4: 'how are your friends'.*'hello'") as record:
            line = sys._getframe().f_lineno + 1  # the next line: the learner's call
            ask(model, vectorizer, "hello how are your friends")
        warning = [w for w in record if w.category is nw.InputTooLongWarning][0]
        assert Path(warning.filename).name != "next_word.py"  # never a line of ours
        if "mutmut" not in warning.filename:  # under mutation testing mutmut's trampoline is the direct caller
            assert (warning.filename, warning.lineno) == (__file__, line)


def test_generate_samples_at_temperature_one_from_seed_zero_by_default(trained):
    model, vectorizer, _ = trained
    default = nw.generate(model, vectorizer, "hello", 12)
    assert default == nw.generate(model, vectorizer, "hello", 12, temperature=1.0, seed=0)
    others = {nw.generate(model, vectorizer, "hello", 12, temperature=t, seed=s) for t, s in ((2.0, 0), (1.0, 1))}
    assert default not in others  # so the two defaults are really what is used


def test_generate_names_the_bad_count():
    with pytest.raises(ValueError, match=r"^n_words must be a whole number >= 0, got -1$"):
        nw.generate(None, nw.CORPUS, "hello", -1)


def test_the_default_training_is_the_seeds_recipe(trained):
    # 200 epochs, seed 42, no end token: the defaults give exactly the model of the `trained` fixture
    model, vectorizer, loss = nw.train_next_word_model()
    assert loss == trained[2] and vectorizer.get_vocabulary() == trained[1].get_vocabulary()


def _sentence(n_words):
    return " ".join(f"w{i}" for i in range(n_words))


def test_training_uses_the_corpus_it_is_given_and_reports_the_loss():
    corpus = ["the cat sat down", "the dog sat up"]
    model, vectorizer, loss = nw.train_next_word_model(corpus, epochs=1)
    vocabulary = vectorizer.get_vocabulary()
    assert sorted(vocabulary[2:]) == ["cat", "dog", "down", "sat", "the", "up"]
    assert model.input_shape == (None, 3) and model.output_shape == (None, 8)
    assert loss == pytest.approx(math.log(8), rel=0.05)  # one step from a near-uniform softmax: the loss, not accuracy
    _, _, untrained = nw.train_next_word_model(corpus, epochs=0)
    assert math.isnan(untrained)  # no step taken, no loss to report


def test_training_takes_at_most_one_full_batch_of_32_pairs():
    nw.train_next_word_model([_sentence(33)], epochs=0)  # 32 prefixes: one batch
    with pytest.raises(ValueError, match=r"^33 training pairs do not fit one batch of 32; use model.fit instead$"):
        nw.train_next_word_model([_sentence(34)], epochs=0)


def test_predict_next_word_returns_three_words_by_default(trained):
    model, vectorizer, _ = trained
    assert len(nw.predict_next_word(model, vectorizer, "hello how")) == 3


def test_ties_keep_vocabulary_order_in_a_large_vocabulary():
    # numpy's default sort is not stable beyond 16 elements: the stable one keeps ties in vocabulary order
    vocabulary = ["", "[UNK]"] + [f"w{i}" for i in range(2, 40)]
    p = np.full(40, 0.02)
    p[5], p[0], p[1] = 0.3, 0.0, 0.0
    p /= p.sum()
    model = controlled_model(vocabulary, np.maximum(p, 1e-12))
    words = [word for word, _ in nw.predict_next_word(model, vocabulary, "w2", k=10)]
    assert words == ["w5", "w2", "w3", "w4", "w6", "w7", "w8", "w9", "w10", "w11"]


def test_temperature_works_in_float64_so_sampling_accepts_the_result():
    p32 = np.random.default_rng(0).random(1000).astype(np.float32)
    q = nw.apply_temperature(p32, 0.7)
    assert q.dtype == np.float64 and abs(q.sum() - 1.0) < 1e-12
    np.random.default_rng(0).choice(len(q), p=q)  # numpy's own check of the sum


def test_temperature_never_warns_about_impossible_words_or_tiny_temperatures():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(0) and overflowing logits are expected, not accidents
        assert nw.apply_temperature([0.5, 0.5, 0.0], 0.5).tolist() == [0.5, 0.5, 0.0]
        assert nw.apply_temperature([0.6, 0.4], 5e-324).tolist() == [1.0, 0.0]  # the logits overflow to -inf


@pytest.mark.parametrize("bad", [[float("nan"), 0.5], [float("inf"), 0.5], [0.5, -0.1], [0.0, 0.0], []])
def test_probabilities_must_be_finite_and_non_negative(bad):
    with pytest.raises(ValueError, match=r"^probabilities must be a 1-D array of non-negative numbers with a "
                                         r"positive sum$"):
        nw.apply_temperature(bad, 1.0)


def test_generate_sentence_defaults_to_ten_words_at_temperature_one_from_seed_zero(trained):
    model, vectorizer, _ = trained
    default = nw.generate_sentence(model, vectorizer, "hello")
    assert len(default["new_words"]) == 10 and not default["ended"]  # no end token: it runs to max_words
    assert default == nw.generate_sentence(model, vectorizer, "hello", max_words=10, temperature=1.0, seed=0)
    for other in ({"temperature": 2.0}, {"seed": 1}):
        assert nw.generate_sentence(model, vectorizer, "hello", **other)["text"] != default["text"]
