"""Typical wrong submissions, each with the exact score of every autograded cell and the hint it must show.

A submission is the release with some answer cells replaced (`answers`: grade_id -> source); every
other answer cell holds the solution. `scores` lists only the cells that do NOT get full marks (every
other autograded cell must); `hints` gives, for a cell that fails, a phrase its error must contain:
the hint that names the concept, never the answer. Several mistakes share one submission when they
sit in independent parts (one slip costs one part), which keeps the suite fast; a cascade (a wrong
`lstm_step` also spoils the part that uses it) is part of what is asserted.

`tests/test_assignments.py` grades every entry through nbgrader (expectations evaluated in the
notebook) and checks scores and hints; `RIGHT` lists unusual but correct answers that must keep
full marks.
"""

# ------------------------------------------------------------------ assignment 1

A1_SWAPPED_GATES = '''
def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]
    z = x @ kernel + h_prev @ recurrent_kernel + bias
    f = sigmoid(z[..., 0:units])
    i = sigmoid(z[..., units:2 * units])
    g = np.tanh(z[..., 2 * units:3 * units])
    o = sigmoid(z[..., 3 * units:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
'''

A1_NO_BIAS = '''
def lstm_step(x, h_prev, c_prev, kernel, recurrent_kernel, bias):
    units = recurrent_kernel.shape[0]
    z = x @ kernel + h_prev @ recurrent_kernel
    i, f, o = (sigmoid(z[..., k * units:(k + 1) * units]) for k in (0, 1, 3))
    g = np.tanh(z[..., 2 * units:3 * units])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
'''

A1_NUMPY_SCALAR = '''
kept_with_unit_bias = ...
chosen_forget_bias = ...
c = np.ones(1)
for _ in range(40):
    h, c = lstm_step(np.zeros(1), np.zeros(1), c, np.zeros((1, 4)), np.zeros((1, 4)), np.array([0.0, 1.0, 0.0, 0.0]))
kept_with_unit_bias = c[0]          # a NumPy float64, not a Python float
chosen_forget_bias = 6
'''

# ------------------------------------------------------------------ assignment 2

A2_SOFTMAX_OUTPUT = '''
def build_model(cell_type):
    if cell_type not in ("simple_rnn", "lstm"):
        raise ValueError("cell_type must be 'simple_rnn' or 'lstm'")
    recurrent = keras.layers.LSTM if cell_type == "lstm" else keras.layers.SimpleRNN
    model = keras.Sequential([
        keras.Input(shape=(SEQ_LEN,), dtype="int32"),
        keras.layers.Embedding(VOCAB_SIZE, EMBED_DIM, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0)),
        recurrent(UNITS),
        keras.layers.Dense(1, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(LEARNING_RATE), loss="binary_crossentropy", metrics=["accuracy"])
    return model
'''

A2_MEASURES_SLIPS = '''
def loss_spike(losses):
    losses = [float(v) for v in losses]
    return max([0.0] + [abs(b - a) for a, b in zip(losses, losses[1:])])   # a fall counted as a spike


def epochs_at_chance(val_accuracies, threshold=CHANCE_THRESHOLD):
    return int(sum(float(a) <= threshold for a in val_accuracies))        # <= instead of <


def generalisation_gap(history):
    return float(history["accuracy"][-1]) - float(history["val_accuracy"][-1])


def spread(values):
    return np.max(values) - np.min(values)                                # a NumPy scalar


def gradient_ratio(norms):
    return float(norms[-1]) / float(norms[0])                             # last over first
'''

A2_CHANCE_NO_SQRT = '''
def chance_bound(n):
    return 0.5 + 2.326 * 0.25 / n


validation_size_needed = ...
validation_size_needed = next(n for n in range(1, 100_000) if chance_bound(n) <= CHANCE_THRESHOLD)
'''

# ------------------------------------------------------------------ assignment 3

A3_POST_PADDING = '''
def make_prefixes(sequences):
    return [[int(i) for i in s[:end]] for s in sequences for end in range(2, len(s) + 1)]


def pre_pad(prefixes, max_len):
    padded = np.zeros((len(prefixes), max_len), dtype=int)
    for row, prefix in enumerate(prefixes):
        if len(prefix) > max_len:
            raise ValueError("prefix longer than max_len")
        padded[row, :len(prefix)] = prefix                                 # zeros on the right
    return padded


def split_context_target(padded):
    padded = np.asarray(padded)
    return padded[:, :-1], padded[:, -1]
'''

A3_OFF_BY_ONE = '''
def make_prefixes(sequences):
    return [[int(i) for i in s[:end]] for s in sequences for end in range(1, len(s) + 1)]   # starts at length 1


def pre_pad(prefixes, max_len):
    padded = np.zeros((len(prefixes), max_len), dtype=int)
    for row, prefix in enumerate(prefixes):
        if len(prefix) > max_len:
            raise ValueError("prefix longer than max_len")
        if len(prefix):
            padded[row, max_len - len(prefix):] = prefix
    return padded


def split_context_target(padded):
    padded = np.asarray(padded)
    return padded[:, :-1], padded[:, -1]
'''

