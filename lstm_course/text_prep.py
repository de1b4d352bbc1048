"""From texts to the fixed-length id sequences a classifier reads, and back to a prediction.

The pipeline is Keras 3's `keras.layers.TextVectorization` (the legacy
`tensorflow.keras.preprocessing.text.Tokenizer` the seeds use is deprecated) followed by padding or
truncating every review to `seq_len` ids. Where the padding goes matters for an LSTM:

* ``padding="pre"`` (the seed's `pad_sequences` default) puts the zeros first, so the last thing the
  LSTM reads, the state the classifier sees, is the end of the review;
* ``padding="post"`` appends the zeros, so the LSTM reads the review and then up to `seq_len` steps of
  padding that can wash out what it remembered, unless the Embedding uses ``mask_zero=True``.

Id 0 is always padding and id 1 is always "[UNK]" (a word outside the vocabulary).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .env import _quiet_tensorflow

_quiet_tensorflow()
import keras  # noqa: E402

PAD_ID, OOV_ID = 0, 1
SIDES = ("pre", "post")
# TextVectorization's default standardisation strips these characters after lower-casing.
_STRIP = re.compile(r'[!"#$%&()\*\+,\-\./:;<=>?@\[\\\]^_`{|}~\']')


def split_words(text: str) -> list:
    """The words TextVectorization's default settings see in `text`: lower-cased, punctuation removed."""
    return _STRIP.sub("", text.lower()).split()


def pad_ids(sequences, seq_len: int, padding: str = "pre", truncating: str = "pre") -> np.ndarray:
    """Make every id sequence exactly `seq_len` long: an int32 array of shape (len(sequences), seq_len).

    padding: where zeros go in a short sequence ("pre" = in front, "post" = after).
    truncating: which end of a long sequence is cut ("pre" keeps the END, as the seed does).
    """
    for name, value in (("padding", padding), ("truncating", truncating)):
        if value not in SIDES:
            raise ValueError(f"{name} must be 'pre' or 'post', not {value!r}")
    if not isinstance(seq_len, (int, np.integer)) or seq_len < 1:
        raise ValueError(f"seq_len must be a positive integer, got {seq_len!r}")
    sequences = [list(s) for s in sequences]
    if not sequences:
        return np.zeros((0, seq_len), dtype="int32")
    return keras.utils.pad_sequences(
        sequences, maxlen=seq_len, padding=padding, truncating=truncating, value=PAD_ID, dtype="int32"
    )


def padding_mask(X) -> np.ndarray:
    """True where a position holds a real token, False on padding: what `mask_zero=True` tells the LSTM."""
    return np.asarray(X) != PAD_ID


def trailing_padding(X) -> np.ndarray:
    """Per sequence, how many padding steps come AFTER the last real token.

    This is how many steps an LSTM without masking reads after the review has ended, i.e. what its
    final state has to survive: 0 for every pre-padded sequence.
    """
    mask = padding_mask(X)
    seq_len = mask.shape[1]
    last_real = seq_len - 1 - np.argmax(mask[:, ::-1], axis=1)  # index of the last real token
    return np.where(mask.any(axis=1), seq_len - 1 - last_real, seq_len)


@dataclass
class SentimentPrediction:
    """What `predict_sentiment` returns; prints as one readable line."""

    text: str
    probability_positive: float
    label: str  # "positive" | "negative"
    known_words: list
    unknown_words: list

    def __str__(self) -> str:
        unknown = f"; not in the vocabulary: {', '.join(self.unknown_words[:8])}" if self.unknown_words else ""
        shown = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        return f"{self.label.upper():8s} (P(positive) = {self.probability_positive:.2f}) {shown!r}{unknown}"


