import numpy as np
import pytest

from lstm_course.env import set_seed
from lstm_course.gate_trace import trace_gates
from lstm_course.gradients import input_gradient_norms
from lstm_course.long_range import make_long_range_data
from lstm_course.models import build_sequence_classifier
from lstm_course.text_prep import make_vectorizer


def test_simple_rnn_gradient_vanishes_faster_than_lstm_at_init():
    X, y = make_long_range_data(64, distance=30, seed=0)
    ratios = {}
    for cell in ("simple_rnn", "lstm"):
        set_seed(0)
        model = build_sequence_classifier(cell, vocab_size=100, seq_len=31, embed_dim=16, units=16, embedding_std=1.0)
        norms = input_gradient_norms(model, X)
        assert norms.shape == (31,) and np.all(norms > 0)
        assert norms[0] < norms[-1]  # earlier steps get less gradient
        ratios[cell] = norms[0] / norms[-1]
    assert ratios["lstm"] > 10 * ratios["simple_rnn"]


def test_loss_target_needs_labels_and_bad_models_are_refused():
    X, y = make_long_range_data(8, distance=4, seed=0)
    model = build_sequence_classifier("lstm", vocab_size=100, seq_len=5, embed_dim=4, units=4)
    assert input_gradient_norms(model, X, y, target="loss").shape == (5,)
    with pytest.raises(ValueError, match="needs the labels"):
        input_gradient_norms(model, X, target="loss")
    with pytest.raises(ValueError, match="target must be"):
        input_gradient_norms(model, X, target="accuracy")


TEXTS = ["a great film", "a terrible film", "great acting and a great story", "terrible plot and bad acting"]


@pytest.mark.parametrize("mask_zero", [False, True])
def test_gate_trace_reproduces_keras_prediction(mask_zero):
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=12)
    set_seed(1)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=12, embed_dim=4, units=3, mask_zero=mask_zero)
    text = "A great film with an unknownword"
    trace = trace_gates(model, vectorizer, text)
    assert trace["words"] == ["a", "great", "film", "[UNK]", "[UNK]", "[UNK]"]
    assert trace["forget"].shape == (6, 3)
    keras_prob = float(model.predict(vectorizer([text]), verbose=0)[0, 0])
    assert trace["prob_positive"][-1] == pytest.approx(keras_prob, abs=1e-5)


def test_gate_trace_keeps_only_words_the_model_kept():
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=3)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=3, embed_dim=4, units=2)
    trace = trace_gates(model, vectorizer, "a great film and a great story")
    assert trace["words"] == ["a", "great", "story"]  # truncating="pre" keeps the end


@pytest.mark.parametrize("text", ["", "   ", "!!!"])
def test_gate_trace_refuses_empty_text(text):
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=5)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=5, embed_dim=4, units=2)
    with pytest.raises(ValueError, match="non-empty|no words"):
        trace_gates(model, vectorizer, text)
