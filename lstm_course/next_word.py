"""Next-word prediction on the seed's four sentences (lesson 4).

The pipeline, one small function per step:

    make_vectorizer(CORPUS)            words -> ids with keras.layers.TextVectorization
    make_prefixes / pad_prefixes       every n-gram prefix of every sentence, padded on the left
    split_inputs_and_targets           context (all but the last id) -> next word (the last id)
    build_next_word_model              Embedding(total_words, 10) -> LSTM(50) -> Dense(total_words, softmax)
    predict_next_word                  the k most likely next words with their probabilities
    generate                           sample several words, with a temperature
    generate_sentence                  sample until the model predicts the end of the sentence

With `make_vectorizer(corpus, end_token=True)` every training sentence ends with the token END_TOKEN
("[END]"): the model learns where sentences stop, and generation stops when it predicts the end instead
of running past the longest sentence it saw. The token is added to the vocabulary after the words, so
the words keep their ids; it cannot be typed (standardization strips its brackets).

`bayes_optimal_accuracy` and `lowest_possible_loss` say how well ANY model can do on the training
pairs: some contexts ("hello how") are followed by different words in different sentences.

Vocabulary conventions (TextVectorization's): id 0 is padding (""), id 1 is the unknown-word token
("[UNK]"), real words start at id 2, so `total_words = len(vocabulary)` already counts both reserved ids.
Functions that take a `vocabulary` accept the TextVectorization layer itself or its `get_vocabulary()`
list. Text is standardized like TextVectorization's default: lowercase, ASCII punctuation removed, split
on whitespace.
"""
import sys
import warnings
from collections import Counter

import numpy as np

from .env import _quiet_tensorflow
from .text_prep import split_words

_quiet_tensorflow()
import keras  # noqa: E402

CORPUS = (
    "hello how are you",
    "hello how is your day",
    "hello how are your friends",
    "hello what are you doing",
)
PADDING_TOKEN = ""
UNKNOWN_TOKEN = "[UNK]"
PADDING_ID = 0
UNKNOWN_ID = 1
RESERVED_IDS = (PADDING_ID, UNKNOWN_ID)
END_TOKEN = "[END]"  # end of sentence; never produced by standardize(), so only training data contains it

# The exact pattern TextVectorization's "lower_and_strip_punctuation" removes.
# What the legacy Tokenizer replaced with spaces (its default `filters`).
_LEGACY_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


class NextWordInputError(ValueError):
    """Text the next-word model cannot use; the message says why and what to type instead."""


class EmptyInputError(NextWordInputError):
    """The text has no words (empty, only spaces, or only punctuation)."""


class UnknownWordError(NextWordInputError):
    """The text contains words the vocabulary does not have."""

    def __init__(self, unknown_words, vocabulary_words):
        self.unknown_words = list(unknown_words)
        self.vocabulary_words = list(vocabulary_words)
        super().__init__(
            f"unknown word(s) {self.unknown_words}: the model only knows the {len(self.vocabulary_words)} "
            f"words it was trained on: {', '.join(self.vocabulary_words)}. "
            "An unknown word would reach the model as [UNK], which it never saw, so its answer would be a "
            "guess; rephrase with known words."
        )


class InputTooLongWarning(UserWarning):
    """The text is longer than the model's context; only its last words were used."""


# Python shows a repeated warning only once per place; a learner retyping the same long text
# should be told every time.
warnings.simplefilter("always", InputTooLongWarning)


# ---------------------------------------------------------------- tokenization


def make_vectorizer(corpus=CORPUS, end_token: bool = False) -> keras.layers.TextVectorization:
    """A TextVectorization layer adapted to `corpus` (ids by frequency; ties by reverse word order).

    `end_token=True` appends END_TOKEN as the last id: the words keep the ids they have without it.
    """
    corpus = _check_corpus(corpus)
    vectorizer = keras.layers.TextVectorization(output_mode="int")
    vectorizer.adapt(list(corpus))
    if end_token:
        vectorizer.set_vocabulary([str(word) for word in vectorizer.get_vocabulary()] + [END_TOKEN])
    return vectorizer


