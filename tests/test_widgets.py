"""The lesson explorers: first the plain functions they wrap, then the widgets (moved as a learner would).

No front end is needed: the explorers put their results into HTML and Image widget values, which the
tests read. The browser test (test_browser.py) checks that the same widgets render and react in JupyterLab.
"""
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from lstm_course import next_word as nw
from lstm_course.env import set_seed
from lstm_course.long_range import RunResult
from lstm_course.models import build_sequence_classifier
from lstm_course.numpy_lstm import run_fixed_gates
from lstm_course.text_prep import make_vectorizer, predict_sentiment
from lstm_course.widgets import _base, gates, memory, sentiment
from lstm_course.widgets import next_word as nw_widget
from notebook_runner import ROOT

# ------------------------------------------------------------------ shared pieces


def test_message_html_escapes_and_checks_its_kind():
    box = _base.message_html("<b>no</b> & more", "warning")
    assert "&lt;b&gt;no&lt;/b&gt; &amp; more" in box and "lstm-course-warning" in box
    with pytest.raises(ValueError, match="kind"):
        _base.message_html("x", "shout")


def test_bars_html_scales_clips_and_escapes():
    bars = _base.bars_html(["<a>", "b", "c"], [0.5, 2.0, -1.0], max_value=1.0)
    assert "&lt;a&gt;" in bars and "<a>" not in bars
    assert "width:50.0%" in bars and "width:100.0%" in bars and "width:0.0%" in bars
    assert "0.50" in bars and "2.00" in bars
    with pytest.raises(ValueError, match="2 labels but 1 values"):
        _base.bars_html(["a", "b"], [1.0])


def test_chart_svg_draws_one_point_per_label_and_refuses_bad_input():
    svg = _base.chart_svg(["x", "y", "z"], [{"name": "s", "values": [0, 0.5, 1], "color": "red"},
                                            {"name": "b", "values": [1, -1, 0], "color": "gray", "kind": "bar"}],
                          (-1, 1), highlight=1)
    assert svg.startswith("<svg") and svg.count("<circle") == 3 and svg.count("<polyline") == 1
    assert svg.count('fill="gold"') == 1  # the highlighted word
    with pytest.raises(ValueError, match="2 values for 3"):
        _base.chart_svg(["x", "y", "z"], [{"name": "s", "values": [0, 1], "color": "red"}], (0, 1))
    with pytest.raises(ValueError, match="y_range"):
        _base.chart_svg(["x"], [], (1, 1))


# ------------------------------------------------------------------ lesson 1: distance explorer

CELLS = ("simple_rnn", "lstm")


@pytest.fixture(scope="module")
def long_range_results():
    """Results as `run_grid` returns them: SimpleRNN fades with distance, LSTM does not."""
    accuracy = {("simple_rnn", 10): [0.95, 0.9, 0.85], ("simple_rnn", 40): [0.5, 0.52, 0.48],
                ("lstm", 10): [1.0, 1.0, 0.99], ("lstm", 40): [1.0, 0.97, 1.0]}
    return [RunResult(cell, distance, seed, acc)
            for (cell, distance), accs in accuracy.items() for seed, acc in enumerate(accs)]


@pytest.fixture(scope="module")
def gradient_norms():
    steps = np.arange(41)
    return {"SimpleRNN trained": 0.5 ** (40 - steps), "LSTM trained": 0.95 ** (40 - steps)}


def test_memory_at_distance_looks_up_every_seed(long_range_results, gradient_norms):
    info = memory.memory_at_distance(long_range_results, gradient_norms, 40)
    assert info["accuracy"] == {"simple_rnn": [0.5, 0.52, 0.48], "lstm": [1.0, 0.97, 1.0]}
    assert info["mean"]["simple_rnn"] == pytest.approx(0.5) and info["spread"]["lstm"] == (0.97, 1.0)
    assert info["seeds"] == [0, 1, 2]
    # a word 40 steps before the last of a 41-step sequence is the cue at t=0
    assert info["step"] == 0
    assert info["gradient"]["SimpleRNN trained"] == pytest.approx(0.5 ** 40)
    near = memory.memory_at_distance(long_range_results, gradient_norms, 10)
    assert near["step"] == 30 and near["gradient"]["LSTM trained"] == pytest.approx(0.95 ** 10)
    assert near["gradient_last"]["LSTM trained"] == pytest.approx(1.0)


