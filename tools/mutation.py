"""Mutation testing of the course's core modules with mutmut: `make mutation` (or `python tools/mutation.py`).

mutmut plants one small bug at a time (an operator, a constant, a dropped argument, ...) in a module and
runs the tests that exercise the mutated function; a mutant the tests do not notice "survives". For each
module this prints the score (killed / all mutants) and every survivor as a diff, except survivors listed
in EQUIVALENT below with the reason no test can tell them apart from the original.

Each module runs in its own scratch copy of the project (MUTATION_DIR, default /tmp/lstm-course-mutation),
so mutmut's `mutants/` folder never appears in the working tree.

    python tools/mutation.py                      # every module in MODULES
    python tools/mutation.py numpy_lstm reviews   # some modules
    python tools/mutation.py --changed            # modules changed since their recorded run (CI)
    python tools/mutation.py --recheck reviews    # after adding tests: rerun only the survivors
    python tools/mutation.py long_range --functions summarize,select   # only these functions

Exit status 1 if a module scores below TARGET (0.90, counting listed equivalents as killed), leaves a survivor
that is neither killed nor listed, times out on more than MAX_TIMEOUT_SHARE of its mutants, or lists a mutant
that did not survive (a stale entry would excuse a future mutant nobody checked).

Figures: tools/mutation_record.json holds each module's last complete run (mutants, killed, listed
equivalents, timeouts, seconds, and the hash of what it ran on: the module, its tests, the shared fixtures,
pytest's options, the pinned requirements and the module's lists below); `make mutation` prints them with every
survivor. Scores, runs and times of 6 Dec 2026 are in issue 13's closing note. The whole set takes over an hour
on 2 cores (the TensorFlow modules most of it), so CI runs `--changed --no-tensorflow`: it reruns the modules
whose files changed since their record and fails on a TensorFlow module whose record is stale.
A recheck (--recheck) keeps the earlier kills: it assumes the tests were strengthened, not weakened, since.
It reruns every mutant that was not killed, every mutant of a function changed since (by mutmut's own hash)
and of the functions that call it, against tests mapped to functions afresh. When mutmut's configuration,
the shared fixtures, pytest's options, the pinned libraries, the module outside its functions or the other
project code it imports changed, a recheck is a full run. Only a mutant that ran and survived can be listed.
"""
from __future__ import annotations

import argparse
import ast
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET = 0.90
# A mutant that hangs its tests is killed (in the suite, pytest-timeout fails that test), but a run where many
# time out more likely hung in its runner (as forking after TensorFlow ran an op did): not a pass.
MAX_TIMEOUT_SHARE = 0.2
KILLED = ("killed", "timeout")  # mutmut's statuses that count as a kill

# module of lstm_course -> the unit-test files that exercise it (fast ones: no notebook is executed).
MODULES = {
    "numpy_lstm": ["tests/test_numpy_lstm.py"],
    "text_prep": ["tests/test_text_prep.py", "tests/test_properties_text_prep.py"],
    "reviews": ["tests/test_reviews.py", "tests/test_properties_reviews.py"],
    "next_word": ["tests/test_next_word.py", "tests/test_properties_next_word.py"],
    "gradients": ["tests/test_gradients_and_trace.py"],
    "long_range": ["tests/test_long_range.py"],
    "expectations": ["tests/test_expectations.py"],  # the grader's verdict code (grading helper)
    "verdict": ["tests/test_grading_verdicts.py", "tests/test_verdict_exact.py"],  # the grader's side: probe replies -> verdicts
}
# The source of a module that is not lstm_course/<module>.py.
SOURCES = {"verdict": "grading/verdict.py"}
# Packages copied into the scratch project: the tests import both.
PACKAGES = ("lstm_course", "grading")


def source_of(module: str) -> str:
    """The module's file, relative to the project root."""
    return SOURCES.get(module, f"lstm_course/{module}.py")


def dotted_name(module: str) -> str:
    """The module's import name, the prefix of its mutants' names (lstm_course.reviews, grading.verdict)."""
    return source_of(module).removesuffix(".py").replace("/", ".")

# Survivors that are equivalent to the original, keyed by (module, function, mutated line): no input can
# tell them apart, so no test can kill them. Each with the reason.
_ANY_NON_CSV = "load_reviews reads any kind but 'csv' as an aclImdb folder, so the exact string never matters"
_INT_LABELS = "every caller passes labels that are already an integer array"
_NEWLINES = ("newline translation only turns \\r\\n inside a quoted review into \\n, and clean_review_text "
             "collapses all whitespace anyway")
_NO_REPLACE = "Generator.choice treats replace=None like False (sampling without replacement)"
_FIRST_LOOK = "any start value but 0 makes the first look count as progress, as -1 does"
_RECAST = "lstm_step casts x, h and c to float64 at every step, so the dtype given here never matters"
_SPEC_HAS = "make_spec() always sets message_has (for raises=) and mistakes, so the default is never used"
_INF_ONLY = "called only with an infinite number, +inf or -inf"
_CLASS_NAMES = "every class has __name__, __module__ and __qualname__, so the default is never used"
_FIXTURES_ALL = "lstm_course.probe_fixtures defines __all__"
_CODEC_CASE = "codec names are case-insensitive"
_HEADER_CASE = ("HTTP header names are case-insensitive: urlopen's response.headers (an email.message.Message, for "
                "http, https, ftp and file URLs alike) finds Content-Length however the name is spelled")


# Survivors that a test COULD tell apart but that the course deliberately does not pin: an arbitrary
# constant whose every nearby value is as good. Reported separately from the equivalents, with the reason.
ACCEPTED: dict[tuple[str, str, str], str] = {
    ("reviews", "_load_generated",
     "test_texts, test_labels = generate_reviews(n_test, seed=seed + 1000004)  # disjoint random stream"):
        "observable (another offset gives other generated test reviews) but arbitrary: any offset that keeps the "
        "test stream apart from the training streams of the seeds a learner uses is as good; pinning it would "
        "pin data, not behaviour",
}


