"""Unit tests for the small helper modules: course addresses, setup, self-checks, models, stability, timing, plots."""
import matplotlib
import numpy as np
import pytest

import lstm_course
from lstm_course import checks, course, env
from lstm_course.long_range import RunResult
from lstm_course.models import build_sequence_classifier, recurrent_layer
from lstm_course.stability import epochs_at_chance, loss_spike, spread, stability_table


def test_addresses_are_built_from_the_one_repository_setting(monkeypatch):
    monkeypatch.setattr(course, "REPOSITORY", "someone/fork")
    monkeypatch.setattr(course, "BRANCH", "dev")
    assert course.colab_url("lessons/x.ipynb") == \
        "https://colab.research.google.com/github/someone/fork/blob/dev/lessons/x.ipynb"
    assert course.binder_url("lessons/x.ipynb").startswith("https://mybinder.org/v2/gh/someone/fork/dev?")
    assert course.pip_spec() == "lstm-course @ git+https://github.com/someone/fork@dev"


def test_setup_reports_versions_and_makes_numbers_repeatable(capsys):
    info = lstm_course.setup(seed=7)
    assert info["keras"].startswith("3.") and info["seed"] == 7 and info["colab"] is False
    assert "TensorFlow" in capsys.readouterr().out
    first = np.random.rand(3)
    lstm_course.setup(seed=7, verbose=False)
    assert np.array_equal(first, np.random.rand(3))


def test_setup_refuses_old_tensorflow(monkeypatch):
    import tensorflow as tf
    monkeypatch.setattr(tf, "__version__", "2.15.1")
    with pytest.raises(RuntimeError, match="TensorFlow >= 2.16"):
        env.setup(verbose=False)


def test_check_prints_pass_or_fail_with_hint(capsys):
    assert bool(checks.check("ok thing", True)) is True
    assert bool(checks.check("bad thing", False, "try again")) is False
    assert bool(checks.check_close("close", 1.05, 1.0, 0.1)) is True
    assert bool(checks.check_close("far", 2.0, 1.0, 0.1)) is False
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "PASS: ok thing"
    assert out[1] == "FAIL: bad thing -- hint: try again"
    assert out[2].startswith("PASS: close (got 1.05") and out[3].startswith("FAIL: far (got 2")


def test_models_use_keras_input_and_reject_unknown_cells():
    model = build_sequence_classifier("simple_rnn", vocab_size=100, seq_len=7, embed_dim=4, units=3)
    assert model.input_shape == (None, 7)
    assert [type(layer).__name__ for layer in model.layers] == ["Embedding", "SimpleRNN", "Dense"]
    with pytest.raises(ValueError, match="cell must be one of"):
        recurrent_layer("transformer", 4)


def test_stability_measures():
    assert loss_spike([1.0, 0.8, 0.9, 0.5, 0.7]) == pytest.approx(0.2)
    assert loss_spike([1.0, 0.5]) == 0.0
    assert epochs_at_chance([0.5, 0.55, 0.7, 1.0]) == 2
    assert spread([0.5, 0.9, 0.7]) == pytest.approx(0.4)
    with pytest.raises(ValueError):
        spread([])
    runs = [RunResult("lstm", 20, s, acc, train_loss=[0.7, 0.3, 0.1], val_accuracy_curve=[0.5, 0.9, acc])
            for s, acc in enumerate([1.0, 0.98])]
    runs += [RunResult("simple_rnn", 20, s, 0.5, train_loss=[0.7, 0.69, 0.72], val_accuracy_curve=[0.5, 0.5, 0.5])
             for s in range(2)]
    table = stability_table(runs)
    assert table["lstm"]["epochs_at_chance_mean"] == 1 and table["simple_rnn"]["epochs_at_chance_mean"] == 3
    assert table["simple_rnn"]["loss_spike_max"] == pytest.approx(0.03)
    assert table["lstm"]["final_accuracy_spread"] == pytest.approx(0.02)


def test_timing_builds_each_kind_and_measures_a_positive_time():
    from lstm_course.timing import build_timing_model, seconds_per_step
    for kind in ["simple_rnn", "lstm", "attention"]:
        assert build_timing_model(kind, 12).output_shape == (None, 1)
    assert seconds_per_step("lstm", 10, batch_size=4, repeats=1) > 0
    with pytest.raises(ValueError):
        seconds_per_step("lstm", 10, repeats=0)


def test_plots_draw_measured_results():
    matplotlib.use("Agg")
    from lstm_course.plots import plot_accuracy_by_distance, plot_gradient_norms
    runs = [RunResult(c, d, s, a) for c, a in [("lstm", 1.0), ("simple_rnn", 0.5)] for d in (5, 10) for s in (0, 1)]
    ax = plot_accuracy_by_distance(runs)
    assert {t.get_text() for t in ax.get_legend().get_texts()} == {"SimpleRNN", "LSTM", "chance"}
    ax = plot_gradient_norms({"LSTM trained": np.array([1e-3, 1e-2, 1.0])})
    assert ax.get_yscale() == "log"



def test_a_cell_ending_in_a_check_shows_only_its_pass_line():
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from lstm_course.checks import check\nresult = check('shown once', True)\n"
                                  "check('shown once', True)"),
        nbformat.v4.new_code_cell("bool(result)")])
    NotebookClient(nb, kernel_name="python3", timeout=60).execute()
    assert nb.cells[0].outputs == [{"output_type": "stream", "name": "stdout",
                                    "text": "PASS: shown once\nPASS: shown once\n"}]  # no "True" under it
    assert nb.cells[1].outputs[0]["data"]["text/plain"] == "True"  # the result still says it passed


def test_free_memory_drops_traced_functions_but_keeps_weights_and_predictions():
    model = build_sequence_classifier("lstm", vocab_size=20, seq_len=5, embed_dim=4, units=3)
    x, y = np.arange(20, dtype="int32").reshape(4, 5) % 20, np.array([0, 1, 0, 1], dtype="float32")
    model.fit(x, y, epochs=1, verbose=0)
    before = model.predict(x, verbose=0)
    env.free_memory(model)
    assert model.train_function is None and model.test_function is None and model.predict_function is None
    np.testing.assert_array_equal(model.predict(x, verbose=0), before)  # traced again on demand
    env.free_memory()  # no model: only collects garbage and trims the C heap