def test_memory_at_distance_refuses_what_was_not_measured(long_range_results, gradient_norms):
    with pytest.raises(ValueError, match=r"N=20.*N = \[10, 40\]"):
        memory.memory_at_distance(long_range_results, gradient_norms, 20)
    with pytest.raises(ValueError, match="results is empty"):
        memory.memory_at_distance([], gradient_norms, 10)
    with pytest.raises(ValueError, match="same, non-zero number of steps"):
        memory.memory_at_distance(long_range_results, {"a": np.ones(41), "b": np.ones(30)}, 10)


def test_memory_beyond_the_gradient_sequence_has_no_gradient_step(gradient_norms):
    results = [RunResult("lstm", 60, 0, 0.9), RunResult("simple_rnn", 60, 0, 0.5)]
    info = memory.memory_at_distance(results, gradient_norms, 60)
    assert info["step"] is None and info["gradient"] == {}
    assert "gradient" not in memory.describe_memory(info)


def test_distance_explorer_moves_from_cached_figures(long_range_results, gradient_norms, monkeypatch):
    explorer = memory.distance_explorer(long_range_results, gradient_norms)
    redraws = []  # a slider move must be a look-up of the figures drawn at start, never a redraw
    monkeypatch.setattr(memory, "plot_memory_at_distance", lambda *args: redraws.append(args))
    slider = explorer.controls["distance"]
    assert list(slider.options) == [10, 40] and slider.value == 40
    far_text, far_png = explorer.text.value, bytes(explorer.figure.value)
    assert "0.50, 0.52, 0.48" in far_text and far_png.startswith(b"\x89PNG")
    slider.value = 10
    assert explorer.text.value != far_text and bytes(explorer.figure.value) != far_png
    assert "0.95, 0.90, 0.85" in explorer.text.value and "t=30" in explorer.text.value
    assert explorer.error is None and redraws == []  # speed itself is measured by tools/widget_timings.py
    assert explorer.summary().startswith("N=10: SimpleRNN accuracy 0.90")


def test_static_copy_is_added_outside_colab(long_range_results, gradient_norms, monkeypatch):
    explorer = memory.distance_explorer(long_range_results, gradient_norms)
    shown = explorer._repr_mimebundle_()
    if shown is None:  # ipywidgets 7 displays through _ipython_display_ instead
        pytest.skip("ipywidgets 7: no _repr_mimebundle_")
    bundle, metadata = shown  # the still copy is a figure, so it comes with metadata: its alt text
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert "image/png" in bundle and bundle["text/plain"] == explorer.summary()
    assert metadata == {"image/png": {"alt": explorer.summary()}} and explorer.summary().strip()
    monkeypatch.setitem(sys.modules, "google.colab", object())
    colab_bundle = explorer._repr_mimebundle_()
    assert "image/png" not in colab_bundle and "application/vnd.jupyter.widget-view+json" in colab_bundle


# ------------------------------------------------------------------ lesson 2: gate explorers

WORDS = ["the", "movie", "was", "long", "but", "the", "ending", "was", "amazing"]
PLAN = {"long": dict(forget=1.0, input=1.0, candidate=-0.5, output=0.2),
        "but": dict(forget=0.1, input=0.0, candidate=0.0, output=0.2),
        "amazing": dict(forget=1.0, input=1.0, candidate=0.9, output=1.0)}
NEUTRAL = dict(forget=1.0, input=0.0, candidate=0.0, output=0.2)
STEPS = [PLAN.get(w, NEUTRAL) for w in WORDS]