def end_id(vocabulary) -> int | None:
    """The id of END_TOKEN in `vocabulary`, or None when the vocabulary has no end-of-sentence token."""
    words_list = get_vocabulary(vocabulary)
    return words_list.index(END_TOKEN) if END_TOKEN in words_list else None


def add_end(sequences, vocabulary) -> list:
    """Each id sequence with the end-of-sentence id appended (the vocabulary must have END_TOKEN)."""
    end = end_id(vocabulary)
    if end is None:
        raise ValueError(f"the vocabulary has no {END_TOKEN!r} token: build it with make_vectorizer(corpus, "
                         "end_token=True)")
    return [[int(index) for index in sequence] + [end] for sequence in sequences]


def legacy_word_index(corpus=CORPUS) -> dict:
    """The `word_index` the seed's legacy `Tokenizer().fit_on_texts(corpus)` built, without Keras.

    Ids start at 1 (0 was left free for padding), the most frequent word first, ties in order of first
    appearance. There was no unknown-word id: `texts_to_sequences` silently dropped unknown words.
    """
    counts = Counter()
    for sentence in _check_corpus(corpus):
        cleaned = sentence.lower().translate({ord(ch): " " for ch in _LEGACY_FILTERS})
        counts.update(cleaned.split())
    # Counter keeps first-appearance order and sorted() is stable, as in the old Tokenizer.
    ordered = sorted(counts, key=counts.get, reverse=True)
    return {word: index for index, word in enumerate(ordered, start=1)}


def get_vocabulary(vocabulary) -> list:
    """The vocabulary as a list of strings, from a TextVectorization layer or a list; checked."""
    words = vocabulary.get_vocabulary() if hasattr(vocabulary, "get_vocabulary") else vocabulary
    if isinstance(words, str) or not hasattr(words, "__len__"):
        raise TypeError(
            "vocabulary must be a TextVectorization layer or its get_vocabulary() list, "
            f"not {type(vocabulary).__name__}"
        )
    words = [str(word) for word in words]
    if len(words) < 3 or words[PADDING_ID] != PADDING_TOKEN or words[UNKNOWN_ID] != UNKNOWN_TOKEN:
        raise ValueError(
            "vocabulary must start with the padding token '' (id 0) and '[UNK]' (id 1), followed by at "
            f"least one word, as TextVectorization's get_vocabulary() does; got {words[:4]}..."
        )
    return words