def _keyword_mutants(module: str, function: str, template: str, keyword: str, reason: str) -> dict:
    """mutmut's two mutants of a keyword argument, as EQUIVALENT entries: set to None, and dropped."""
    return {(module, function, template.format(f"{keyword}=None")): reason,
            (module, function, template.format("")): reason}


EQUIVALENT: dict[tuple[str, str, str], str] = {
    **{("verdict", "read_probe_reply", f"raise ValueError({text})"):
       "unreachable: _ONE_STRING_LITERAL admits only a str literal, so literal_eval never returns a non-str"
       for text in ("None", '"XXnot a stringXX"', '"NOT A STRING"')},
    ("numpy_lstm", "sigmoid", "pos = z > 0"): "at z = 0 both branches give exactly 0.5",
    ("numpy_lstm", "sigmoid", "pos = z >= 1"):
        "for 0 <= z < 1 the other branch, e^z / (1 + e^z), is the same function (equal to rounding) and cannot overflow",
    **_keyword_mutants("numpy_lstm", "lstm_forward", "inputs = np.asarray(inputs, {})", "dtype", _RECAST),
    **_keyword_mutants("numpy_lstm", "lstm_forward",
                       "h = np.zeros((batch, units)) if h0 is None else np.asarray(h0, {})", "dtype", _RECAST),
    **_keyword_mutants("numpy_lstm", "lstm_forward",
                       "c = np.zeros((batch, units)) if c0 is None else np.asarray(c0, {})", "dtype", _RECAST),
    ("reviews", "_file_matches", 'for block in iter(lambda: f.read(None), b""):'):
        "the hash of a file does not depend on the size of the blocks it is read in",
    ("reviews", "_file_matches", 'for block in iter(lambda: f.read(2 << 20), b""):'):
        "the hash of a file does not depend on the size of the blocks it is read in",
    ("reviews", "_file_matches", 'for block in iter(lambda: f.read(1 << 21), b""):'):
        "the hash of a file does not depend on the size of the blocks it is read in",
    **_keyword_mutants("reviews", "_require_both_classes", "counts = np.bincount(np.asarray(labels, {}), minlength=2)",
                       "dtype", _INT_LABELS),
    **_keyword_mutants("reviews", "_load_csv", "with io.StringIO(content, {}) as f:", "newline", _NEWLINES),
    ("reviews", "_load_csv", 'sentiment = (row["sentiment"] or "XXXX").strip().lower()'):
        "an empty or missing label is refused either way, and the message quotes the cell as written",
    ("reviews", "_balanced_indices",
     "chosen = np.concatenate([rng.choice(positives, n_pos, replace=None), rng.choice(negatives, n_neg, replace=False)])"):
        _NO_REPLACE,
    ("reviews", "_balanced_indices",
     "chosen = np.concatenate([rng.choice(positives, n_pos, replace=False), rng.choice(negatives, n_neg, replace=None)])"):
        _NO_REPLACE,
    ("reviews", "_load_imdb", 'with open(index_path, encoding="UTF-8") as f:'): "codec names are case-insensitive",
    ("reviews", "_load_imdb",
     'splits = {s: (arrays[f"x_{s}"], np.asarray(arrays[f"y_{s}"], dtype=None)) for s in ("train", "test")}'):
        "ReviewData casts the labels to int32 anyway",
    ("reviews", "_load_imdb",
     'splits = {s: (arrays[f"x_{s}"], np.asarray(arrays[f"y_{s}"], )) for s in ("train", "test")}'):
        "ReviewData casts the labels to int32 anyway",
    ("reviews", "download", "seen, last_progress = +1, time.monotonic()"): _FIRST_LOOK,
    ("reviews", "download", "seen, last_progress = -2, time.monotonic()"): _FIRST_LOOK,
    ("reviews", "download", "chunk = response.read(2 << 16)"): "the chunk size changes how often progress is seen, not what is saved",
    ("reviews", "download", "chunk = response.read(1 << 17)"): "the chunk size changes how often progress is seen, not what is saved",
    ("reviews", "download", 'announced = response.headers.get("content-length")'): _HEADER_CASE,
    ("reviews", "download", 'announced = response.headers.get("CONTENT-LENGTH")'): _HEADER_CASE,
    ("reviews", "_read_npz_safely", 'arrays[member.removesuffix(".npy")] = np.lib.format.read_array(data, )'):
        "allow_pickle is False by default, and this branch reads arrays without objects anyway",
    ("reviews", "_read_spreadsheet_text", 'return raw.decode("UTF-16"), "UTF-16"'): "codec names are case-insensitive",
    ("reviews", "_read_npz_safely", 'arrays[member.removesuffix(".npy")] = np.lib.format.read_array(data, allow_pickle=None)'):
        "this branch reads arrays without objects, which hold no pickle whatever allow_pickle says",
    ("reviews", "_read_npz_safely", 'arrays[member.removesuffix(".npy")] = np.lib.format.read_array(data, allow_pickle=True)'):
        "this branch reads arrays without objects, which hold no pickle whatever allow_pickle says",
    ("reviews", "_local_source_kind", 'return "aclimdb"'): _ANY_NON_CSV,
    ("reviews", "_local_source_kind", 'return "XXaclImdbXX"'): _ANY_NON_CSV,
    ("reviews", "_local_source_kind", 'return "ACLIMDB"'): _ANY_NON_CSV,
    ("reviews", "_read_spreadsheet_text",
     'for encoding, name in (("UTF-8-SIG", "UTF-8"), ("cp1252", "Windows-1252")):'): _CODEC_CASE,
    ("reviews", "_read_spreadsheet_text",
     'for encoding, name in (("utf-8-sig", "UTF-8"), ("CP1252", "Windows-1252")):'): _CODEC_CASE,
    ("reviews", "_read_spreadsheet_text", 'return raw.decode("LATIN-1"), "Latin-1"'): _CODEC_CASE,
    ("reviews", "_load_aclimdb",
     'texts = [clean_review_text(files[i].read_text(encoding="UTF-8", errors="replace")) for i in chosen]'):
        "codec names are case-insensitive",
    # text_prep
    ("text_prep", "pad_ids", 'sequences, maxlen=seq_len, padding=padding, truncating=truncating, dtype="int32"'):
        "keras.utils.pad_sequences pads with value=0 by default, and PAD_ID is 0",
    ("text_prep", "pad_ids", "sequences, maxlen=seq_len, padding=padding, truncating=truncating, value=PAD_ID, )"):
        "keras.utils.pad_sequences returns int32 by default",
    ("text_prep", "TextVectorizer.__init__",
     "self.layer = keras.layers.TextVectorization(max_tokens=self.vocab_size, ragged=True)"):
        "TextVectorization's default output_mode is 'int'",
    **{("text_prep", "TextVectorizer.adapt", f"self.layer.adapt(texts, {argument})"):
       "the vocabulary is counted over all batches: batch sizes 1, 2, 256 and None gave the same vocabulary, ties "
       "in the same order (checked on Keras 3.15): for a list of texts the batch size changes nothing"
       for argument in ("batch_size=None", "batch_size=257", "")},
    ("text_prep", "predict_sentiment", "output = np.asarray(model.predict(vectorizer([text]), verbose=None))"):
        "Keras 3.15's predict prints no progress bar with verbose=None either (verbose=1 and the default do: "
        "test_prediction_prints_no_progress_bar kills those)",
    ("text_prep", "predict_sentiment", 'expected = getattr(model, "input_shape", None)'):
        "None is not a tuple, so a model without input_shape skips the length check as with (None, None)",
    # next_word
    ("next_word", "build_next_word_model",
     'model.compile(loss="sparse_categorical_crossentropy", optimizer="ADAM", metrics=["accuracy"])'):
        "Keras looks optimizer names up case-insensitively: 'ADAM' gives the same Adam (checked on Keras 3.15; "
        "a metric name is kept as written, so 'ACCURACY' is killed by the history keys)",
    ("next_word", "train_next_word_model", 'loss = float("NAN")'): "float() reads 'nan' case-insensitively",
    ("next_word", "generate_sentence",
     "rng = seed if (isinstance(seed, np.random.Generator)) and False else np.random.default_rng(seed)"):
        "np.random.default_rng returns a Generator it is given unaltered, the same object",
    ("next_word", "generate_sentence", "window = _fit_context(model, None, ids, warn=False)"):
        "_fit_context reads the vocabulary only to word its warning, and warn=False",
    ("next_word", "_top_k", 'ranked = np.argsort(-probabilities, kind="STABLE")  # stable: ties keep vocabulary order'):
        "numpy reads the sort kind case-insensitively",
    **{("next_word", function, line): "keras.utils.pad_sequences pads with padding='pre' and value=0.0 by default "
       "(Keras 3.15), and PADDING_ID is 0: the int32 rows are the same"
       for function, line in (
           ("pad_prefixes", "return keras.utils.pad_sequences(prefixes, maxlen=max_len, value=PADDING_ID)"),
           ("pad_prefixes", 'return keras.utils.pad_sequences(prefixes, maxlen=max_len, padding="pre", )'),
           ("_probabilities_for_ids", "padded = keras.utils.pad_sequences([ids], maxlen=length, value=PADDING_ID)"),
           ("_probabilities_for_ids",
            'padded = keras.utils.pad_sequences([ids], maxlen=length, padding="pre", )'))},
    **{("next_word", "_probabilities_for_ids", line): "calling a Keras 3 model without training=True runs it in "
       "inference mode, as training=False does (test_probabilities_are_read_in_inference_mode kills True)"
       for line in ("return np.asarray(model(padded, training=None), dtype=np.float64)[0]",
                    "return np.asarray(model(padded, ), dtype=np.float64)[0]")},
    # long_range
    **{("long_range", "train_seeds", line): "Keras' accuracy metric sums correct answers and counts over every "
       "validation batch, so the accuracy is the same whatever the validation batch size; only the speed changes"
       for line in ("epochs=epochs, batch_size=batch_size, validation_batch_size=None, verbose=0,",
                    "epochs=epochs, batch_size=batch_size, verbose=0,")},
    **{("long_range", function, line): "Keras 3.15's fit prints no progress bar with verbose=None, as with 0 "
       "(checked: 0 characters for None and 0, 263 for 'auto'); the tests that every run is silent kill "
       "verbose=1 and 'auto'"
       for function, line in (("train_on_distance", "epochs=epochs, batch_size=batch_size, verbose=None,"),
                              ("train_seeds", "epochs=epochs, batch_size=batch_size, validation_batch_size=n_val, "
                                              "verbose=None,"))},
    **{("long_range", "train_seeds", f"fresh = build_sequence_classifier(cell, vocab_size, {length}, embed_dim, units,"):
       "the fresh model only provides starting weights, and their shapes and values under the seed do not depend "
       "on the sequence length (checked for lengths None, 0, 1, 2: the same arrays); distance - 1 is killed by "
       "distance 0, where it is negative"
       for length in ("None", "distance + 2")},
    ("long_range", "train_seeds", "embedding_std=input_scale, )"):
        "the fresh model only provides starting weights; the runner's model, compiled with the learning rate, "
        "does the training",
    # gradients
    **{("gradients", "simple_rnn_bptt", line): "astype(None) converts to float64, numpy's default float type"
       for line in ("W, U, b = (w.numpy().astype(None) for w in rnn.weights)",
                    "v = dense.kernel.numpy().astype(None)[:, 0]",
                    "x = embedding.embeddings.numpy().astype(None)[np.asarray(X)]")},
    **{("gradients", "input_gradient_norms", f"X = tf.convert_to_tensor(np.asarray(X), {argument})"):
       "every caller passes integer ids, and the Embedding looks up int64 ids as it does int32 ones"
       for argument in ("dtype=None", "")},
    ("gradients", "input_gradient_norms",
     'labels = tf.convert_to_tensor(np.asarray(y, dtype="float32").reshape(-2, 1))'):
        "numpy reads any negative size as 'infer', like -1",
    ("gradients", "lstm_cell_path", "v = dense.kernel.numpy().astype(None)[:, 0]"):
        "astype(None) converts to float64, numpy's default float type",
    ("gradients", "lstm_cell_path",
     "logit = tf.matmul(lstm(embedded, initial_state=[h0, c0]), dense.kernel) - dense.bias"):
        "the output bias adds a constant to the logit, so its sign never changes the gradient with respect to c0",
    **{("gradients", "simple_rnn_bptt", line): "the recurrent kernel U is square (units x units)"
       for line in ("h = np.zeros((batch, steps, U.shape[1]))", "previous = np.zeros((batch, U.shape[1]))")},
    # the grader's verdict code (expectations)
    ("expectations", "_close", 'return True, "XXXX"'): "the reason is read only when the check fails",
    ("expectations", "_close", 'return False, "XXa number outside the toleranceXX"'):
        "compare() never shows a reason that mentions the tolerance (it would hint at the answer); this one still does",
    ("expectations", "compare", 'missing = [part for part in spec.get("message_has", None) if part.lower() not in message]'):
        _SPEC_HAS,
    ("expectations", "compare", 'missing = [part for part in spec.get("message_has", ) if part.lower() not in message]'):
        _SPEC_HAS,
    ("expectations", "compare", 'for mistake_value, mistake_hint in spec.get("mistakes", None):'): _SPEC_HAS,
    ("expectations", "compare", 'for mistake_value, mistake_hint in spec.get("mistakes", ):'): _SPEC_HAS,
    ("expectations", "_describe", 'return "XXXX"'): "compare() describes only a Raised or an Opaque value",
    ("expectations", "_encode_float", 'return {TAG_FLOAT: "inf" if number > 1 else "-inf"}'): _INF_ONLY,
    ("expectations", "_encode_float", 'return {TAG_FLOAT: "inf" if number >= 0 else "-inf"}'): _INF_ONLY,
    **{("expectations", "_hashable", f"return tuple(sorted(items, key=lambda item: ({first}, repr(item[0]))))"):
       "distinct keys of one decoded dict have distinct reprs (a str's starts with a quote, a tuple's with a "
       "parenthesis; only NaNs tie, as in the original), so this is also a total order that depends on the "
       "items alone; only that matters, since the tuples are compared with each other"
       for first in ("type(None).__name__", "type(item[1]).__name__")},
    ("expectations", "_hidden_lines", "inside = None"): "None is false like False",
    ("expectations", "_plain_equal", "if isinstance(expected, bool) and isinstance(value, bool):"):
        "a bool against a non-bool fails either way: _is_number() refuses bools and no later branch accepts one",
    **{("expectations", "_raised", f'types = [getattr(kind, "__name__", {default}) for kind in type(error).__mro__]'):
       _CLASS_NAMES for default in ('"XX?XX"', "None", "")},
    **{("expectations", "_type_name", line): _CLASS_NAMES for line in (
        "return f\"{getattr(kind, '__module__', 'XX?XX')}.{getattr(kind, '__qualname__', kind.__name__)}\"",
        "return f\"{getattr(kind, '__module__', None)}.{getattr(kind, '__qualname__', kind.__name__)}\"",
        "return f\"{getattr(kind, '__module__', )}.{getattr(kind, '__qualname__', kind.__name__)}\"",
        "return f\"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', None)}\"",
        "return f\"{getattr(kind, '__module__', '?')}.{getattr(kind, '__qualname__', )}\"")},
    **{("expectations", "encode", f"return sorted(elements, key=lambda e: json.dumps(e, {keyword}))"):
       "encoded set elements are plain values or one-key tagged dicts: key order never matters"
       for keyword in ("sort_keys=None", "", "sort_keys=False")},
    **{("expectations", "encode", line): _CLASS_NAMES + "; a module of None or '' is neither numpy nor tensorflow"
       for line in ('module = getattr(type(item), "__module__", None) or ""',
                    'module = getattr(type(item), "__module__", ) or ""',
                    'module = getattr(type(item), "__module__", "XXXX") or ""',
                    'module = getattr(type(item), "__module__", "") or "XXXX"')},
    **{("expectations", "encode", f"if kind in {kinds}:"): "a dtype kind is one character, and no kind is 'X'"
       for kinds in ('"XXbiufXX"', '"XXUSOXX"', '"XXbiufUSOXX"')},
    **{("expectations", "encode", line): "every numpy object with a shape and a dtype has ndim, and one with ndim > 0 "
       "is an array, which has both" for line in (
        'if hasattr(item, "shape") and hasattr(item, "dtype") and getattr(item, "ndim", None) > 0:',
        'if hasattr(item, "shape") and hasattr(item, "dtype") and getattr(item, "ndim", ) > 0:',
        'if hasattr(item, "shape") and hasattr(item, "dtype") and getattr(item, "ndim", 1) > 0:')},
    **{("expectations", "encode", line): "numpy's scalars and arrays have both item() and a dtype; other numpy "
       "objects (dtypes, ufuncs, modules) have neither" for line in (
        'if hasattr(item, "item") or getattr(item, "dtype", None) is not None:',
        'if hasattr(item, "item") and getattr(item, "dtype", ) is not None:')},
    **{("expectations", "encode_json", f'text = json.dumps(encode(value, limit), {allow}separators=(",", ":"))'):
       "encode() never returns a non-finite float (NaN and infinities are tagged), so allow_nan never matters"
       for allow in ("allow_nan=True, ", "allow_nan=None, ", "")},
    **{("expectations", function, line): "the file name appears only in a traceback, which neither a probe nor an "
       "AuthoringError shows" for function, line in (
        ("evaluate", 'code = compile(expression, "XX<expectation>XX", "eval")'),
        ("evaluate", 'code = compile(expression, "<EXPECTATION>", "eval")'),
        ("make_spec", 'compile(expression, "XX<expectation>XX", "eval")'),
        ("make_spec", 'compile(expression, "<EXPECTATION>", "eval")'))},
    ("expectations", "parse_test_cell", "f\"({ast.get_source_segment(source, statement) or 'XXXX'!s:.60})\")"):
        "ast.parse gives every statement its position, so its source segment is never None",
    ("expectations", "parse_test_cell", "f\"found a{'n' if kind[0] in 'XXaeiouXX' else ''} {kind} statement \""):
        "a statement's kind is a lower-case class name, never starting with 'X'",
    ("expectations", "probe_namespace", 'for name in getattr(fixtures, "__all__", None):'): _FIXTURES_ALL,
    ("expectations", "probe_namespace", 'for name in getattr(fixtures, "__all__", ):'): _FIXTURES_ALL,
}