def test_set_word_gates_copies_and_validates():
    changed = gates.set_word_gates(STEPS, 4, forget=1.0)
    assert changed[4] == dict(PLAN["but"], forget=1.0) and STEPS[4]["forget"] == 0.1  # input not modified
    with pytest.raises(ValueError, match="0..8"):
        gates.set_word_gates(STEPS, 9, forget=1.0)
    with pytest.raises(ValueError, match="unknown gate"):
        gates.set_word_gates(STEPS, 0, remember=1.0)


def test_fixed_gate_trace_follows_the_lstm_update():
    trace = gates.fixed_gate_trace(WORDS, STEPS)
    assert [s["word"] for s in trace] == WORDS
    # c = f * c_prev + i * g: -0.5 at "long", 10 % kept at "but", +0.9 at "amazing"
    assert trace[3]["c"] == pytest.approx(-0.5) and trace[4]["c"] == pytest.approx(-0.05)
    assert trace[-1]["c"] == pytest.approx(0.85) and trace[-1]["h"] == pytest.approx(np.tanh(0.85))
    assert [s["c"] for s in trace] == [s["c"] for s in run_fixed_gates(STEPS)]
    with pytest.raises(ValueError, match="9 words but 2"):
        gates.fixed_gate_trace(WORDS, STEPS[:2])


def test_hand_set_explorer_redraws_when_a_gate_moves():
    explorer = gates.hand_set_gates_explorer(WORDS, STEPS, word="but")
    assert explorer.controls["forget"].value == pytest.approx(0.1)
    before = explorer.text.value
    assert "c = +0.85" in before and "<svg" in before
    explorer.controls["forget"].value = 1.0  # stop forgetting "long" at "but"
    assert "c = +0.40" in explorer.text.value and explorer.text.value != before
    assert explorer.error is None  # reaction time: tools/widget_timings.py in the benchmark, not a timed test


def test_choosing_another_word_shows_its_gates_without_changing_any():
    explorer = gates.hand_set_gates_explorer(WORDS, STEPS, word="but")
    explorer.controls["forget"].value = 0.5
    explorer.controls["word"].value = WORDS.index("amazing")
    assert explorer.controls["candidate"].value == pytest.approx(0.9)  # the sliders now show "amazing"
    assert explorer.steps[4]["forget"] == pytest.approx(0.5)  # "but" kept what was set
    assert explorer.steps[8] == PLAN["amazing"]  # and "amazing" was not overwritten while switching
    explorer.controls["candidate"].value = -0.9
    assert explorer.trace[-1]["c"] == pytest.approx(0.5 * -0.5 - 0.9)


TEXTS = ["a great film", "a terrible film", "great acting and a great story", "terrible plot and bad acting"]


@pytest.fixture(scope="module")
def small_classifier():
    vectorizer = make_vectorizer(TEXTS, vocab_size=50, seq_len=12)
    set_seed(1)
    model = build_sequence_classifier("lstm", vocab_size=50, seq_len=12, embed_dim=4, units=3, mask_zero=True)
    return model, vectorizer


def test_trained_gates_explorer_traces_the_typed_text(small_classifier):
    model, vectorizer = small_classifier
    explorer = gates.trained_gates_explorer(model, vectorizer, text="a great film")
    first_png, first_text = bytes(explorer.figure.value), explorer.text.value
    assert first_png.startswith(b"\x89PNG") and "3 words" in first_text
    explorer.controls["text"].value = "terrible plot and a mysteriousword"
    assert bytes(explorer.figure.value) != first_png and "5 words" in explorer.text.value
    assert "1 word(s) outside the vocabulary" in explorer.text.value
    keras_prob = float(model.predict(vectorizer(["terrible plot and a mysteriousword"]), verbose=0)[0, 0])
    assert f"{keras_prob:.2f}" in explorer.summary()


