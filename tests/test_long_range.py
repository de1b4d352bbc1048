import numpy as np
import pytest

from lstm_course.long_range import (FIRST_DISTRACTOR, NEGATIVE, POSITIVE, RunResult, format_summary,
                                    make_long_range_data, summarize, train_on_distance)


def test_cue_first_then_distractors_and_labels_match_cue():
    X, y = make_long_range_data(200, distance=15, vocab_size=50, seed=3)
    assert X.shape == (200, 16) and X.dtype == np.int32
    assert set(np.unique(X[:, 0])) == {POSITIVE, NEGATIVE}
    assert np.array_equal(y == 1, X[:, 0] == POSITIVE)
    distractors = X[:, 1:]
    assert distractors.min() >= FIRST_DISTRACTOR and distractors.max() < 50


def test_balanced_and_deterministic_per_seed():
    X1, y1 = make_long_range_data(101, 5, seed=7)
    X2, y2 = make_long_range_data(101, 5, seed=7)
    X3, _ = make_long_range_data(101, 5, seed=8)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)
    assert not np.array_equal(X1, X3)
    assert abs(int(y1.sum()) - 50) <= 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_examples=1, distance=5), "n_examples"),
    (dict(n_examples=10, distance=-1), "distance"),
    (dict(n_examples=10, distance=5, vocab_size=3), "vocab_size"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_long_range_data(**kwargs)


def test_summary_reports_mean_min_max_over_seeds():
    results = [RunResult("lstm", 10, s, acc) for s, acc in enumerate([1.0, 0.9, 0.8])]
    results += [RunResult("simple_rnn", 10, s, acc) for s, acc in enumerate([0.5, 0.6, 0.55])]
    table = summarize(results)
    assert table[("lstm", 10)] == pytest.approx((0.9, 0.8, 1.0))
    assert table[("simple_rnn", 10)] == pytest.approx((0.55, 0.5, 0.6))
    text = format_summary(results)
    assert "over 3 seeds" in text and "0.90 [0.80-1.00]" in text


def test_training_is_repeatable_and_lstm_learns_a_short_cue():
    kwargs = dict(n_train=400, n_val=100, epochs=5, units=16, embed_dim=16)
    first = train_on_distance("lstm", 3, seed=0, **kwargs)
    second = train_on_distance("lstm", 3, seed=0, **kwargs)
    assert first.train_loss == second.train_loss  # same seed, same machine: same numbers
    assert first.val_accuracy > 0.9


def test_run_grid_trains_every_combination_in_order_and_keeps_the_models_asked_for(capsys):
    from lstm_course.long_range import run_grid
    tiny = dict(n_train=16, n_val=8, epochs=1, units=2, embed_dim=2, vocab_size=12)
    results, models = run_grid(["simple_rnn", "lstm"], [3], [1], keep_models_for=[("lstm", 3, 1)], **tiny)
    assert [(r.cell, r.distance, r.seed) for r in results] == [("simple_rnn", 3, 1), ("lstm", 3, 1)]
    assert list(models) == [("lstm", 3, 1)]
    model, (X, y) = models[("lstm", 3, 1)]
    assert model.input_shape == (None, 4) and X.shape == (24, 4) and y.shape == (24,)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("simple_rnn  N=3   seed 1: val accuracy ")
    assert lines[-1].startswith("      lstm  N=3   seed 1: val accuracy " + f"{results[-1].val_accuracy:.2f}")
    run_grid(["lstm"], [2], [0], verbose=False, **tiny)
    assert capsys.readouterr().out == ""


# --- lesson 1's grid over input scales (trace once, reuse across seeds) ---------------------------------
from lstm_course.long_range import (KERAS_DEFAULT_EMBEDDING_STD, accuracies, check_lesson_parameters,  # noqa: E402
                                    epochs_used, memory_verdict, rebuild_model, run_scale_grid, select,
                                    train_seeds, untrained_model, who_remembers_better)


def test_keras_default_embedding_std_is_that_of_uniform_005():
    model = untrained_model("simple_rnn", 5, seed=0, input_scale=None, vocab_size=2000)
    assert np.std(model.layers[0].embeddings.numpy()) == pytest.approx(KERAS_DEFAULT_EMBEDDING_STD, rel=0.05)
    scaled = untrained_model("simple_rnn", 5, seed=0, input_scale=1.0, vocab_size=2000)
    assert np.std(scaled.layers[0].embeddings.numpy()) == pytest.approx(1.0, rel=0.05)


def test_reused_runner_gives_each_seed_the_run_of_a_fresh_model():
    kwargs = dict(n_train=128, n_val=64, epochs=2, units=4, embed_dim=4, solved_at=None, verbose=False)
    together, kept = train_seeds("lstm", 4, [0, 1], 1.0, keep_weights_for=[1], **kwargs)
    alone, _ = train_seeds("lstm", 4, [1], 1.0, **kwargs)
    assert together[1].train_loss == pytest.approx(alone[0].train_loss, rel=1e-5)  # no state leaks between seeds
    assert together[0].train_loss != together[1].train_loss
    assert [r.input_scale for r in together] == [1.0, 1.0] and set(kept) == {1}
    model = rebuild_model("lstm", 4, kept[1], units=4, embed_dim=4)
    X, y = make_long_range_data(64, 4, seed=10_001)
    assert model.evaluate(X, y, verbose=0)[0] > 0  # rebuilt with the kept weights


def test_runs_stop_once_solved_and_failing_runs_use_the_whole_budget():
    solved, _ = train_seeds("lstm", 2, [0], None, n_train=400, n_val=100, epochs=30, units=8, embed_dim=8,
                            learning_rate=1e-2, solved_at=0.99, verbose=False)
    assert solved[0].val_accuracy >= 0.99 and len(solved[0].val_accuracy_curve) < 30
    never, _ = train_seeds("lstm", 2, [0], None, n_train=64, n_val=32, epochs=2, units=2, embed_dim=2,
                           solved_at=1.01, verbose=False)
    assert len(never[0].val_accuracy_curve) == 2


def _fake(cell, distance, scale, accs):
    return [RunResult(cell, distance, seed, acc, val_accuracy_curve=[0.5] * (seed + 1), input_scale=scale)
            for seed, acc in enumerate(accs)]


def test_verdicts_are_computed_from_the_runs():
    runs = (_fake("simple_rnn", 40, None, [1.0, 1.0, 0.95]) + _fake("lstm", 40, None, [1.0, 0.5, 1.0])
            + _fake("simple_rnn", 40, 1.0, [0.5, 0.55, 0.52]) + _fake("lstm", 40, 1.0, [1.0, 0.99, 0.55]))
    assert who_remembers_better(runs, 40, None) == "SimpleRNN"
    assert who_remembers_better(runs, 40, 1.0) == "LSTM"
    assert accuracies(runs, "lstm", 40, 1.0) == [1.0, 0.99, 0.55]
    assert epochs_used(runs, "lstm", 40, 1.0) == [1, 2, 3]
    text = memory_verdict(runs, 40, 1.0)
    assert "SimpleRNN learned the cue with 0 of 3 seeds and stayed at chance with 3" in text
    assert "LSTM learned the cue with 2 of 3 seeds and stayed at chance with 1" in text and "std 1" in text
    assert len(select(runs, cell="lstm", input_scale=None)) == 3
    with pytest.raises(ValueError, match="no runs"):
        accuracies(runs, "lstm", 10, None)
    tie = _fake("simple_rnn", 5, None, [1.0]) + _fake("lstm", 5, None, [1.0])
    assert who_remembers_better(tie, 5, None) == "neither"


@pytest.mark.parametrize("distances, seeds, scales, epochs, message", [
    ([], [0], [None, 1.0], 3, "DISTANCES"),
    ([10, 0], [0], [None, 1.0], 3, "DISTANCES"),
    ([10, 10], [0], [None, 1.0], 3, "repeats"),
    ([10], [], [None, 1.0], 3, "SEEDS"),
    ([10], [0.5], [None, 1.0], 3, "SEEDS"),
    ([10], [0], [1.0], 3, "INPUT_SCALES needs None"),
    ([10], [0], [None], 3, "INPUT_SCALES needs None"),
    ([10], [0], [None, -1.0], 3, "positive"),
    ([10], [0], [None, 1.0], 0, "EPOCHS"),
])
def test_lesson_parameters_are_checked_with_a_clear_message(distances, seeds, scales, epochs, message):
    with pytest.raises(ValueError, match=message):
        check_lesson_parameters(distances, seeds, scales, epochs)


def test_lesson_parameters_give_the_farthest_distance_and_largest_scale():
    assert check_lesson_parameters([40, 10], [3, 1], [0.3, None, 2], 4) == (40, 2)


def test_scale_grid_keeps_the_weights_asked_for():
    results, kept = run_scale_grid(["simple_rnn"], [3], [None, 0.5], [0, 1], keep=[("simple_rnn", 3, 0.5, 1)],
                                   verbose=False, n_train=64, n_val=32, epochs=1, units=2, embed_dim=2)
    assert len(results) == 4 and set(kept) == {("simple_rnn", 3, 0.5, 1)}
    assert {(r.input_scale, r.seed) for r in results} == {(None, 0), (None, 1), (0.5, 0), (0.5, 1)}


def test_scale_grid_builds_one_runner_per_model_with_every_size_given(monkeypatch, capsys):
    import lstm_course.long_range as long_range

    made, real = [], long_range.make_runner

    def counting(*args, **kwargs):
        made.append((args, kwargs))
        return real(*args, **kwargs)

    monkeypatch.setattr(long_range, "make_runner", counting)
    sizes = dict(units=2, embed_dim=2, vocab_size=30, learning_rate=0.01)
    results, _ = run_scale_grid(["simple_rnn"], [3], [None, 0.5], [0], n_train=32, n_val=16, epochs=1, **sizes)
    assert len(made) == 1  # one runner serves both input scales
    import inspect
    given = inspect.signature(real).bind(*made[0][0], **made[0][1]).arguments
    assert given == {"cell": "simple_rnn", "distance": 3, **sizes}
    lines = capsys.readouterr().out.splitlines()  # verbose by default: one line per run
    assert len(lines) == 2 and all(line.strip().startswith("simple_rnn  N=3") for line in lines)


def test_untrained_model_is_the_model_train_seeds_starts_from():
    model = untrained_model("lstm", 6, seed=4, input_scale=0.5)
    embedding, lstm, _ = model.layers
    assert model.input_shape == (None, 7)  # the cue and 6 distractors
    assert (embedding.input_dim, embedding.output_dim, lstm.units) == (100, 32, 32)  # train_seeds' defaults
    small = dict(units=3, embed_dim=2, vocab_size=20)
    start = untrained_model("lstm", 6, seed=4, input_scale=0.5, **small).get_weights()
    # what train_seeds starts seed 4 from: one epoch at learning rate 0 leaves the weights where they began
    _, kept = train_seeds("lstm", 6, [4], 0.5, n_train=8, n_val=4, epochs=1, learning_rate=0.0, solved_at=None,
                          keep_weights_for=[4], verbose=False, **small)
    for ours, theirs in zip(start, kept[4], strict=True):
        np.testing.assert_array_equal(ours, theirs)
    plain = untrained_model("lstm", 2, seed=0, units=3, embed_dim=2, vocab_size=10,
                            recurrent_options={"unit_forget_bias": False})
    assert plain.layers[1].unit_forget_bias is False and lstm.unit_forget_bias is True


def test_train_on_distance_defaults_are_the_ones_lesson_2_relies_on():
    """Lesson 2 slices the validation set at 1000 and builds its untrained twin with a vocabulary of 100.
    Every default is read from what a run with no options does (a signature check would not see a default
    changed behind a wrapper)."""
    import time

    before = time.perf_counter()
    result, model, (X, y) = train_on_distance("lstm", 2, seed=3, return_model=True)
    assert 0 < result.seconds < time.perf_counter() - before  # the run's own training time
    expected_X, expected_y = make_long_range_data(1400, 2, 100, seed=10_003)  # its own data stream per seed
    assert np.array_equal(X, expected_X) and np.array_equal(y, expected_y)  # 1000 + 400 sequences
    embedding, lstm, _ = model.layers
    assert len(result.train_loss) == 10 and embedding.input_dim == 100
    assert (embedding.output_dim, lstm.units) == (16, 32)
    assert int(model.optimizer.iterations) == 10 * 32  # 10 epochs of ceil(1000 / 32) batches of 32
    assert 0.9 < float(np.std(embedding.embeddings.numpy())) < 1.1  # initialised with std 1 (10 epochs move it little)


def test_rebuild_model_takes_the_weights_of_the_default_grid_model():
    """Lesson 1 rebuilds the models run_scale_grid kept with rebuild_model's defaults: the sizes must agree."""
    weights = untrained_model("lstm", 3, seed=0).get_weights()  # train_seeds' default sizes
    model = rebuild_model("lstm", 3, weights)
    assert model.input_shape == (None, 4)
    for ours, kept in zip(model.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(ours, kept)


def test_train_seeds_gives_each_seed_the_run_train_on_distance_gives_it(capsys):
    """The docstring's promise: per seed, the same data stream, initial weights (with input_scale) and updates
    as a fresh model trained by train_on_distance; only the traced function is shared."""
    import time

    sizes = dict(n_train=64, n_val=32, epochs=2, batch_size=16, units=4, embed_dim=4, learning_rate=0.01)
    before = time.perf_counter()
    results, _ = train_seeds("lstm", 3, [2, 5], 1.0, solved_at=None, **sizes)
    elapsed = time.perf_counter() - before
    for result in results:
        alone = train_on_distance("lstm", 3, result.seed, embedding_std=1.0, **sizes)
        assert result.train_loss == pytest.approx(alone.train_loss, rel=1e-5)
        assert result.val_accuracy_curve == pytest.approx(alone.val_accuracy_curve)
        assert (result.cell, result.distance, result.input_scale) == ("lstm", 3, 1.0)
        assert 0 < result.seconds < elapsed  # the run's own time, within the call's
    lines = capsys.readouterr().out.splitlines()  # verbose by default, one line per seed, with its scale
    assert [line.split(":")[0] for line in lines] == ["      lstm  N=3           std 1  seed 2",
                                                      "      lstm  N=3           std 1  seed 5"]


class FlushRecorder:
    """A stdout that records what was written and where it was flushed."""

    def __init__(self):
        self.events = []

    def write(self, text):
        self.events.append(text)

    def flush(self):
        self.events.append("<flush>")


def test_progress_lines_are_flushed_as_each_run_ends_and_quiet_runs_print_nothing(monkeypatch, capsys):
    import sys

    recorder = FlushRecorder()
    monkeypatch.setattr(sys, "stdout", recorder)
    tiny = dict(n_train=16, n_val=8, epochs=1, units=2, embed_dim=2, solved_at=None)
    train_seeds("simple_rnn", 2, [0], None, **tiny)
    text = "".join(recorder.events)
    assert "Keras default  seed 0: val accuracy" in text and recorder.events[-1] == "<flush>"  # live in a notebook
    monkeypatch.undo()
    run_scale_grid(["simple_rnn"], [2], [None], [0], verbose=False, **tiny)
    assert capsys.readouterr().out == ""  # neither train_seeds nor Keras' fit prints


def test_a_runner_is_built_once_with_the_sizes_and_learning_rate_it_is_given():
    from lstm_course.long_range import make_runner

    default = make_runner("lstm", 3)
    assert default.shape == ("lstm", 4, 32, 32, 100, 3e-3) and default.model.input_shape == (None, 4)
    assert (default.model.layers[0].output_dim, default.model.layers[1].units) == (32, 32)
    fast = make_runner("gru", 2, units=3, embed_dim=2, vocab_size=20, learning_rate=0.02)
    assert float(fast.model.optimizer.learning_rate) == pytest.approx(0.02)
    assert fast.model.input_shape == (None, 3) and fast.model.layers[0].input_dim == 20


def test_train_seeds_defaults_are_lesson_1s_budget(capsys):
    """The defaults are lesson 1's budget (its TRAINING dict passes the same values): 800 + 200 sequences,
    6 epochs of batches of 32, a run stops once 99% is reached. Read from what runs with no options do (a
    signature check would not see a default changed behind a wrapper): each equals the run given lesson 1's
    values explicitly, and its step count and accuracies show the sizes."""
    from lstm_course.long_range import make_runner

    budget = dict(n_train=800, n_val=200, epochs=6, batch_size=32, learning_rate=3e-3, solved_at=0.99)
    # make_runner's sizes are checked above; a train_seeds with other default sizes refuses its runner
    cases = [("lstm", 2, None), ("simple_rnn", 30, 5.0)]  # solved in its first epoch; never solved
    runs = {}
    for cell, distance, scale in cases:
        runner = make_runner(cell, distance)
        args = (cell, distance, [0]) if scale is None else (cell, distance, [0], scale)  # input_scale: Keras'
        (default,), _ = train_seeds(*args, runner=runner)
        steps = int(runner.model.optimizer.iterations)  # reset per seed, so this run's own steps
        (explicit,), _ = train_seeds(cell, distance, [0], scale, runner=runner, verbose=False, **budget)
        assert default.train_loss == pytest.approx(explicit.train_loss, rel=1e-5)
        assert default.val_accuracy_curve == pytest.approx(explicit.val_accuracy_curve)
        assert default.input_scale == scale
        # ceil(800 / 32) steps an epoch (batches of 33 also take 25: the losses above tell those apart)
        assert steps == len(default.train_loss) * 25
        # accuracies over 200 validation sequences are multiples of 1/200
        assert all(abs(v * 200 - round(v * 200)) < 1e-3 for v in default.val_accuracy_curve)
        runs[cell] = default
    solved, never = runs["lstm"], runs["simple_rnn"]
    assert solved.val_accuracy_curve[-1] >= 0.99 and len(solved.train_loss) < 6  # stopped once solved
    assert max(never.val_accuracy_curve) < 0.99 and len(never.train_loss) == 6  # the whole budget: 6 epochs
    lines = capsys.readouterr().out.splitlines()  # verbose by default: one line for each run with no options
    assert len(lines) == 2 and "seed 0: val accuracy" in lines[0]


def test_the_shortest_task_has_the_cue_as_the_only_token():
    """Distance 0: sequences of one token, the cue itself; train_seeds and train_on_distance both run it."""
    tiny = dict(n_train=16, n_val=8, epochs=1, units=2, embed_dim=2)
    (run,), _ = train_seeds("simple_rnn", 0, [0], None, verbose=False, **tiny)
    assert (run.distance, len(run.train_loss)) == (0, 1)
    assert train_on_distance("simple_rnn", 0, 0, **tiny).distance == 0


def test_a_runner_is_shared_only_by_models_of_its_shape():
    from lstm_course.long_range import make_runner

    runner = make_runner("simple_rnn", 3, units=2, embed_dim=2)
    kwargs = dict(n_train=32, n_val=16, epochs=1, units=2, embed_dim=2, verbose=False)
    first, _ = train_seeds("simple_rnn", 3, [0], None, runner=runner, **kwargs)
    again, _ = train_seeds("simple_rnn", 3, [0], 1.0, runner=runner, **kwargs)
    assert first[0].input_scale is None and again[0].input_scale == 1.0
    with pytest.raises(ValueError, match="runner was made for"):
        train_seeds("simple_rnn", 4, [0], None, runner=runner, **kwargs)


# --- exact outputs of the pure helpers (what lesson 1 prints and decides) ---------------------------------
from lstm_course.long_range import CHANCE, LEARNED, scale_label, stop_when_solved  # noqa: E402


def test_long_range_data_edges_and_types():
    X, y = make_long_range_data(2, distance=0, vocab_size=FIRST_DISTRACTOR + 1)  # the smallest valid task
    assert X.shape == (2, 1) and sorted(X[:, 0].tolist()) == [POSITIVE, NEGATIVE]
    assert y.dtype == np.float32 and sorted(y.tolist()) == [0.0, 1.0]
    X, y = make_long_range_data(1000, distance=3, vocab_size=FIRST_DISTRACTOR + 1)
    assert (X[:, 1:] == FIRST_DISTRACTOR).all()  # one distractor word only
    X, y = make_long_range_data(400, distance=20, vocab_size=10)
    assert y.sum() == 200 and set(np.unique(X[:, 1:])) == set(range(FIRST_DISTRACTOR, 10))
    default_X, default_y = make_long_range_data(50, 4)
    seeded_X, seeded_y = make_long_range_data(50, 4, vocab_size=100, seed=0)
    assert np.array_equal(default_X, seeded_X) and np.array_equal(default_y, seeded_y)
    assert default_X.max() >= 50  # the default vocabulary has 100 words
    assert not np.array_equal(default_y, np.arange(50) % 2)  # labels are shuffled, not alternating


@pytest.mark.parametrize("kwargs, message", [
    (dict(n_examples=1, distance=5), "n_examples must be at least 2, got 1"),
    (dict(n_examples=10, distance=-1), "distance must be >= 0, got -1"),
    (dict(n_examples=10, distance=5, vocab_size=3), "vocab_size must be > 3 to leave room for distractors"),
])
def test_bad_arguments_have_exact_messages(kwargs, message):
    with pytest.raises(ValueError) as error:
        make_long_range_data(**kwargs)
    assert str(error.value) == message


def test_run_result_defaults():
    result = RunResult("lstm", 5, 0, 0.5)
    assert (result.train_loss, result.val_accuracy_curve, result.seconds, result.input_scale) == ([], [], 0.0, None)
    assert result.train_loss is not RunResult("gru", 5, 0, 0.5).train_loss


def test_format_summary_is_an_exact_table():
    results = [RunResult("lstm", 10, s, a) for s, a in enumerate([1.0, 0.9])]
    results += [RunResult("simple_rnn", 10, s, a) for s, a in enumerate([0.5, 0.7])]
    results += [RunResult("gru", 10, s, a) for s, a in enumerate([0.8, 0.8])]
    results += [RunResult(c, 40, s, 0.55) for c in ("lstm", "gru", "simple_rnn") for s in (0, 1)]
    assert format_summary(results).splitlines() == [
        "final validation accuracy, mean [min-max] over 2 seeds",
        "model" + " " * 6 + "N=10".rjust(19) + "N=40".rjust(19),
        "simple_rnn " + "0.60 [0.50-0.70]".rjust(19) + "0.55 [0.55-0.55]".rjust(19),
        "gru" + " " * 8 + "0.80 [0.80-0.80]".rjust(19) + "0.55 [0.55-0.55]".rjust(19),
        "lstm" + " " * 7 + "0.95 [0.90-1.00]".rjust(19) + "0.55 [0.55-0.55]".rjust(19),
    ]


def test_scale_labels():
    assert scale_label(None) == "Keras default"
    assert scale_label(1.0) == "std 1" and scale_label(0.25) == "std 0.25"


def test_verdict_thresholds_are_inclusive_as_documented():
    assert (LEARNED, CHANCE) == (0.9, 0.6)
    runs = _fake("simple_rnn", 8, None, [LEARNED, CHANCE, 0.59]) + _fake("lstm", 8, None, [0.89, 0.95, 1.0])
    assert memory_verdict(runs, 8, None) == (
        "At N=8 with embeddings initialised at Keras default: the SimpleRNN learned the cue with 1 of 3 seeds "
        "and stayed at chance with 1 (accuracy 0.59-0.90); the LSTM learned the cue with 2 of 3 seeds "
        "(accuracy 0.89-1.00).")
    assert who_remembers_better(runs, 8, None) == "LSTM"
    runs = _fake("simple_rnn", 8, 2.0, [LEARNED, LEARNED]) + _fake("lstm", 8, 2.0, [0.89, LEARNED])
    assert who_remembers_better(runs, 8, 2.0) == "SimpleRNN"


def test_runs_are_reported_in_seed_order_and_selected_by_every_condition():
    runs = [RunResult("lstm", 5, seed, acc, val_accuracy_curve=[0.5] * n, input_scale=1.0)
            for seed, acc, n in ((2, 0.7, 3), (0, 0.9, 1), (1, 0.8, 2))]
    runs.append(RunResult("lstm", 5, 3, 0.1, input_scale=None))
    runs.append(RunResult("lstm", 9, 0, 0.3, val_accuracy_curve=[0.5] * 7, input_scale=1.0))  # another distance
    runs.append(RunResult("gru", 5, 0, 0.4, val_accuracy_curve=[0.5] * 5, input_scale=1.0))  # another cell
    assert accuracies(runs, "lstm", 5, 1.0) == [0.9, 0.8, 0.7]
    assert epochs_used(runs, "lstm", 5, 1.0) == [1, 2, 3]
    assert [r.seed for r in select(runs, cell="lstm", input_scale=1.0, seed=1)] == [1]
    with pytest.raises(ValueError) as error:
        accuracies(runs, "simple_rnn", 5, 1.0)
    assert str(error.value) == "no runs for simple_rnn at N=5 with input scale 1.0"
    assert accuracies(runs, "gru", 5, 1.0) == [0.4] and epochs_used(runs, "gru", 5, 1.0) == [5]


@pytest.mark.parametrize("distances, seeds, scales, epochs, message", [
    ([True], [0], [None, 1.0], 3, "DISTANCES must be a non-empty list of whole numbers >= 1, got [True]"),
    ([2.0], [0], [None, 1.0], 3, "DISTANCES must be a non-empty list of whole numbers >= 1, got [2.0]"),
    ([10, 10], [0], [None, 1.0], 3, "DISTANCES has repeats: [10, 10]"),
    ([10], [-1], [None, 1.0], 3, "SEEDS must be a non-empty list of whole numbers >= 0, got [-1]"),
    ([10], [False], [None, 1.0], 3, "SEEDS must be a non-empty list of whole numbers >= 0, got [False]"),
    ([10], [1, 1], [None, 1.0], 3, "SEEDS has repeats: [1, 1]"),
    ([10], [0], [None], 3, "INPUT_SCALES needs None (Keras' default initialisation) and at least one standard "
                           "deviation to compare it with, e.g. [None, 1.0]; got [None]"),
    ([10], [0], [None, True], 3, "every number in INPUT_SCALES must be a positive standard deviation, got [None, True]"),
    ([10], [0], [None, "1"], 3, "every number in INPUT_SCALES must be a positive standard deviation, got [None, '1']"),
    ([10], [0], [None, 0.0], 3, "every number in INPUT_SCALES must be a positive standard deviation, got [None, 0.0]"),
    ([10], [0], [None, 1.0], True, "EPOCHS must be a whole number >= 1, got True"),
    ([10], [0], [None, 1.0], 2.0, "EPOCHS must be a whole number >= 1, got 2.0"),
])
def test_lesson_parameter_messages_are_exact(distances, seeds, scales, epochs, message):
    with pytest.raises(ValueError) as error:
        check_lesson_parameters(distances, seeds, scales, epochs)
    assert str(error.value) == message


def test_smallest_valid_lesson_parameters():
    assert check_lesson_parameters((1,), (0,), (None, 1), 1) == (1, 1)


class _Model:
    stop_training = False


@pytest.mark.parametrize("logs, stops", [
    ({"val_accuracy": 0.9}, True), ({"val_accuracy": 0.95}, True), ({"val_accuracy": 0.89}, False),
    ({"accuracy": 1.0}, False), (None, False),
])
def test_stop_when_solved_stops_at_the_threshold(logs, stops):
    callback = stop_when_solved(0.9)
    model = _Model()
    callback.set_model(model)
    callback.on_epoch_end(0, logs)
    assert model.stop_training is stops


def test_train_seeds_refuses_bad_arguments_before_building_anything():
    with pytest.raises(ValueError) as error:
        train_seeds("lstm", 3, [], None)
    assert str(error.value) == "seeds is empty: give at least one seed"
    for scale in (0, -1.0):
        with pytest.raises(ValueError) as error:
            train_seeds("lstm", 3, [0], scale)
        assert str(error.value) == f"input_scale must be a positive std or None (Keras default), got {scale!r}"