# Modules whose tests run TensorFlow. A process forked after TensorFlow has run an op can hang in its next
# one (its thread pools do not survive fork: 40 of the first 56 text_prep mutants timed out with mutmut's
# default fork, which forks from the process that ran the whole suite). Importing TensorFlow starts no
# thread and runs no op, so a fork server that has only imported TensorFlow and Keras (PRELOAD) forks
# mutants that are safe and skip the ~4 s import each (6 forked children trained an LSTM fine in a check).
TENSORFLOW_MODULES = {"text_prep", "next_word", "gradients", "long_range"}
PRELOAD = ("numpy", "tensorflow", "keras", "hypothesis", "matplotlib")
TENSORFLOW_ISOLATION = ("process_isolation = forkserver\nforkserver_warmup = import\n"
                        "preload_modules_file = {work}/preload.txt\ntimeout_constant = 20\n")


# Functions not mutated, with the reason: the synthetic review generator's word lists and sentence
# templates are content (mutmut turns "acting" into "XXactingXX"); its behaviour that matters (balance,
# determinism, lengths, negations) is tested, but mutating its ~700 strings would take an hour and say
# nothing about the loader.
NOT_MUTATED = {"reviews": {"generate_reviews", "_fill", "_opinion", "_verdict"},
               # finds expect()'s caller by frame depth in plain Python: see NOT_RUN
               "expectations": {"_user_namespace"},
               # walks the call stack to the learner's frame; under mutmut its trampolines (in mutmut's own
               # module) are that stack, so the walk cannot be tested there. The suite's
               # test_a_long_text_warning_points_at_the_learners_line checks it.
               "next_word": {"_warn_at_callers_line"}}