def test_trained_gates_still_copy_carries_alt_text_from_the_trace(small_classifier):
    model, vectorizer = small_classifier
    explorer = gates.trained_gates_explorer(model, vectorizer, text="a great film")
    data, metadata = explorer._repr_mimebundle_()  # outside Colab: the widget plus a still copy
    assert "image/png" in data and "a great film" in metadata["image/png"]["alt"]
    assert f"{explorer.trace['prob_positive'][-1]:.2f}" in metadata["image/png"]["alt"]


@pytest.mark.parametrize("text", ["", "?!"])
def test_trained_gates_explorer_shows_a_message_for_unusable_text(small_classifier, text):
    model, vectorizer = small_classifier
    explorer = gates.trained_gates_explorer(model, vectorizer)
    explorer.controls["text"].value = text
    assert explorer.error and "lstm-course-error" in explorer.text.value and "Traceback" not in explorer.text.value
    assert explorer.figure.layout.display == "none"
    explorer.controls["text"].value = "a great film"  # and it recovers
    assert explorer.error is None and explorer.figure.layout.display is None


# ------------------------------------------------------------------ lesson 3: sentiment box


def test_sentiment_explorer_matches_predict_sentiment(small_classifier):
    model, vectorizer = small_classifier
    explorer = sentiment.sentiment_explorer(model, vectorizer, text="a great film")
    expected = predict_sentiment(model, vectorizer, "a great film")
    assert explorer.prediction.probability_positive == pytest.approx(expected.probability_positive)
    assert expected.label.upper() in explorer.text.value
    assert f"{expected.probability_positive:.2f}" in explorer.text.value
    before = explorer.text.value
    explorer.controls["text"].value = "terrible plot and bad acting, zorblax"
    assert explorer.text.value != before and "zorblax" in explorer.text.value
    assert explorer.summary() == str(predict_sentiment(model, vectorizer, "terrible plot and bad acting, zorblax"))


@pytest.mark.parametrize("text, message", [("", "empty"), ("!!!", "no words"), ("zorblax quuxly", "None of the words")])
def test_sentiment_explorer_explains_bad_input(small_classifier, text, message):
    model, vectorizer = small_classifier
    explorer = sentiment.sentiment_explorer(model, vectorizer)
    explorer.controls["text"].value = text
    assert message in explorer.error and message in explorer.text.value
    assert "lstm-course-error" in explorer.text.value


def test_a_bug_is_reported_plainly_not_as_a_traceback(small_classifier):
    model, vectorizer = small_classifier
    explorer = sentiment.sentiment_explorer(model, vectorizer)
    explorer.model = None  # e.g. the learner overwrote the model variable
    explorer.controls["text"].value = "a great film"
    assert explorer.error.startswith("AttributeError") and "Something went wrong" in explorer.text.value


# ------------------------------------------------------------------ lesson 4: next words


@pytest.fixture(scope="module")
def next_word_model():
    model, vectorizer, _ = nw.train_next_word_model(epochs=40, seed=0)
    return model, nw.get_vocabulary(vectorizer)


def test_graph_compiled_model_gives_the_same_probabilities(next_word_model):
    model, vocabulary = next_word_model
    fast = nw_widget.fast_model(model)
    assert isinstance(fast, nw_widget.GraphCompiledModel)
    X, _ = nw.make_training_data(nw.make_vectorizer())
    np.testing.assert_allclose(fast(X), np.asarray(model(X, training=False)), rtol=0, atol=1e-6)
    fast_top, keras_top = (nw.predict_next_word(m, vocabulary, "hello how", k=3) for m in (fast, model))
    assert [w for w, _ in fast_top] == [w for w, _ in keras_top]
    assert [p for _, p in fast_top] == pytest.approx([p for _, p in keras_top], abs=1e-6)


