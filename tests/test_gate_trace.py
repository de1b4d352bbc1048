"""gate_trace on sequences without a vectorizer (lesson 2's cue task), its figure and its alt text."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lstm_course.env import set_seed  # noqa: E402
from lstm_course.gate_trace import cue_memory, describe_gate_trace, plot_gate_trace, trace_sequence  # noqa: E402
from lstm_course.long_range import make_long_range_data  # noqa: E402
from lstm_course.models import build_sequence_classifier  # noqa: E402


@pytest.fixture(scope="module")
def cue_model():
    set_seed(3)
    return build_sequence_classifier("lstm", vocab_size=30, seq_len=6, embed_dim=4, units=3)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_trace_sequence_reproduces_keras_step_by_step(cue_model):
    X, _ = make_long_range_data(4, distance=5, vocab_size=30, seed=1)
    trace = trace_sequence(cue_model, X[0], ["cue"] + [f"w{i}" for i in X[0, 1:]])
    assert trace["words"][0] == "cue" and trace["c"].shape == (6, 3)
    # the prediction after k steps equals Keras reading only the first k ids (no padding: mask_zero=False)
    for steps in (1, 3, 6):
        partial = build_sequence_classifier("lstm", vocab_size=30, seq_len=steps, embed_dim=4, units=3)
        partial.set_weights(cue_model.get_weights())
        keras_prob = float(partial(X[:1, :steps])[0, 0])
        assert trace["prob_positive"][steps - 1] == pytest.approx(keras_prob, abs=1e-5)
    gates = [trace[g] for g in ("input", "forget", "output")]
    assert all(np.all((g > 0) & (g < 1)) for g in gates) and np.all(np.abs(trace["candidate"]) < 1)


def test_trace_sequence_skips_masked_padding():
    set_seed(0)
    model = build_sequence_classifier("lstm", vocab_size=30, seq_len=5, embed_dim=4, units=2, mask_zero=True)
    trace = trace_sequence(model, np.array([0, 0, 7, 8, 9]), list("abcde"))
    assert trace["words"] == ["c", "d", "e"]
    assert trace["prob_positive"][-1] == pytest.approx(float(model(np.array([[0, 0, 7, 8, 9]]))[0, 0]), abs=1e-5)


@pytest.mark.parametrize("ids, labels, message", [
    ([], None, "non-empty 1-D"),
    ([[1, 2]], None, "non-empty 1-D"),
    ([1.5, 2.0], None, "integer ids"),
    ([1, 2, 3], ["a", "b"], "one label per step"),
    ([1, 2, 99], None, "must be in 0..29"),
])
def test_trace_sequence_refuses_bad_input(cue_model, ids, labels, message):
    with pytest.raises(ValueError, match=message):
        trace_sequence(cue_model, np.asarray(ids), labels)


def test_plot_labels_units_and_titles_and_alt_text_comes_from_the_numbers(cue_model):
    X, _ = make_long_range_data(2, distance=5, vocab_size=30, seed=2)
    trace = trace_sequence(cue_model, X[0])
    fig = plot_gate_trace(trace, title="my title", unit_ids=[2, 0])
    heatmaps = [ax for ax in fig.axes if ax.get_ylabel() == "unit"]
    assert len(heatmaps) == 4 and fig.axes[0].get_title() == "my title"
    assert all([t.get_text() for t in ax.get_yticklabels()] == ["2", "0"] for ax in heatmaps)
    assert [ax.get_title(loc="left").split(" (")[0] for ax in heatmaps] == [
        "forget gate $f_t$", "input gate $i_t$", "output gate $o_t$", "cell state $c_t$"]
    alt = describe_gate_trace(trace, [2, 0])
    assert f"mean forget gate {trace['forget'][:, [2, 0]].mean():.2f}" in alt
    assert f"P(positive) goes from {trace['prob_positive'][0]:.2f} to {trace['prob_positive'][-1]:.2f}" in alt
    with pytest.raises(ValueError, match="unit_ids must be in 0..2"):
        plot_gate_trace(trace, unit_ids=[5])


# ---------------------------------------------------------------- cue_memory: how a cue is carried


def _forward(seed, examples=6, steps=5, features=3, units=4, scale=1.0):
    from lstm_course.numpy_lstm import lstm_forward

    rng = np.random.default_rng(seed)
    weights = [rng.normal(scale=scale, size=s) for s in ((features, 4 * units), (units, 4 * units), (4 * units,))]
    return lstm_forward(rng.normal(size=(examples, steps, features)), *weights)


def test_cue_memory_splits_the_final_cell_state_exactly_as_the_unrolled_update():
    trained, before = _forward(0), _forward(1)
    labels = np.array([1, 0, 1, 0, 1, 0])
    memory = cue_memory(trained, before, labels)
    unit = memory["unit"]
    np.testing.assert_allclose(memory["belt_part"] + memory["written_part"], trained["c"][:, -1, unit], atol=1e-12)
    np.testing.assert_array_equal(memory["f_trained"], trained["forget"][:, 1:, unit])
    np.testing.assert_array_equal(memory["f_before"], before["forget"][:, 1:, unit])
    assert memory["f_trained"].shape == (6, 4) and memory["c"].shape == (6, 5)


def _synthetic(c, forget, write_gate, candidate):
    return {"c": c, "forget": forget, "input": write_gate, "candidate": candidate}


def test_cue_memory_finds_the_unit_whose_final_state_tells_the_label_and_how_it_kept_it():
    labels = np.array([1, 0, 1, 0])
    examples, steps, units = 4, 4, 2
    forget = np.full((examples, steps, units), 0.5)
    no_writes = np.zeros((examples, steps, units))
    c = np.zeros((examples, steps, units))
    c[:, 0, 0] = np.where(labels == 1, 1.0, -1.0)                # unit 0 stores the cue at step 0 ...
    c[:, 0, 1] = [0.3, 0.3, -0.3, -0.3]                           # unit 1 does not follow the label
    for t in range(1, steps):                                     # ... and only the forget gate acts after it
        c[:, t] = forget[:, t] * c[:, t - 1]
    memory = cue_memory(_synthetic(c, forget, no_writes, no_writes), _synthetic(c, forget, no_writes, no_writes),
                        labels)
    assert memory["unit"] == 0 and memory["unit_accuracy"] == 1.0
    assert memory["belt_share"] == pytest.approx(1.0) and memory["writes_agree"] == 0.0
    np.testing.assert_allclose(memory["belt_part"], c[:, -1, 0])


def test_cue_memory_refuses_unusable_traces():
    trained = _forward(0)
    with pytest.raises(ValueError, match="both labels present"):
        cue_memory(trained, trained, np.ones(6))
    with pytest.raises(ValueError, match="one 0/1 label per example"):
        cue_memory(trained, trained, np.array([1, 0]))
    with pytest.raises(ValueError, match="same sequences"):
        cue_memory(trained, _forward(1, steps=4), np.array([1, 0] * 3))