# Tests left out of a module's mutation run (the suite runs them), with the reason.
NOT_RUN = {"expectations": {
    "tests/test_expectations.py::test_expect_in_plain_python":
        "expect() outside IPython reads its caller's globals two frames up, and mutmut's trampolines add frames; "
        "expect() itself is covered by the tests that give it a notebook namespace",
}}


def mutant_patterns(module: str) -> list[str]:
    """mutmut name globs for every function and method of the module except NOT_MUTATED (plain functions)."""
    skip, prefix = NOT_MUTATED.get(module, set()), dotted_name(module)
    tree = ast.parse((ROOT / source_of(module)).read_text())
    return [f"{prefix}.{mangled}__mutmut_*" for mangled, node in functions_of(tree)
            if not (mangled == f"x_{node.name}" and node.name in skip)]


def scratch_root() -> Path:
    return Path(os.environ.get("MUTATION_DIR", "/tmp/lstm-course-mutation"))


def prepare(module: str) -> Path:
    """A scratch copy of the package and tests, with a setup.cfg that tells mutmut what to mutate."""
    work = scratch_root() / module
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, work / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__", "screenshots"))
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    (work / "setup.cfg").write_text(mutmut_config(module, work))
    (work / "preload.txt").write_text("\n".join(PRELOAD) + "\n")
    (work / "settings_hash.txt").write_text(settings_hash(module, work))  # what a recheck may reuse
    (work / "tested_hash.txt").write_text(files_hash(module))  # what the record will vouch for
    return work