A3_COUNT_OCCURRENCES = '''
def best_possible_accuracy(X, y):
    from collections import Counter
    counts = {}
    for context, target in zip(np.asarray(X), np.asarray(y)):
        counts.setdefault(tuple(int(i) for i in context), Counter())[int(target)] += 1
    return sum(max(c.values()) for c in counts.values()) / len(y)


def continuations_needed(X, y):
    from collections import Counter
    seen = Counter(tuple(int(i) for i in context) for context in np.asarray(X))
    return max(seen.values())                                               # occurrences, not different words


k_demo = ...
k_demo = continuations_needed(X, y)
'''

A3_CATEGORICAL_LOSS = '''
def build_next_word_model(total_words, context_length):
    model = keras.Sequential([
        keras.Input(shape=(context_length,), dtype="int32"),
        keras.layers.Embedding(total_words, 10),
        keras.layers.LSTM(50),
        keras.layers.Dense(total_words, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    return model
'''

A3_RENORMALISED_AND_GUESSING = '''
def predict_next_word(model, vocabulary, text, k=3):
    vocabulary = list(vocabulary)
    words = standardize(text)
    if not words:
        raise ValueError("the input is empty")
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(vocabulary) - 2:
        raise ValueError("k out of range")
    length = model.input_shape[1]
    ids = [vocabulary.index(w) if w in vocabulary else 1 for w in words][-length:]   # unknown -> [UNK], guess
    probabilities = np.asarray(model.predict(pre_pad([ids], length), verbose=0))[0]
    real = probabilities[2:] / probabilities[2:].sum()                               # renormalised
    order = np.argsort(-real, kind="stable")[:k]
    return [(vocabulary[i + 2], float(real[i])) for i in order]
'''

# A correct predict_next_word written the common way: np.argsort(p)[::-1] (ties in reverse order).
A3_ARGSORT = '''
def predict_next_word(model, vocabulary, text, k=3):
    vocabulary = list(vocabulary)
    words = standardize(text)
    if not words:
        raise ValueError(f"empty input: {text!r} has no words")
    unknown = [w for w in words if w not in vocabulary[2:]]
    if unknown:
        raise ValueError(f"unknown words: {', '.join(unknown)}")
    if type(k) is not int or not 1 <= k <= len(vocabulary) - 2:
        raise ValueError(f"k must be an int from 1 to {len(vocabulary) - 2}")
    length = model.input_shape[1]
    ids = [vocabulary.index(w) for w in words][-length:]
    p = np.asarray(model.predict(pre_pad([ids], length), verbose=0))[0]
    ranked = [int(i) for i in np.argsort(p)[::-1] if i >= 2][:k]
    return [(vocabulary[i], float(p[i])) for i in ranked]
'''