def standardize(text: str) -> list:
    """The words TextVectorization's default settings see in `text`: lowercased, punctuation removed."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, not {type(text).__name__}")
    return split_words(text)


def encode(vocabulary, text: str) -> list:
    """The ids of the words in `text`; raises instead of mapping anything to padding or [UNK].

    Raises EmptyInputError when no word is left and UnknownWordError naming every unknown word.
    """
    words_list = get_vocabulary(vocabulary)
    word_to_id = {word: index for index, word in enumerate(words_list)
                  if index not in RESERVED_IDS and word != END_TOKEN}
    words = standardize(text)
    if not words:
        raise EmptyInputError(
            f"no words in {text!r}: type at least one word the model knows, e.g. 'hello how' "
            "(punctuation is removed before reading)."
        )
    unknown = [word for word in words if word not in word_to_id]
    if unknown:
        raise UnknownWordError(dict.fromkeys(unknown), list(word_to_id))  # dict.fromkeys: unique, in order
    return [word_to_id[word] for word in words]


def decode(vocabulary, ids) -> list:
    """The words for a sequence of ids (padding ids are skipped)."""
    words_list = get_vocabulary(vocabulary)
    return [words_list[int(index)] for index in ids if int(index) != PADDING_ID]


def texts_to_sequences(vectorizer, texts) -> list:
    """Each text as a list of ids computed by the TextVectorization layer, trailing padding removed."""
    padded = np.asarray(vectorizer(list(texts)))  # the layer pads every row to the longest text
    return [[int(index) for index in row if index != PADDING_ID] for row in padded]


# ---------------------------------------------------------------- training pairs


def make_prefixes(sequences) -> list:
    """Every n-gram prefix of length >= 2 of every sequence, in order (as the seed's loop builds them).

    [[2, 3, 4, 6]] -> [[2, 3], [2, 3, 4], [2, 3, 4, 6]]: each prefix's last id is the word to predict
    from the ones before it. Sequences shorter than two words give no prefix.
    """
    prefixes = []
    for sequence in sequences:
        sequence = [int(index) for index in sequence]
        for end in range(2, len(sequence) + 1):
            prefixes.append(sequence[:end])
    return prefixes


def pad_prefixes(prefixes, max_len: int | None = None) -> np.ndarray:
    """Left-pad (pre-pad) the prefixes with 0 to `max_len` (default: the longest prefix).

    Pre-padding puts the real words right before the point where the LSTM's final state is read.
    """
    if not prefixes:
        raise ValueError("no prefixes to pad: every sentence needs at least two words")
    longest = max(len(prefix) for prefix in prefixes)
    max_len = longest if max_len is None else int(max_len)
    if max_len < longest:
        raise ValueError(f"max_len={max_len} would cut words off a prefix of length {longest}")
    return keras.utils.pad_sequences(prefixes, maxlen=max_len, padding="pre", value=PADDING_ID)


def split_inputs_and_targets(padded) -> tuple:
    """Inputs X = every column but the last (the context), targets y = the last column (next word)."""
    padded = np.asarray(padded)
    if padded.ndim != 2 or padded.shape[1] < 2:
        raise ValueError(f"expected a 2-D array with at least 2 columns, got shape {padded.shape}")
    return padded[:, :-1], padded[:, -1]


def make_training_data(vectorizer, corpus=CORPUS) -> tuple:
    """(X, y) for `corpus`: ids -> n-gram prefixes -> pre-padding -> context / next word.

    When the vectorizer's vocabulary has END_TOKEN (make_vectorizer(..., end_token=True)), every sentence
    ends with it, so the last pair of each sentence is (whole sentence -> [END]).
    """
    sequences = texts_to_sequences(vectorizer, _check_corpus(corpus))
    if end_id(vectorizer) is not None:
        sequences = add_end(sequences, vectorizer)
    return split_inputs_and_targets(pad_prefixes(make_prefixes(sequences)))


# ---------------------------------------------------------------- what the data allows


def continuation_counts(X, y) -> dict:
    """For each distinct context (a row of X, as a tuple), how often each next-word id follows it."""
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim != 2 or y.ndim != 1 or len(X) != len(y) or len(y) == 0:
        raise ValueError(f"need X of shape (n, length) and y of shape (n,), n > 0; got {X.shape}, {y.shape}")
    counts = {}
    for context, target in zip(X, y):
        counts.setdefault(tuple(int(i) for i in context), Counter())[int(target)] += 1
    return counts


def bayes_optimal_accuracy(X, y) -> float:
    """The highest training accuracy any model can reach on (X, y).

    A model sees only the context, so for a context followed by different words the best it can do is
    always answer the most frequent one; it is then right max-count times out of all that context's pairs.
    """
    counts = continuation_counts(X, y)
    return sum(max(c.values()) for c in counts.values()) / len(np.asarray(y))


def lowest_possible_loss(X, y) -> float:
    """The lowest mean cross-entropy any model can reach on (X, y) (nats, as Keras reports it).

    Reached by predicting, for each context, exactly the corpus frequencies of its continuations.
    """
    counts = continuation_counts(X, y)
    total = 0.0
    for c in counts.values():
        n = sum(c.values())
        total -= sum(k * np.log(k / n) for k in c.values())
    return total / len(np.asarray(y))


# ---------------------------------------------------------------- model


def build_next_word_model(total_words: int, context_length: int, embedding_dim: int = 10,
                          lstm_units: int = 50) -> keras.Model:
    """The seed's model, compiled as the seed does: Embedding -> LSTM -> Dense(total_words, softmax).

    `keras.Input(shape=(context_length,))` replaces the seed's `Embedding(..., input_length=...)`, which
    Keras 3 removed: the input shape belongs to the model's input, and `summary()` then shows real counts.
    """
    if int(total_words) < 3 or int(context_length) < 1:
        raise ValueError(f"need total_words >= 3 and context_length >= 1, got {total_words}, {context_length}")
    model = keras.Sequential(
        [
            keras.Input(shape=(int(context_length),), dtype="int32"),
            keras.layers.Embedding(int(total_words), embedding_dim),
            keras.layers.LSTM(lstm_units),  # tanh by default, as the seed notes
            keras.layers.Dense(int(total_words), activation="softmax"),
        ],
        name="next_word_lstm",
    )
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model


def train_next_word_model(corpus=CORPUS, epochs: int = 200, seed: int = 42, end_token: bool = False) -> tuple:
    """Build and train the seed's model on `corpus`; returns (model, vectorizer, final_loss).

    `end_token=True` trains on sentences that end with END_TOKEN (see make_vectorizer).

    The seed calls `model.fit(X, y, epochs=200)`. With at most 32 training pairs (batch_size's default)
    every epoch is a single full-batch Adam step, so 200 `train_on_batch` calls make the same 200 updates
    without fit's per-epoch set-up cost, which dominates on data this small.
    """
    from .env import set_seed

    vectorizer = make_vectorizer(corpus, end_token=end_token)
    X, y = make_training_data(vectorizer, corpus)
    if len(y) > 32:
        raise ValueError(f"{len(y)} training pairs do not fit one batch of 32; use model.fit instead")
    set_seed(seed)
    model = build_next_word_model(vectorizer.vocabulary_size(), X.shape[1])
    loss = float("nan")
    for _ in range(int(epochs)):
        loss = float(model.train_on_batch(X, y)[0])
    return model, vectorizer, loss


# ---------------------------------------------------------------- prediction


def context_length(model) -> int | None:
    """How many word ids the model reads (None when it accepts any length)."""
    return model.input_shape[1]


def next_word_probabilities(model, vocabulary, text: str) -> np.ndarray:
    """The model's full softmax output (one probability per vocabulary id) after `text`.

    Raises EmptyInputError / UnknownWordError for unusable text. Text longer than the model's context
    keeps its last words and warns with InputTooLongWarning (the seed's pad_sequences did this silently).
    """
    words_list = get_vocabulary(vocabulary)
    ids = encode(words_list, text)
    return _probabilities_for_ids(model, words_list, _fit_context(model, words_list, ids, warn=True))


def predict_next_word(model, vocabulary, text: str, k: int = 3) -> list:
    """The k most likely next words after `text`, as (word, probability) pairs, most likely first.

    Padding and [UNK] are never returned; the probabilities are the model's own (not renormalized), so
    they sum to at most 1. Ties keep vocabulary order. Raises for empty text, unknown words and k outside
    1..number of words; warns (InputTooLongWarning) when only the last words of a long text were used.
    """
    words_list = get_vocabulary(vocabulary)
    k = _check_k(k, len(words_list) - len(RESERVED_IDS))
    probabilities = next_word_probabilities(model, words_list, text)
    return _top_k(probabilities, words_list, k)


def top_k_chart_data(model, vocabulary, text: str, k: int = 5) -> dict:
    """What a bar chart of the next-word distribution needs.

    Returns {"context": the words the model read, "words": [...], "probabilities": [...],
    "other": probability left for all remaining ids}; the lists are most likely first.
    """
    words_list = get_vocabulary(vocabulary)
    k = _check_k(k, len(words_list) - len(RESERVED_IDS))
    ids = _fit_context(model, words_list, encode(words_list, text), warn=True)
    probabilities = _probabilities_for_ids(model, words_list, ids)
    pairs = _top_k(probabilities, words_list, k)
    shown = sum(p for _, p in pairs)
    return {
        "context": decode(words_list, ids),
        "words": [word for word, _ in pairs],
        "probabilities": [p for _, p in pairs],
        "other": max(0.0, float(probabilities.sum()) - shown),
    }


# ---------------------------------------------------------------- generation


def apply_temperature(probabilities, temperature: float) -> np.ndarray:
    """Reshape a probability distribution: p_i ** (1 / T), renormalized.

    T = 1 leaves it unchanged, T < 1 sharpens it towards the most likely word, T > 1 flattens it
    towards uniform over the words with non-zero probability. T = 0 means greedy: all the probability
    on the most likely id (the first one on ties). Negative, NaN or infinite T raise ValueError.
    """
    temperature = _check_temperature(temperature)
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or np.any(p < 0) or p.sum() <= 0:
        raise ValueError("probabilities must be a 1-D array of non-negative numbers with a positive sum")
    if temperature == 0:
        greedy = np.zeros_like(p)
        greedy[int(np.argmax(p))] = 1.0
        return greedy
    # Shift by log(max p) BEFORE dividing by T: the most likely word's logit is then exactly 0 at any T,
    # so a tiny T (down to 5e-324) overflows the others to -inf (probability 0), never -inf - -inf = NaN.
    with np.errstate(divide="ignore", over="ignore"):
        logits = (np.log(p) - np.log(p.max())) / temperature  # log(0) = -inf stays impossible at any T
    scaled = np.exp(logits)
    return scaled / scaled.sum()


def generate(model, vocabulary, seed_text: str, n_words: int, temperature: float = 1.0, seed=0) -> str:
    """`seed_text` followed by up to `n_words` words sampled one at a time from the model.

    Each step samples from the model's distribution reshaped by `temperature` (see apply_temperature;
    0 = always the most likely word), never padding or [UNK]. `seed` (an int or a numpy Generator)
    makes the sampling repeatable. The model always reads the last `context_length(model)` words, so
    the text can grow past its context; only a seed_text that is itself too long warns.
    With a vocabulary that has END_TOKEN, generation stops early when [END] is sampled (see
    generate_sentence); without it, exactly `n_words` words are added.
    Returns the standardized seed text and the new words, separated by spaces.
    """
    _check_count(n_words, "n_words")
    return generate_sentence(model, vocabulary, seed_text, n_words, temperature, seed)["text"]


def generate_sentence(model, vocabulary, seed_text: str, max_words: int = 10, temperature: float = 1.0,
                      seed=0) -> dict:
    """Sample words after `seed_text` until the model predicts END_TOKEN or `max_words` words are added.

    `max_words` is the guard against a model that never predicts the end (or a vocabulary without
    END_TOKEN, where all `max_words` are always generated). Returns {"text": seed text and new words,
    "new_words": [...], "ended": True when [END] was sampled (it is not part of the text), "steps":
    how many words were sampled including [END]}. Sampling as in generate(): same seed, same words.
    """
    temperature = _check_temperature(temperature)
    _check_count(max_words, "max_words")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    words_list = get_vocabulary(vocabulary)
    end = end_id(words_list)
    ids = encode(words_list, seed_text)
    start = len(ids)
    _fit_context(model, words_list, ids, warn=True)  # warn once about a too-long seed text
    ended, steps = False, 0
    while steps < int(max_words):
        window = _fit_context(model, words_list, ids, warn=False)
        probabilities = _probabilities_for_ids(model, words_list, window)
        probabilities[list(RESERVED_IDS)] = 0.0
        probabilities = apply_temperature(probabilities, temperature)
        next_id = int(rng.choice(len(probabilities), p=probabilities))
        steps += 1
        if next_id == end:
            ended = True
            break
        ids.append(next_id)
    new_words = decode(words_list, ids[start:])
    return {"text": " ".join(decode(words_list, ids)), "new_words": new_words, "ended": ended, "steps": steps}


# ---------------------------------------------------------------- helpers


def _check_corpus(corpus) -> tuple:
    if isinstance(corpus, str):
        raise TypeError("corpus must be a list of sentences, not a single string")
    corpus = tuple(corpus)
    if not corpus or not all(isinstance(s, str) and s.strip() for s in corpus):
        raise ValueError("corpus must be a non-empty list of non-empty sentences")
    return corpus


def _check_k(k, n_words: int) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_words:
        raise ValueError(f"k must be a whole number from 1 to {n_words} (the number of known words), got {k!r}")
    return int(k)


def _check_count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
    return int(value)


def _check_temperature(temperature) -> float:
    try:
        value = float(temperature)
    except (TypeError, ValueError):
        raise ValueError(f"temperature must be a number >= 0, got {temperature!r}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(
            f"temperature must be a finite number >= 0 (0 = always the most likely word, 1 = the model's "
            f"own probabilities, > 1 = more surprising), got {temperature!r}"
        )
    return value


def _fit_context(model, words_list, ids, warn: bool) -> list:
    """The ids the model will read: the last `context_length` of them (warning when some are dropped)."""
    length = context_length(model)
    if length is None or len(ids) <= length:
        return list(ids)
    if warn:
        kept, dropped = decode(words_list, ids[-length:]), decode(words_list, ids[:-length])
        _warn_at_callers_line(
            f"the model reads at most {length} words; it used the last {length}: '{' '.join(kept)}' "
            f"and ignored '{' '.join(dropped)}'",
            InputTooLongWarning,
        )
    return list(ids[-length:])


def _warn_at_callers_line(message: str, category: type) -> None:
    """Warn at the learner's line: the first frame outside this module, however many of ours lie between.

    Found by module, not counted as a `stacklevel`: a count breaks as soon as a wrapper adds a frame
    (a decorator, or the trampolines of the mutation tests). Python 3.12's `skip_file_prefixes` does the
    same, but the course also runs on 3.11.
    """
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__") == __name__:
        frame = frame.f_back
    # no module_globals: that only helps show the source line, and Python 3.13 refuses the globals of a
    # notebook's __main__ (no __spec__.loader), which is exactly where learners call this from
    warnings.warn_explicit(message, category, frame.f_code.co_filename, frame.f_lineno,
                           module=frame.f_globals.get("__name__"),
                           registry=frame.f_globals.setdefault("__warningregistry__", {}))


def _probabilities_for_ids(model, words_list, ids) -> np.ndarray:
    # one probability per word of the vocabulary, for the whole context: a head that predicts at every
    # step (LSTM(return_sequences=True) before the Dense) is refused, not read at its first step
    output = tuple(model.output_shape[1:])
    if output != (len(words_list),):
        raise ValueError(
            f"the model's output has shape {output} but the vocabulary has {len(words_list)} words: use the "
            f"vocabulary the model was trained with, and a model that ends in Dense({len(words_list)}, "
            "softmax) on the LSTM's last state"
        )
    length = context_length(model) or len(ids)
    padded = keras.utils.pad_sequences([ids], maxlen=length, padding="pre", value=PADDING_ID)
    # Calling the model directly is much faster than model.predict for a single example.
    return np.asarray(model(padded, training=False), dtype=np.float64)[0]


def _top_k(probabilities, words_list, k: int) -> list:
    ranked = np.argsort(-probabilities, kind="stable")  # stable: ties keep vocabulary order
    ranked = [int(i) for i in ranked if int(i) not in RESERVED_IDS][:k]
    return [(words_list[i], float(probabilities[i])) for i in ranked]