def test_next_word_view_agrees_with_the_next_word_functions(next_word_model):
    model, vocabulary = next_word_model
    view = nw_widget.next_word_view(model, vocabulary, "hello how", k=3, temperature=0.5, n_words=3, n_samples=2)
    top = nw.predict_next_word(model, vocabulary, "hello how", k=3)
    assert view["words"] == [w for w, _ in top] and view["probabilities"] == pytest.approx([p for _, p in top])
    assert view["context"] == ["hello", "how"] and view["warning"] is None
    assert view["samples"] == [nw.generate(model, vocabulary, "hello how", 3, 0.5, seed=s) for s in (0, 1)]
    # sharpening (T < 1) moves probability towards the favourite
    assert view["at_temperature"][0] > view["probabilities"][0]
    greedy = nw_widget.next_word_view(model, vocabulary, "hello how", k=3, temperature=0.0)
    assert greedy["at_temperature"] == [1.0, 0.0, 0.0] and len(set(greedy["samples"])) == 1


def test_next_word_view_reports_a_too_long_prefix(next_word_model):
    model, vocabulary = next_word_model
    view = nw_widget.next_word_view(model, vocabulary, "hello how are your friends", k=2)
    assert view["context"] == ["how", "are", "your", "friends"] and "ignored 'hello'" in view["warning"]


def test_next_word_explorer_follows_the_prefix_and_the_temperature(next_word_model):
    model, vocabulary = next_word_model
    explorer = nw_widget.next_word_explorer(model, vocabulary, prefix="hello", temperature=2.0)
    hot = explorer.text.value
    assert "after &#x27;hello&#x27;" in hot and "T = 2" in hot
    explorer.controls["temperature"].value = 0.0
    assert explorer.text.value != hot and len(set(explorer.view["samples"])) == 1
    explorer.controls["prefix"].value = "hello what"
    assert explorer.view["context"] == ["hello", "what"]
    assert explorer.view["words"][0] == nw.predict_next_word(model, vocabulary, "hello what", k=1)[0][0]
    assert explorer.error is None  # reaction time: tools/widget_timings.py in the benchmark, not a timed test


@pytest.mark.parametrize("prefix, message", [("", "no words"), ("hello world", "unknown word(s) ['world']")])
def test_next_word_explorer_explains_bad_input(next_word_model, prefix, message):
    model, vocabulary = next_word_model
    explorer = nw_widget.next_word_explorer(model, vocabulary)
    explorer.controls["prefix"].value = prefix
    assert message in explorer.error and "lstm-course-error" in explorer.text.value


def test_too_long_prefix_is_a_warning_not_an_error(next_word_model):
    model, vocabulary = next_word_model
    explorer = nw_widget.next_word_explorer(model, vocabulary, prefix="hello how are your friends")
    assert explorer.error is None and "lstm-course-warning" in explorer.text.value


def test_next_word_view_marks_samples_that_stopped_at_the_end_token():
    vocabulary = nw.get_vocabulary(nw.make_vectorizer(end_token=True))
    set_seed(0)
    model = nw.build_next_word_model(len(vocabulary), 4)
    kernel, _ = model.layers[-1].get_weights()
    always_end = np.full(len(vocabulary), -30.0, dtype="float32")
    always_end[nw.end_id(vocabulary)] = 0.0  # softmax of the bias alone: [END] with probability ~1
    model.layers[-1].set_weights([np.zeros_like(kernel), always_end])
    view = nw_widget.next_word_view(model, vocabulary, "hello how", k=2, n_words=6, n_samples=2)
    assert view["ended"] == [True, True] and view["samples"] == ["hello how", "hello how"]
    explorer = nw_widget.next_word_explorer(model, vocabulary, prefix="hello how", n_words=6)
    assert "stopped at [END]" in explorer.text.value and "[END]" in explorer.summary()


# ------------------------------------------------------------------ Colab ships ipywidgets 7