def mutmut_config(module: str, work: Path) -> str:
    """setup.cfg for mutmut: what to mutate, which tests to run (less NOT_RUN), how to isolate them."""
    tests = [t for t in MODULES[module] if (ROOT / t).exists()]
    return ("[mutmut]\n"
            "source_paths =\n" + "".join(f"    {package}\n" for package in PACKAGES)
            + f"only_mutate = {source_of(module)}\n"
            "pytest_add_cli_args_test_selection =\n" + "".join(f"    {t}\n" for t in tests)
            + "pytest_add_cli_args =\n    -p\n    no:cacheprovider\n    -p\n    no:randomly\n"
            + "".join(f"    --deselect\n    {test}\n" for test in NOT_RUN.get(module, {}))
            + (TENSORFLOW_ISOLATION.format(work=work) if module in TENSORFLOW_MODULES else ""))


def settings_hash(module: str, work: Path) -> str:
    """What the kills of a run depend on besides the tests and the module's functions: mutmut's configuration,
    the shared fixtures, pytest's options, the pinned libraries, the module outside its functions (constants,
    class attributes, imports) and the other project code it and its tests import. A recheck keeps earlier
    kills only while these are the same; otherwise it is a full run."""
    source = source_of(module)
    imported = [path for path in imported_project_files([source, *MODULES[module]])
                if path != source and not path.startswith("tests/")]
    return digest_of({"setup.cfg": mutmut_config(module, work), "pins": "\n".join(relevant_pins()),
                      "pytest options": pytest_options(),
                      "module outside its functions": module_outside_functions(source),
                      **{path: (ROOT / path).read_text() for path in [*SHARED_FILES, *imported]
                         if (ROOT / path).exists()}})