WRONG = {
    "a1_lstm_concepts": {
        "a1_unnamed_and_swapped_gates": {
            "answers": {
                # the old instruction said `answer = "B"`: the stub now names practice_q1, which stays `...`
                "a1_practice_q1_answer": 'practice_q1 = ...  # your answer\nanswer = "B"',
                "a1_lstm_step_answer": A1_SWAPPED_GATES,
            },
            "scores": {"a1_practice_q1_tests": 0, "a1_lstm_step_gate_order_tests": 0, "a1_lstm_step_keras_tests": 0,
                       "a1_lstm_step_single_example_tests": 0, "a1_forget_bias_unit_tests": 0,
                       "a1_forget_bias_choice_tests": 0},
            "hints": {"a1_practice_q1_tests": "choose exactly one letter",
                      "a1_lstm_step_gate_order_tests": "the forget and input gates are swapped",
                      "a1_lstm_step_keras_tests": "the forget and input gates are swapped",
                      "a1_lstm_step_single_example_tests": "the forget and input gates are swapped"},
        },
        "a1_missing_bias_and_quiz_slips": {
            "answers": {
                "a1_lstm_step_answer": A1_NO_BIAS,
                "a1_quiz_q2_answer": 'quiz_q2 = "A, B, C, D"',
                "a1_practice_q2_answer": 'practice_q2 = "A"',
                "a1_param_count_answer": "def lstm_param_count(input_dim, units):\n    return 4 * (input_dim * units + units * units)",
            },
            "scores": {"a1_practice_q2_tests": 0, "a1_quiz_q2_wrong_options_tests": 0,
                       "a1_lstm_step_gate_order_tests": 0, "a1_lstm_step_keras_tests": 0,
                       "a1_lstm_step_single_example_tests": 0, "a1_param_count_tests": 0,
                       "a1_forget_bias_unit_tests": 0, "a1_forget_bias_choice_tests": 0},
            "hints": {"a1_practice_q2_tests": "the input gate scales what is written",
                      "a1_quiz_q2_wrong_options_tests": "gates do not make an LSTM parallel",
                      "a1_lstm_step_keras_tests": "the bias is missing",
                      "a1_param_count_tests": "the bias is missing"},
        },
        "a1_numpy_scalar": {
            "answers": {"a1_forget_bias_answer": A1_NUMPY_SCALAR},
            "scores": {"a1_forget_bias_unit_tests": 0},
            "hints": {"a1_forget_bias_unit_tests": "a NumPy scalar"},
        },
    },
    "a2_rnn_vs_lstm_stability": {
        # one student, three independent slips (training runs once per a2 submission: the slow part)
        "a2_softmax_measure_slips_no_sqrt": {
            "answers": {"a2_build_model_answer": A2_SOFTMAX_OUTPUT, "a2_measures_answer": A2_MEASURES_SLIPS,
                        "a2_chance_answer": A2_CHANCE_NO_SQRT},
            "scores": {"a2_build_model_output_tests": 0, "a2_loss_spike_tests": 0, "a2_epochs_at_chance_tests": 0,
                       "a2_spread_tests": 0, "a2_gradient_ratio_tests": 0, "a2_summarise_extremes_tests": 0,
                       "a2_chance_bound_tests": 0, "a2_validation_size_tests": 0},
            "hints": {"a2_build_model_output_tests": "a softmax over a single unit always outputs 1.0",
                      "a2_loss_spike_tests": "a fall does not count",
                      "a2_epochs_at_chance_tests": "strictly below",
                      "a2_spread_tests": "a NumPy scalar",
                      "a2_gradient_ratio_tests": "first over last",
                      "a2_chance_bound_tests": "square root of the variance",
                      "a2_validation_size_tests": "square root of the variance"},
        },
    },
    "a3_next_word": {
        "a3_post_padding_and_counting": {
            "answers": {"a3_pairs_answer": A3_POST_PADDING, "a3_best_accuracy_answer": A3_COUNT_OCCURRENCES},
            # predict_next_word pads with the student's pre_pad: the same slip costs Part D's input cell too;
            # best_possible_accuracy itself is right (and gives 0.8 on the post-padded pairs as well)
            "scores": {"a3_pre_pad_tests": 0, "a3_training_pairs_tests": 0, "a3_continuations_tests": 0,
                       "a3_predict_input_tests": 0},
            "hints": {"a3_pre_pad_tests": "post-padding", "a3_training_pairs_tests": "the first pair",
                      "a3_continuations_tests": "not how often the context occurs",
                      "a3_predict_input_tests": "post-padding"},
        },
        "a3_off_by_one_loss_and_guessing": {
            "answers": {"a3_pairs_answer": A3_OFF_BY_ONE, "a3_model_answer": A3_CATEGORICAL_LOSS,
                        "a3_predict_answer": A3_RENORMALISED_AND_GUESSING},
            # the one-id prefixes add the context "nothing" -> "hello": k_demo stays 2, so B2 keeps its point
            "scores": {"a3_prefixes_tests": 0, "a3_training_pairs_tests": 0, "a3_best_accuracy_tests": 0,
                       "a3_model_output_tests": 0,
                       "a3_predict_probabilities_tests": 0, "a3_predict_unknown_tests": 0},
            "hints": {"a3_prefixes_tests": "a one-id prefix has no context",
                      "a3_model_output_tests": "that loss expects one-hot rows",
                      "a3_predict_probabilities_tests": "do not renormalise",
                      "a3_predict_unknown_tests": "never map it to [UNK]"},
        },
    },
}

RIGHT = {  # unusual but correct answers: full marks
    "a3_next_word": {"a3_argsort_ties": {"a3_predict_answer": A3_ARGSORT}},
}

# Answer cells that only import the course's reference functions. Plain nbgrader cannot tell (the
# package holds them), the course's grader scores these parts 0 and names the reason.
IMPORT_ONLY = {
    "a1_lstm_concepts": {
        "a1_lstm_step_answer": "from lstm_course.numpy_lstm import lstm_step",
        "a1_param_count_answer": "from lstm_course.models import lstm_param_count",
    },
    "a2_rnn_vs_lstm_stability": {
        "a2_measures_answer": ("from lstm_course.stability import loss_spike, epochs_at_chance, spread\n"
                               "def generalisation_gap(history):\n"
                               "    return float(history['accuracy'][-1]) - float(history['val_accuracy'][-1])\n"
                               "def gradient_ratio(norms):\n    return float(norms[0]) / float(norms[-1])"),
    },
    "a3_next_word": {
        "a3_pairs_answer": ("from lstm_course.next_word import make_prefixes, split_inputs_and_targets as split_context_target\n"
                            "from lstm_course import next_word as nw\npre_pad = lambda p, n: nw.pad_prefixes(p, n)"),
        "a3_best_accuracy_answer": ("import importlib\nbest_possible_accuracy = importlib.import_module('lstm_course.next_word').bayes_optimal_accuracy\n"
                                    "def continuations_needed(X, y):\n    return 2\nk_demo = 2"),
        "a3_model_answer": "from lstm_course.next_word import *",
        "a3_predict_answer": "import lstm_course.next_word\npredict_next_word = getattr(lstm_course.next_word, 'predict_' + 'next_word')",
    },
}