IPYWIDGETS_7_SCRIPT = textwrap.dedent("""
    import numpy as np
    import ipywidgets
    assert ipywidgets.__version__.startswith("7."), ipywidgets.__version__
    from lstm_course import next_word as nw
    from lstm_course.long_range import RunResult
    from lstm_course.models import build_sequence_classifier
    from lstm_course.text_prep import make_vectorizer
    from lstm_course.widgets import (distance_explorer, hand_set_gates_explorer, next_word_explorer,
                                     sentiment_explorer, trained_gates_explorer)
    results = [RunResult(c, d, s, 0.5 + 0.1 * s) for c in ("simple_rnn", "lstm") for d in (5, 9) for s in (0, 1)]
    explorer = distance_explorer(results, {"LSTM trained": np.linspace(0.1, 1, 10)})
    explorer.controls["distance"].value = 5
    assert "N=5" in explorer.summary(), explorer.summary()
    gates = hand_set_gates_explorer(["a", "b"], [dict(forget=1, input=1, candidate=0.5, output=1)] * 2)
    gates.controls["input"].value = 0.5
    assert "c = +0.75" in gates.summary(), gates.summary()
    vectorizer = make_vectorizer(["a great film", "a bad film"], vocab_size=20, seq_len=5)
    classifier = build_sequence_classifier("lstm", vocab_size=20, seq_len=5, embed_dim=2, units=2)
    for box in (trained_gates_explorer(classifier, vectorizer, "a film"), sentiment_explorer(classifier, vectorizer)):
        box.controls["text"].value = "a great film"
        assert box.error is None, box.error
        box.controls["text"].value = ""
        assert box.error, "empty text must give a message"
    model, words, _ = nw.train_next_word_model(epochs=2)
    explorer = next_word_explorer(model, words)
    explorer.controls["temperature"].value = 0.0
    assert explorer.error is None and len(set(explorer.view["samples"])) == 1
    print("ipywidgets", ipywidgets.__version__, "ok")
""")


def test_explorers_build_and_react_with_ipywidgets_7(tmp_path):
    """Colab's ipywidgets 7, installed beside (and shadowing) the project's 8 for one subprocess."""
    target = tmp_path / "ipywidgets7"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
         "--target", str(target), "ipywidgets==7.8.5", "ipython_genutils==0.2.0"],
        capture_output=True, text=True, timeout=300)
    if install.returncode != 0:
        pytest.skip(f"could not install ipywidgets 7.8.5 from the package index: {install.stderr[-500:]}")
    run = subprocess.run([sys.executable, "-c", IPYWIDGETS_7_SCRIPT], capture_output=True, text=True, timeout=600,
                         cwd=ROOT, env={**__import__("os").environ, "PYTHONPATH": str(target)})
    assert run.returncode == 0, run.stderr[-3000:]
    assert "ipywidgets 7.8.5 ok" in run.stdout


# ------------------------------------------------------------------ the lessons show them

LESSON_EXPLORERS = {
    "01_why_simple_rnns_forget.ipynb": ["distance_explorer(results, norms)"],
    "02_inside_the_lstm.ipynb": ["hand_set_gates_explorer(words, steps", "trained_gates_explorer(sentiment_lstm, vectorizer"],
    "03_lstm_sentiment_classifier.ipynb": ["sentiment_explorer(typing_model, typing_vectorizer"],
    "04_next_word_prediction.ipynb": ["next_word_explorer(end_model, end_vectorizer"],
}


@pytest.mark.parametrize("name", sorted(LESSON_EXPLORERS))
def test_each_lesson_displays_its_explorers_and_prints_their_state(name):
    import nbformat

    cells = [c for c in nbformat.read(str(ROOT / "lessons" / name), as_version=4).cells if c.cell_type == "code"]
    for call in LESSON_EXPLORERS[name]:
        found = [c for c in cells if call in c.source]
        assert len(found) == 1, f"{name}: no cell builds {call}...)"
        lines = found[0].source.strip().splitlines()
        variable = lines[-1].strip()
        assert variable.isidentifier(), f"{name}: the cell must end by displaying the explorer, not {lines[-1]!r}"
        # the printed summary is what a reader without a widget front end sees in plain text
        assert f"print({variable}.summary())" in found[0].source