def module_outside_functions(path: str) -> str:
    """The module's AST with every function and method body left out: what changes when a constant, a class
    attribute or an import does, and not when only a function does (mutmut reruns those itself)."""
    tree = ast.parse((ROOT / path).read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            node.body = [ast.Pass()]
    return ast.dump(tree, annotate_fields=False)


def forget_survivors(work: Path, module: str) -> list[str]:
    """After tests were added: copy them in and mark the last run's survivors unchecked, so that
    `mutmut run` tests only those again (mutmut keeps every other result). Returns their names, and a glob
    for each function whose source changed since (all its mutants are new)."""
    for target in (work / "tests", work / "mutants" / "tests"):
        shutil.copytree(ROOT / "tests", target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    meta_path = work / "mutants" / f"{source_of(module)}.meta"
    meta = json.loads(meta_path.read_text())
    # the source may have been fixed meanwhile: mutmut regenerates the mutants of the functions whose hash
    # differs from its record, as unchecked, under names a recheck must then select too (some were killed
    # before, so they are not in `again`); the functions that call a changed one are rerun as well
    changed = changed_functions(meta["hash_by_function_name"], (ROOT / source_of(module)).read_text())
    for package in PACKAGES:
        shutil.copytree(ROOT / package, work / package, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))
    # copytree keeps the file's time, and mutmut regenerates mutants only from a source newer than them
    os.utime(work / source_of(module))
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    (work / "tested_hash.txt").write_text(files_hash(module))
    # mutmut maps each function to the tests that call it once, and on later runs adds only tests with new
    # NAMES: a test rewritten under its old name would never be run against the mutants it now reaches
    # (train_seeds' defaults survived that way). Without its stats file mutmut collects them all afresh.
    (work / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    # every verdict but a kill or a timeout: survived, no tests, segfault, suspicious, and not checked yet
    from mutmut.stats import status_by_exit_code  # noqa: PLC0415 (mutmut's own reading of its exit codes)

    again = [name for name, code in meta["exit_code_by_key"].items()
             if status_by_exit_code[code] not in KILLED or mangled_function(name) in changed]
    for name in again:
        meta["exit_code_by_key"][name] = None
    meta_path.write_text(json.dumps(meta))
    prefix = dotted_name(module)
    return [name for name in again if mangled_function(name) not in changed] + [
        f"{prefix}.{mangled}__mutmut_*" for mangled in changed]


def mangled_function(mutant: str) -> str:
    """lstm_course.m.x_f__mutmut_3 -> x_f (x\u01c1C\u01c1m for a method), as mutmut keys its hashes."""
    return re.sub(r"__mutmut_\d+$", "", mutant.rsplit(".", 1)[-1])


def function_name(mangled: str) -> str:
    """mutmut's x_f -> f, and x\u01c1C\u01c1m -> C.m: the name the lists above use."""
    return mangled.removeprefix("x_").removeprefix("x\u01c1").replace("\u01c1", ".")


def changed_functions(recorded: dict[str, str], source: str) -> list[str]:
    """The functions (mutmut's names) whose mutmut hash differs from `recorded` (the hashes of the last run,
    from its .meta), and every mutated function that calls a changed or removed one by name, transitively:
    their kills were made against the old code. A new function is left to mutmut, which alone knows whether
    it mutates it (not __repr__, not a property): its new mutants are unchecked, and with names selected they
    stay so and fail the run as unchecked survivors, so a missed function fails safe."""
    from mutmut.mutation.file_mutation import compute_function_hashes  # noqa: PLC0415 (what mutmut compares)

    current = compute_function_hashes(source)
    nodes = dict(functions_of(ast.parse(source)))
    changed = {name for name, digest in current.items() if name in recorded and recorded[name] != digest}
    removed = {name for name in recorded if name not in current}  # whoever called it changed too
    calls = {key: {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
             | {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)} for key, node in nodes.items()}
    while True:
        plain = {function_name(name).rsplit(".", 1)[-1] for name in changed | removed}  # as called
        callers = {key for key, names in calls.items() if names & plain and key in recorded} - changed
        if not callers:
            return sorted(name for name in changed if name in nodes)
        changed |= callers


def functions_of(tree: ast.Module) -> list:
    """(mutmut name, node) of a module's top-level functions and of its top-level classes' methods: what
    mutmut mutates one by one (a class defined inside a function is part of that function)."""
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append((f"x_{node.name}", node))
        elif isinstance(node, ast.ClassDef):
            found += [(f"x\u01c1{node.name}\u01c1{item.name}", item) for item in node.body
                      if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return found


def run_module(module: str, max_children: int, recheck: bool = False, functions: list[str] | None = None) -> dict:
    tests = [t for t in MODULES[module] if (ROOT / t).exists()]
    if not (ROOT / source_of(module)).exists() or not tests:
        return {"module": module, "missing": True}
    work = scratch_root() / module
    again = None
    settings = work / "settings_hash.txt"
    if recheck and (work / "mutants").exists() and settings.exists() and settings.read_text() == settings_hash(module, work):
        again = forget_survivors(work, module)
    else:
        if recheck:
            print(f"{module:13s} full run, not a recheck: no earlier run in {work}, or since it mutmut's "
                  "configuration, the shared fixtures, pytest's options, the pinned libraries, the module outside "
                  "its functions or the project code it imports changed", flush=True)
        work = prepare(module)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "MPLBACKEND": "Agg", "CI": "",
           "LSTM_COURSE_HYPOTHESIS_PROFILE": "mutation"}  # 15 examples per property, not 100
    start = time.monotonic()
    patterns = mutant_patterns(module) if module in NOT_MUTATED or functions else []
    if functions:  # only these functions' mutants (and only they are scored)
        patterns = [p for p in patterns if re.search(r"\.x[_\u01c1](\w+?)__mutmut_", p).group(1).split("\u01c1")[0]
                    in functions]
    # mutmut reruns every mutant a pattern names: a recheck names just the survivors it reset
    selection = patterns if again is None or not patterns else [
        name for name in again if name in patterns or any(fnmatch.fnmatch(name, p) for p in patterns)]
    run = None
    if selection or not patterns:
        run = subprocess.run([PYTHON, "-m", "mutmut", "run", "--max-children", str(max_children), *selection],
                             cwd=work, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    listing = subprocess.run([PYTHON, "-m", "mutmut", "results", "--all", "true"],
                             cwd=work, env=env, capture_output=True, text=True).stdout
    status = dict(re.findall(r"^\s*(\S+__mutmut_\d+): (.+?)\s*$", listing, re.MULTILINE))
    if patterns:
        status = {name: v for name, v in status.items() if any(fnmatch.fnmatch(name, p) for p in patterns)}
    if run is not None and run.returncode != 0:  # its clean run, stats or fork server failed: no verdicts
        return {"module": module, "error": f"mutmut run exited with {run.returncode}:\n"
                f"{(run.stdout + run.stderr)[-3000:]}", "seconds": seconds}
    if not status or all(v == "not checked" for v in status.values()):
        tail = (run.stdout + run.stderr)[-3000:] if run else "(mutmut was not run)"
        return {"module": module, "error": f"mutmut checked no mutant (its clean run or stats failed?):\n{tail}",
                "seconds": seconds}
    def show(name: str) -> str:
        return subprocess.run([PYTHON, "-m", "mutmut", "show", name], cwd=work, env=env,
                              capture_output=True, text=True).stdout

    return {"module": module, "total": len(status), "seconds": seconds, **classify(module, status, show, functions),
            "hash": (work / "tested_hash.txt").read_text()}


def classify(module: str, status: dict[str, str], show, functions=None) -> dict:
    """Kills, timeouts, survivors matched to EQUIVALENT or ACCEPTED, the rest as unlisted survivors, and the
    module's listed entries that matched no survivor or timeout (`show(name)` gives a mutant's diff)."""
    survivors, equivalent, accepted, seen = [], [], [], set()
    for name, verdict in sorted(status.items()):
        if verdict == "killed":
            continue
        diff = show(name)
        key = equivalence_key(module, name, diff)
        seen.add(key)  # a listed mutant that timed out (slower, as verbose=None's progress logger) is still seen
        if verdict == "timeout":
            continue
        if verdict != "survived":  # not checked, no tests, segfault, suspicious: no verdict to excuse
            survivors.append((name, verdict, diff, None))
        elif key in EQUIVALENT:
            equivalent.append((name, verdict, diff, EQUIVALENT[key]))
        elif key in ACCEPTED:
            accepted.append((name, verdict, diff, ACCEPTED[key]))
        else:
            survivors.append((name, verdict, diff, None))
    # A mutant that makes the tests hang is detected too: in the suite, pytest-timeout fails that test.
    killed = sum(v in KILLED for v in status.values())
    timeouts = sum(v == "timeout" for v in status.values())
    # a listed mutant that no longer survives (a test kills it, so it was not equivalent, or the code changed):
    # its entry would excuse a future mutant it was never checked against. A --functions run sees only some.
    unused = [] if functions else sorted(key for key in [*EQUIVALENT, *ACCEPTED] if key[0] == module and key not in seen)
    return {"killed": killed, "timeouts": timeouts, "survivors": survivors, "equivalent": equivalent,
            "accepted": accepted, "unused": unused}


def equivalence_key(module: str, mutant: str, diff: str) -> tuple[str, str, str]:
    function = function_name(mangled_function(mutant))  # keyed as function or Class.method
    added = [line[1:].strip() for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return module, function, added[0] if added else ""


# The figures of each module's last complete run, with a hash of the files it was run on: `--changed`
# reruns only the modules whose source or tests differ from their record (or that have none), whatever the
# git history of the clone, which is what CI can afford (the whole set takes about an hour).
RECORD = ROOT / "tools" / "mutation_record.json"
# TensorFlow modules whose complete run has not passed yet, with what is left: CI names them instead of
# failing. An entry is removed when the module's run passes and its record is committed.
PENDING: dict[str, str] = {}


# Besides a module's source and tests, what else decides its verdicts: the project code both import (followed
# through their imports), the shared fixtures and Hypothesis profiles, pytest's options, the pinned versions of
# the libraries the code and tests run on, and the module's own list entries. Not the rest of the repository:
# a lesson's edit or a bump of the site builder must not call for an hour of reruns.
SHARED_FILES = ("tests/conftest.py",)
RELEVANT_PINS = {"tensorflow", "tensorflow-cpu", "keras", "numpy", "ipython", "nbformat", "nbclient", "nbgrader",
                 "jupyter-client", "ipykernel", "pytest", "pytest-timeout", "hypothesis", "mutmut"}


def imported_project_files(paths) -> list[str]:
    """`paths` and every file of PACKAGES or of tests/ they import, directly or through each other (imports
    inside functions too: the course's modules import TensorFlow-heavy helpers lazily)."""
    found, queue = set(), list(paths)
    while queue:
        path = queue.pop()
        if path in found or not (ROOT / path).exists():
            continue
        found.add(path)
        package = Path(path).parent.as_posix().replace("/", ".")
        for node in ast.walk(ast.parse((ROOT / path).read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from .env import x, from . import env (level 1: this package)
                    parts = package.split(".")
                    base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
                names = [base, *(f"{base}.{alias.name}" for alias in node.names)]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] in PACKAGES:  # the package's __init__ runs too
                    queue += [f"{'/'.join(parts[:i])}/__init__.py" for i in range(1, len(parts) + 1)]
                    queue += [f"{'/'.join(parts)}.py"]
                elif len(parts) == 1:  # a helper next to the tests (tests/ is on sys.path under pytest)
                    queue.append(f"tests/{name}.py")
    return sorted(found)


def relevant_pins() -> list[str]:
    pins = []
    for requirements in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / requirements).read_text().splitlines() if (ROOT / requirements).exists() else []:
            match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*==\s*([^\s;#]+)", line)
            if match and match.group(1).lower().replace("_", "-") in RELEVANT_PINS:
                pins.append(f"{match.group(1).lower()}=={match.group(2)}")
    return sorted(pins)


def pytest_options() -> str:
    import tomllib
    path = ROOT / "pyproject.toml"
    options = tomllib.loads(path.read_text()).get("tool", {}).get("pytest", {}) if path.exists() else {}
    return json.dumps(options, sort_keys=True)


def listed_for(module: str) -> str:
    """This module's entries in the lists that change its score or what runs (their keys: a reworded reason
    changes no verdict), as text to hash: listing one more mutant makes the record stale as a changed test does."""
    entries = {name: sorted(list(key) for key in table if key[0] == module)
               for name, table in (("EQUIVALENT", EQUIVALENT), ("ACCEPTED", ACCEPTED))}
    entries["NOT_MUTATED"] = sorted(NOT_MUTATED.get(module, ()))
    entries["NOT_RUN"] = sorted(NOT_RUN.get(module, ()))
    return json.dumps(entries, sort_keys=True)


def hashed_inputs(module: str) -> dict[str, str]:
    """Everything a module's record vouches for, by name: files by content, the rest as text."""
    files = imported_project_files([source_of(module), *MODULES[module], *SHARED_FILES])
    return {**{path: (ROOT / path).read_text() for path in files},
            "pins": "\n".join(relevant_pins()), "pytest options": pytest_options(), "lists": listed_for(module)}


def files_hash(module: str) -> str:
    return digest_of(hashed_inputs(module))


def digest_of(inputs: dict[str, str]) -> str:
    """A short hash of named texts, in name order."""
    import hashlib
    digest = hashlib.sha256()
    for name, text in sorted(inputs.items()):
        digest.update(name.encode() + b"\0" + text.encode() + b"\0")
    return digest.hexdigest()[:16]


def read_record() -> dict:
    return json.loads(RECORD.read_text()) if RECORD.exists() else {}


def changed_modules() -> list[str]:
    """Modules with no record of a complete passing run on their current source and tests."""
    record = read_record()
    return [m for m in MODULES if record.get(m, {}).get("hash") != files_hash(m) or not record[m].get("passed")]


def save_record(result: dict, passed: bool, recheck: bool) -> None:
    """After a complete run of a module (not --functions): its figures and files' hash. After --recheck the
    figures cover every mutant too (mutmut keeps the others' results) but the seconds only the survivors'."""
    record = read_record()
    record[result["module"]] = {
        "hash": result["hash"], "passed": passed, "date": time.strftime("%Y-%m-%d"),
        "run": "recheck of the survivors" if recheck else "full",
        "mutants": result["total"], "killed": result["killed"], "equivalent": len(result["equivalent"]),
        "accepted": len(result["accepted"]), "timeouts": result.get("timeouts", 0),
        "survivors": len(result["survivors"]), "seconds": round(result["seconds"])}
    partial = RECORD.with_suffix(".tmp")  # written whole, then renamed: a reader never sees half a file
    partial.write_text(json.dumps(dict(sorted(record.items())), indent=1) + "\n")
    os.replace(partial, RECORD)


def report(result: dict) -> bool:
    module = result["module"]
    if result.get("missing"):
        print(f"{module:13s} not present yet (module or its tests missing): skipped")
        return True
    if "error" in result:
        print(f"{module:13s} ERROR {result['error']}")
        return False
    total, killed = result["total"], result["killed"]
    n_equivalent, n_accepted = len(result["equivalent"]), len(result["accepted"])
    score = (killed + n_equivalent + n_accepted) / total
    if module in NOT_MUTATED:
        print(f"{module:13s} not mutated: {', '.join(sorted(NOT_MUTATED[module]))} (see NOT_MUTATED)")
    for test in NOT_RUN.get(module, {}):
        print(f"{module:13s} not run under mutmut: {test} (see NOT_RUN)")
    timeouts = result.get("timeouts", 0)
    hung = timeouts > MAX_TIMEOUT_SHARE * total
    unused = result.get("unused", [])
    passed = score >= TARGET and not result["survivors"] and not hung and not unused
    verdict = ("ok" if passed else "BELOW " + format(TARGET, ".0%") if score < TARGET
               else f"RUNNER HUNG? {timeouts} timeouts" if hung
               else f"{len(result['survivors'])} UNLISTED SURVIVORS" if result["survivors"]
               else f"{len(unused)} LISTED MUTANTS NOT SEEN")
    print(f"{module:13s} {killed}/{total} killed or timed out ({killed / total:.1%}, {timeouts} timeouts); "
          f"{n_equivalent} equivalent, {n_accepted} accepted; score {score:.1%} {verdict}; "
          f"{result['seconds']:.0f} s")
    for name, verdict, diff, _ in result["survivors"]:
        print(f"  SURVIVED ({verdict}) {name}")
        print("    " + "\n    ".join(diff.strip().splitlines()[2:]))
    for name, _, _, reason in result["equivalent"]:
        print(f"  equivalent {name}: {reason}")
    for name, _, _, reason in result["accepted"]:
        print(f"  accepted (a test could see it; not pinned on purpose) {name}: {reason}")
    for _, function, line in unused:
        print(f"  LISTED BUT NOT SEEN {function}: {line!r} (killed now, or no longer a mutant: remove the entry)")
    return passed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("modules", nargs="*", help=f"some of {', '.join(MODULES)} (default: all)")
    parser.add_argument("--changed", action="store_true",
                        help="only modules whose source or tests changed since their last complete passing run "
                             "(tools/mutation_record.json)")
    parser.add_argument("--no-tensorflow", action="store_true",
                        help="leave out (and name) the modules whose tests run TensorFlow: CI's budget")
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutants (default 2 cores)")
    parser.add_argument("--functions", help="comma-separated functions (or classes) of ONE module: mutate only "
                        "these, e.g. the pure ones while the slow ones wait for a nightly run")
    parser.add_argument("--recheck", action="store_true",
                        help="after adding tests: rerun only the last run's survivors (reuses MUTATION_DIR)")
    args = parser.parse_args(argv)
    unknown = set(args.modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown module(s) {sorted(unknown)}; choose from {list(MODULES)}")
    modules = args.modules or (changed_modules() if args.changed else list(MODULES))
    ok = True
    left_out = [m for m in modules if m in TENSORFLOW_MODULES] if args.no_tensorflow else []
    for module in left_out:  # not run here, so their committed record must vouch for them
        if module in PENDING:
            print(f"{module:13s} NOT VERIFIED: no passing record yet, listed in PENDING: {PENDING[module]}")
            continue
        print(f"{module:13s} FAILED: its source or tests changed since its last passing mutation run, which "
              f"--no-tensorflow cannot redo here (tens of minutes): run `make mutation MODULES={module}` "
              "and commit tools/mutation_record.json")
        ok = False
    modules = [m for m in modules if m not in left_out]
    if args.changed and not modules:
        print(f"every {'other ' if left_out else ''}module's source and tests match its recorded passing run "
              "(tools/mutation_record.json)")
    for module in modules:
        functions = args.functions.split(",") if args.functions else None
        recheck = args.recheck
        result = run_module(module, args.max_children, recheck, functions)
        if result.get("total") and not result["killed"]:
            print(f"{module:13s} no mutant killed: the runner failed, not the tests; running it again")
            recheck = False
            result = run_module(module, args.max_children, recheck, functions)
        passed = report(result)
        if "total" in result and not functions:
            save_record(result, passed, recheck)
        ok &= passed
        sys.stdout.flush()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