class TextVectorizer:
    """Texts -> int32 arrays of shape (n, seq_len), with a vocabulary learned from training texts.

    >>> vectorizer = TextVectorizer(vocab_size=5000, seq_len=50, padding="pre").adapt(train_texts)
    >>> X_train = vectorizer(train_texts)            # (n, 50), zeros in front of short reviews
    >>> post = vectorizer.with_layout(seq_len=200, padding="post")   # same vocabulary, other layout
    """

    def __init__(self, vocab_size: int = 5000, seq_len: int = 50, padding: str = "pre", truncating: str = "pre"):
        if not isinstance(vocab_size, (int, np.integer)) or vocab_size < 3:
            raise ValueError(f"vocab_size must be an integer >= 3 (padding, [UNK] and a word), got {vocab_size!r}")
        pad_ids([], seq_len, padding, truncating)  # validates the layout arguments
        self.vocab_size = int(vocab_size)
        self.seq_len = int(seq_len)
        self.padding = padding
        self.truncating = truncating
        # max_tokens counts the padding id and [UNK] too, so ids stay < vocab_size = Embedding input_dim.
        self.layer = keras.layers.TextVectorization(max_tokens=self.vocab_size, output_mode="int", ragged=True)
        self._vocabulary = None

    # -- learning the vocabulary ------------------------------------------------------------------
    def adapt(self, texts) -> TextVectorizer:
        """Learn the vocabulary (most frequent words first) from training texts; returns self."""
        texts = _as_text_list(texts)
        if not any(t.strip() for t in texts):
            raise ValueError("adapt() needs at least one non-empty training text")
        self.layer.adapt(texts, batch_size=256)
        self._vocabulary = [str(word) for word in self.layer.get_vocabulary()]
        return self

    @property
    def vocabulary(self) -> list:
        """Words by id: vocabulary[0] is '' (padding), vocabulary[1] is '[UNK]'."""
        self._require_adapted()
        return self._vocabulary

    def with_layout(self, seq_len: int | None = None, padding: str | None = None, truncating: str | None = None):
        """A vectorizer with the same vocabulary but another length or padding side (no re-fitting)."""
        self._require_adapted()
        other = TextVectorizer.__new__(TextVectorizer)
        other.vocab_size, other.layer, other._vocabulary = self.vocab_size, self.layer, self._vocabulary
        other.seq_len = self.seq_len if seq_len is None else int(seq_len)
        other.padding = padding or self.padding
        other.truncating = truncating or self.truncating
        pad_ids([], other.seq_len, other.padding, other.truncating)
        return other

    # -- texts to ids -----------------------------------------------------------------------------
    def token_ids(self, texts) -> list:
        """Unpadded id lists, one per text, in reading order (words outside the vocabulary -> 1)."""
        self._require_adapted()
        texts = _as_text_list(texts)
        if not texts:
            return []
        return [list(row) for row in self.layer(texts).to_list()]

    def __call__(self, texts) -> np.ndarray:
        return pad_ids(self.token_ids(texts), self.seq_len, self.padding, self.truncating)

    def words(self, text: str) -> list:
        """`(word, id)` pairs of one text, after the layer's standardisation (lower case, no punctuation)."""
        ids = self.token_ids([text])[0]
        words = split_words(text)
        if len(words) != len(ids):  # exotic characters split differently: fall back to the vocabulary
            words = [self.vocabulary[i] for i in ids]
        return list(zip(words, ids))

    def decode(self, ids) -> str:
        """Text of one id sequence; padding is dropped, words outside the vocabulary read [UNK]."""
        vocabulary = self.vocabulary
        return " ".join(vocabulary[int(i)] for i in ids if int(i) != PAD_ID)

    def __repr__(self) -> str:
        size = len(self._vocabulary) if self._vocabulary is not None else "not adapted"
        return (
            f"TextVectorizer(vocab_size={self.vocab_size}, seq_len={self.seq_len}, padding={self.padding!r}, "
            f"truncating={self.truncating!r}, vocabulary={size})"
        )

    def _require_adapted(self):
        if self._vocabulary is None:
            raise RuntimeError("call adapt(train_texts) first: the vectorizer has no vocabulary yet")


def make_vectorizer(train_texts, vocab_size: int = 5000, seq_len: int = 50, padding: str = "pre",
                    truncating: str = "pre") -> TextVectorizer:
    """A TextVectorizer adapted on `train_texts` (never on test texts: that would leak test words)."""
    return TextVectorizer(vocab_size, seq_len, padding, truncating).adapt(train_texts)


def predict_sentiment(model, vectorizer: TextVectorizer, text: str, threshold: float = 0.5) -> SentimentPrediction:
    """Classify one review the learner typed, with the model's probability that it is positive.

    Raises a clear error instead of guessing when the text is empty, has no words the model knows,
    or the vectorizer's sequence length does not match the model's input.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("The review is empty: type a sentence or two, e.g. 'The acting was great.'")
    pairs = vectorizer.words(text)
    if not pairs:
        raise ValueError(f"{text!r} contains no words (only punctuation or symbols): type a sentence.")
    known = [w for w, i in pairs if i != OOV_ID]
    unknown = [w for w, i in pairs if i == OOV_ID]
    if not known:
        vocabulary = vectorizer.vocabulary
        raise ValueError(
            f"None of the words in {text!r} are in the model's vocabulary ({len(vocabulary) - 2:,} words "
            "learned from the training reviews), so any answer would be a guess. Write it with ordinary "
            "review words, e.g. 'The acting was great but the story was boring.'"
        )
    expected = getattr(model, "input_shape", (None, None))
    if isinstance(expected, tuple) and len(expected) == 2 and expected[1] not in (None, vectorizer.seq_len):
        raise ValueError(
            f"the model reads sequences of {expected[1]} ids but the vectorizer makes {vectorizer.seq_len}: "
            f"use the vectorizer the model was trained with (or vectorizer.with_layout(seq_len={expected[1]}))"
        )
    output = np.asarray(model.predict(vectorizer([text]), verbose=0))
    if output.size != 1:
        raise ValueError(f"the model gives {output.size} numbers per review; predict_sentiment needs one, the "
                         "probability that the review is positive (a model ending in Dense(1, sigmoid))")
    probability = float(output.item())  # exactly one number, checked above
    label = "positive" if probability >= threshold else "negative"
    return SentimentPrediction(text, probability, label, known, unknown)


def _as_text_list(texts) -> list:
    if isinstance(texts, str):
        raise TypeError("expected a list of texts, got a single string: wrap it in a list")
    texts = list(texts)
    for t in texts:
        if not isinstance(t, str):
            raise TypeError(f"every text must be a string, got {type(t).__name__}")
    return texts
