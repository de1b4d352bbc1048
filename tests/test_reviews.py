"""The review loader: every source, bad input, the offline fallback and the download path (offline)."""
import csv
import errno
import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from lstm_course import reviews
from lstm_course.reviews import (
    DownloadError,
    ReviewDataError,
    decode_imdb,
    generate_reviews,
    id_to_word_table,
    load_reviews,
    to_keras_ids,
)


@pytest.fixture(autouse=True)
def no_env_path(monkeypatch):
    monkeypatch.delenv(reviews.PATH_ENV_VAR, raising=False)
    monkeypatch.delenv(reviews.SOURCE_ENV_VAR, raising=False)  # the suite sets it for notebooks only


# ---------------------------------------------------------------------------------------------------
# Generated corpus
# ---------------------------------------------------------------------------------------------------
def test_generated_reviews_are_deterministic_for_a_seed():
    first, second, other = generate_reviews(50, seed=3), generate_reviews(50, seed=3), generate_reviews(50, seed=4)
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert first[0] != other[0]


def test_generated_reviews_are_balanced_and_vary_in_length_like_real_reviews():
    texts, labels = generate_reviews(401, seed=0)
    assert len(texts) == 401 and set(np.unique(labels)) == {0, 1}
    assert abs(int(labels.sum()) - 200) <= 1  # exactly balanced up to the odd one
    lengths = np.array([len(t.split()) for t in texts])
    assert 0.4 < (lengths < 200).mean() < 0.8  # many reviews need padding at 200 tokens, not all
    assert lengths.min() < 60 and lengths.max() > 400


def test_generated_reviews_contain_negations_and_neutral_filler():
    texts, labels = generate_reviews(200, seed=1)
    corpus = " ".join(texts).lower()
    assert "was not" in corpus or "wasn't" in corpus
    assert " but the " in corpus
    assert "the movie that i watched" in corpus  # the seed's sentence pattern
    assert "directed by" in corpus  # neutral plot/production talk


def test_generated_labels_carry_signal():
    # A crude word-count rule must beat chance, otherwise the corpus would teach nothing.
    texts, labels = generate_reviews(400, seed=2)
    positive, negative = set(reviews._POSITIVE), set(reviews._NEGATIVE)
    score = np.array([sum((w in positive) - (w in negative) for w in t.lower().replace(".", "").split()) for t in texts])
    accuracy = ((score > 0) == (labels == 1)).mean()
    assert accuracy > 0.65


def test_generated_rejects_bad_size():
    with pytest.raises(ValueError, match="positive integer"):
        generate_reviews(0)


def test_load_generated_gives_requested_counts_and_says_it_is_synthetic():
    data = load_reviews("generated", n_train=40, n_test=20, seed=5)
    assert (len(data.train_texts), len(data.test_texts)) == (40, 20)
    assert data.source == "generated" and data.synthetic
    assert "GENERATED" in data.message and "not real" in data.message
    assert not set(data.train_texts) & set(data.test_texts)
    assert data.train_labels.dtype == np.int32 and data.train_labels.mean() == 0.5


# ---------------------------------------------------------------------------------------------------
# Local CSV
# ---------------------------------------------------------------------------------------------------
def write_csv(path, rows, header=("review", "sentiment")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def csv_rows(n):
    rows = []
    for i in range(n):
        sentiment = "positive" if i % 2 == 0 else "negative"
        rows.append((f'Review {i}, "quoted", {sentiment} words.<br /><br />Second line &amp; more.', sentiment))
    return rows


def test_csv_source_cleans_html_and_maps_labels(tmp_path):
    path = write_csv(tmp_path / "IMDB Dataset.csv", csv_rows(20))
    data = load_reviews("csv", path=path, n_train=12, n_test=6, seed=0)
    assert data.source == "csv" and "IMDB Dataset.csv" in data.message
    assert (len(data.train_texts), len(data.test_texts)) == (12, 6)
    for text, label in zip(data.train_texts + data.test_texts, np.concatenate([data.train_labels, data.test_labels])):
        assert "<br" not in text and "&amp;" not in text and "Second line & more." in text
        assert ("positive words" in text) == (label == 1)
    assert not set(data.train_texts) & set(data.test_texts)


def test_csv_smaller_than_requested_is_split_proportionally(tmp_path):
    path = write_csv(tmp_path / "small.csv", csv_rows(10))
    data = load_reviews("csv", path=path, n_train=2500, n_test=1000)
    assert len(data.train_texts) + len(data.test_texts) == 10
    assert len(data.test_texts) == 3


def test_auto_detects_a_csv_path(tmp_path):
    path = write_csv(tmp_path / "reviews.csv", csv_rows(8))
    assert load_reviews(path=path, n_train=4, n_test=2).source == "csv"


def test_auto_uses_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(reviews.PATH_ENV_VAR, str(write_csv(tmp_path / "reviews.csv", csv_rows(8))))
    assert load_reviews(n_train=4, n_test=2).source == "csv"


def test_auto_takes_a_fixed_source_from_the_environment(tmp_path, monkeypatch):
    origin = f"http://127.0.0.1:{closed_port()}/"
    monkeypatch.setenv(reviews.SOURCE_ENV_VAR, "generated")
    data = load_reviews(n_train=4, n_test=2, origin=origin, cache_dir=tmp_path)
    assert data.source == "generated" and "could not be downloaded" not in data.message  # asked, not a fallback
    monkeypatch.setenv(reviews.SOURCE_ENV_VAR, "imdb")  # fixed: no silent fallback to generated
    with pytest.raises(reviews.DownloadError):
        load_reviews(n_train=4, n_test=2, origin=origin, cache_dir=tmp_path, timeout=2)
    monkeypatch.setenv(reviews.SOURCE_ENV_VAR, "kaggle")
    with pytest.raises(reviews.ReviewDataError, match="LSTM_COURSE_REVIEWS_SOURCE='kaggle': expected one of"):
        load_reviews(n_train=4, n_test=2)
    monkeypatch.setenv(reviews.SOURCE_ENV_VAR, "generated")  # an explicit path still wins
    assert load_reviews(path=write_csv(tmp_path / "r.csv", csv_rows(8)), n_train=4, n_test=2).source == "csv"
    with pytest.raises(reviews.DownloadError):  # and an explicit source is never replaced
        load_reviews("imdb", n_train=4, n_test=2, origin=origin, cache_dir=tmp_path / "c2", timeout=2)


def test_csv_with_wrong_columns_is_rejected(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [("great", "1")], header=("text", "label"))
    with pytest.raises(ReviewDataError, match="'review' and 'sentiment'"):
        load_reviews("csv", path=path)


def test_csv_with_unknown_label_names_the_line(tmp_path):
    path = write_csv(tmp_path / "bad.csv", csv_rows(4) + [("fine film", "pos")])
    with pytest.raises(ReviewDataError, match=r"line 6.*'pos'"):
        load_reviews("csv", path=path)


def test_csv_with_one_class_only_is_rejected(tmp_path):
    path = write_csv(tmp_path / "bad.csv", [(f"good {i}", "positive") for i in range(6)])
    with pytest.raises(ReviewDataError, match="needs both"):
        load_reviews("csv", path=path)


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(ReviewDataError, match="does not exist"):
        load_reviews(path=tmp_path / "nowhere.csv")
    with pytest.raises(ReviewDataError, match="does not exist"):
        load_reviews("csv", path=tmp_path / "nowhere.csv")
    with pytest.raises(ReviewDataError, match="needs path="):
        load_reviews("aclImdb")


def test_unknown_source_and_bad_sizes_are_rejected():
    with pytest.raises(ReviewDataError, match="source must be one of"):
        load_reviews("kaggle")
    with pytest.raises(ReviewDataError, match="n_train"):
        load_reviews("generated", n_train=1)


# ---------------------------------------------------------------------------------------------------
# Local aclImdb folder
# ---------------------------------------------------------------------------------------------------
def make_aclimdb(root, per_class=5):
    for split in ("train", "test"):
        for name in ("pos", "neg"):
            folder = root / split / name
            folder.mkdir(parents=True)
            for i in range(per_class):
                (folder / f"{i}_7.txt").write_text(f"A {name} {split} review number {i}.<br />The end.")
    return root


def test_aclimdb_source_reads_both_splits(tmp_path):
    root = make_aclimdb(tmp_path / "aclImdb")
    data = load_reviews(path=root, n_train=6, n_test=4, seed=1)
    assert data.source == "aclImdb"
    assert (len(data.train_texts), len(data.test_texts)) == (6, 4)
    assert data.train_labels.mean() == 0.5 and data.test_labels.mean() == 0.5
    for split in ("train", "test"):
        for text, label in zip(getattr(data, f"{split}_texts"), getattr(data, f"{split}_labels")):
            assert f"A {'pos' if label else 'neg'} {split} review" in text
            assert "<br" not in text


def test_aclimdb_without_reviews_or_subfolders_is_rejected(tmp_path):
    root = tmp_path / "aclImdb"
    for split in ("train", "test"):
        for name in ("pos", "neg"):
            (root / split / name).mkdir(parents=True)
    with pytest.raises(ReviewDataError, match="no .txt reviews"):
        load_reviews("aclImdb", path=root)
    with pytest.raises(ReviewDataError, match="train/neg/ is missing"):
        load_reviews("aclImdb", path=tmp_path)


# ---------------------------------------------------------------------------------------------------
# Real IMDB download path, served from this machine
# ---------------------------------------------------------------------------------------------------
WORD_INDEX = {"the": 1, "movie": 2, "great": 3, "awful": 4, "plot": 5, "zebra": 6}


def make_imdb_files(folder, x_train=None, y_train=None):
    """Tiny files in the layout of Keras' imdb.npz (ragged rank sequences) and imdb_word_index.json."""
    import json

    folder.mkdir(parents=True, exist_ok=True)
    ragged = lambda seqs: np.array([list(s) for s in seqs] + [None], dtype=object)[:-1]  # noqa: E731
    x_train = x_train if x_train is not None else ragged([[1, 2, 3], [1, 2, 4], [2, 3, 6], [5, 4], [3, 3], [4]])
    y_train = y_train if y_train is not None else np.array([1, 0, 1, 0, 1, 0])
    x_test = ragged([[1, 3], [1, 4], [2, 6, 3], [4, 4]])
    y_test = np.array([1, 0, 1, 0])
    np.savez(folder / "imdb.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (folder / "imdb_word_index.json").write_text(json.dumps(WORD_INDEX))
    return folder


@pytest.fixture
def local_origin(tmp_path):
    """An http://127.0.0.1 server over a folder; yields (origin, folder, request_log)."""
    folder = tmp_path / "served"
    folder.mkdir()
    log = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            log.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", folder, log
    server.shutdown()
    server.server_close()


def test_keras_id_conventions():
    # Keras: start marker 1, ranks shifted by 3, ids >= num_words become 2 (out of vocabulary).
    assert to_keras_ids([1, 2, 5], num_words=7) == [1, 4, 5, 2]
    table = id_to_word_table(WORD_INDEX)
    assert table[4] == "the" and table[3 + 6] == "zebra"
    assert decode_imdb([0, 0, 1, 4, 5, 2, 6], table) == "the movie [UNK] great"


def test_imdb_download_from_a_local_origin_decodes_reviews(tmp_path, local_origin):
    origin, folder, log = local_origin
    make_imdb_files(folder)
    cache = tmp_path / "cache"
    data = load_reviews("imdb", n_train=4, n_test=2, seed=0, num_words=8, origin=origin, cache_dir=cache)
    assert data.source == "imdb" and "num_words=8" in data.message
    assert (cache / "imdb.npz").exists() and (cache / "imdb_word_index.json").exists()
    assert sorted(log) == ["/imdb.npz", "/imdb_word_index.json"]
    # num_words=8 keeps ids < 8, i.e. ranks 1..4: "plot" (id 8) and "zebra" (id 9) read [UNK].
    train_pool = {"the movie great": 1, "the movie awful": 0, "movie great [UNK]": 1,
                  "[UNK] awful": 0, "great great": 1, "awful": 0}
    for text, label in zip(data.train_texts, data.train_labels):
        assert train_pool[text] == label
    assert data.train_labels.mean() == 0.5 and len(set(data.train_texts)) == 4
    assert set(data.test_texts) <= {"the great", "the awful", "movie [UNK] great", "awful awful"}


def test_imdb_second_load_uses_the_cache_without_network(tmp_path, local_origin):
    origin, folder, log = local_origin
    make_imdb_files(folder)
    cache = tmp_path / "cache"
    first = load_reviews("imdb", n_train=4, n_test=2, origin=origin, cache_dir=cache)
    unreachable = f"http://127.0.0.1:{closed_port()}/"
    second = load_reviews("imdb", n_train=4, n_test=2, origin=unreachable, cache_dir=cache)
    assert second.train_texts == first.train_texts and len(log) == 2


def test_imdb_file_that_tries_to_run_code_is_refused(tmp_path, local_origin):
    origin, folder, _ = local_origin
    sneaky = np.array([Fraction(1, 2)], dtype=object)  # any object outside plain NumPy arrays is refused
    make_imdb_files(folder, x_train=sneaky, y_train=np.array([1]))
    with pytest.raises(DownloadError, match="unreadable.*refusing"):
        load_reviews("imdb", origin=origin, cache_dir=tmp_path / "cache")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_imdb_source_raises_when_offline(tmp_path):
    with pytest.raises(DownloadError, match="127.0.0.1"):
        load_reviews("imdb", origin=f"http://127.0.0.1:{closed_port()}/", cache_dir=tmp_path, timeout=2)


def test_auto_falls_back_to_generated_reviews_when_offline(tmp_path):
    data = load_reviews(n_train=10, n_test=4, origin=f"http://127.0.0.1:{closed_port()}/", cache_dir=tmp_path, timeout=2)
    assert data.source == "generated"
    assert "could not be downloaded" in data.message and "GENERATED" in data.message
    assert "path=" in data.message  # tells the learner how to get the real data


def run_with_guard(function, guard_seconds):
    """Run `function` in a thread; return its result, or None if it is still running after the guard."""
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("value", function()), daemon=True)
    worker.start()
    worker.join(guard_seconds)
    return None if worker.is_alive() else result["value"]


def test_auto_gives_up_on_a_server_that_never_answers(tmp_path):
    # The socket listens (so connecting succeeds) but nobody ever responds: the download must be
    # abandoned after `timeout` seconds without progress instead of hanging.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        origin = f"http://127.0.0.1:{silent.getsockname()[1]}/"
        data = run_with_guard(
            lambda: load_reviews(n_train=10, n_test=4, origin=origin, cache_dir=tmp_path, timeout=0.5),
            guard_seconds=30,
        )
    assert data is not None, "load_reviews hung on a silent server"
    assert data.source == "generated" and "could not be downloaded" in data.message
    assert not list(tmp_path.glob("*.part*"))  # no half-written file left behind as if it were the data


def test_download_rejects_a_stalled_transfer(tmp_path):
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/imdb.npz"
        with pytest.raises(DownloadError, match="imdb.npz"):
            reviews.download(url, tmp_path / "imdb.npz", timeout=0.5)
    assert not (tmp_path / "imdb.npz").exists()


def test_an_unwritable_cache_is_reported_as_a_download_problem(tmp_path, local_origin):
    origin, folder, _ = local_origin
    make_imdb_files(folder)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    with pytest.raises(DownloadError, match="cannot save"):
        load_reviews("imdb", origin=origin, cache_dir=blocker / "cache")
    assert load_reviews(origin=origin, cache_dir=blocker / "cache", n_train=4, n_test=2).source == "generated"


def test_default_cache_is_the_keras_one(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    assert reviews._keras_cache_dir() == tmp_path / "keras-home" / "datasets"


# ---------------------------------------------------------------------------------------------------
# Order, balance and format bugs a label-alternating fixture hides (issue 13)
# ---------------------------------------------------------------------------------------------------
def grouped_rows(n_pos, n_neg):
    """All positive reviews first, then all negative ones: the order a scraped CSV often has."""
    return ([(f"good film number {i}", "positive") for i in range(n_pos)]
            + [(f"bad film number {i}", "negative") for i in range(n_neg)])


def test_csv_sorted_by_label_still_gives_balanced_shuffled_splits(tmp_path):
    path = write_csv(tmp_path / "sorted.csv", grouped_rows(40, 40))
    data = load_reviews("csv", path=path, n_train=16, n_test=8, seed=0)
    assert data.train_labels.mean() == 0.5 and data.test_labels.mean() == 0.5
    # shuffled: the training labels are not one block of positives then one of negatives
    assert np.any(np.diff(data.train_labels) > 0) and np.any(np.diff(data.train_labels) < 0)
    # sampled from the whole file, not its first rows
    numbers = {int(t.split()[-1]) for t in data.train_texts + data.test_texts}
    assert max(numbers) >= 16


def test_imbalanced_csv_refills_from_the_larger_class(tmp_path):
    path = write_csv(tmp_path / "imbalanced.csv", grouped_rows(30, 3))
    data = load_reviews("csv", path=path, n_train=8, n_test=4, seed=1)
    labels = np.concatenate([data.train_labels, data.test_labels])
    assert len(labels) == 12  # every requested review, although only 3 are negative
    assert (labels == 0).sum() == 3 and (labels == 1).sum() == 9


@pytest.mark.parametrize("header", [("Review", "Sentiment"), ("REVIEW", " sentiment "), ("sentiment", "review")])
def test_csv_header_case_spaces_and_order_do_not_matter(tmp_path, header):
    rows = [(s, t) if header[0].strip().lower() == "sentiment" else (t, s) for t, s in grouped_rows(5, 5)]
    data = load_reviews("csv", path=write_csv(tmp_path / "h.csv", rows, header=header), n_train=6, n_test=4)
    for text, label in zip(data.train_texts, data.train_labels):
        assert text.startswith("good" if label else "bad")


@pytest.mark.parametrize("label_spelling", [("Positive", "NEGATIVE"), (" positive ", "negative\t")])
def test_csv_label_case_and_spaces_do_not_matter(tmp_path, label_spelling):
    pos, neg = label_spelling
    rows = [(t, pos if s == "positive" else neg) for t, s in grouped_rows(4, 4)]
    data = load_reviews("csv", path=write_csv(tmp_path / "l.csv", rows), n_train=4, n_test=4)
    assert sorted(np.concatenate([data.train_labels, data.test_labels])) == [0] * 4 + [1] * 4


def test_csv_saved_by_excel_with_a_byte_order_mark(tmp_path):
    path = tmp_path / "excel.csv"
    with open(path, "w", newline="", encoding="utf-8-sig") as f:  # writes the BOM first
        csv.writer(f).writerows([("review", "sentiment")] + grouped_rows(4, 4))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    data = load_reviews("csv", path=path, n_train=4, n_test=4)
    assert len(data.train_texts) == 4 and not any("\ufeff" in t for t in data.train_texts)


def test_aclimdb_with_unequal_classes_is_balanced_and_refilled(tmp_path):
    root = make_aclimdb(tmp_path / "aclImdb", per_class=2)
    for i in range(2, 12):
        (root / "train" / "pos" / f"{i}_9.txt").write_text(f"A pos train review number {i}.")
    data = load_reviews("aclImdb", path=root, n_train=8, n_test=4, seed=0)
    assert sorted(data.train_labels) == [0, 0] + [1] * 6
    assert np.any(np.diff(data.train_labels) != 0) and data.test_labels.mean() == 0.5


# ---------------------------------------------------------------------------------------------------
# The download watchdog, decided on a fake clock (no wall-clock assert, no sleep)
# ---------------------------------------------------------------------------------------------------
class FakeClock:
    """Stands in for the `time` module inside reviews: every reading advances by `step` seconds."""

    def __init__(self, step):
        self.step, self.now, self.readings = step, 0.0, []

    def monotonic(self):
        self.now += self.step
        self.readings.append(self.now)
        return self.now


@pytest.fixture
def silent_origin():
    """A socket that accepts connections and never answers (a hanging server)."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        yield f"http://127.0.0.1:{silent.getsockname()[1]}/"


@pytest.fixture
def drip_origin():
    """A server that answers, promises a large file and then sends one byte at a time, forever."""
    stop = threading.Event()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            with connection:
                connection.recv(4096)
                connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 1000000\r\n\r\n")
                while not stop.wait(0.02):  # one byte every 20 ms: never silent long enough for a socket timeout
                    try:
                        connection.sendall(b"x")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join(5)
    server.close()


@pytest.mark.parametrize("timeout", [3.0, 10.0])  # long enough that the socket's own timeout cannot win
def test_watchdog_gives_up_one_timeout_after_the_last_progress(tmp_path, silent_origin, monkeypatch, timeout):
    clock = FakeClock(step=timeout / 8)
    monkeypatch.setattr(reviews, "time", clock)
    with pytest.raises(DownloadError, match=f"no response for {timeout:g} s"):
        reviews.download(silent_origin + "imdb.npz", tmp_path / "imdb.npz", timeout=timeout)
    # progress was last seen at the second reading; it gave up at the first reading more than `timeout` later
    gave_up_after = clock.readings[-1] - clock.readings[1]
    assert timeout < gave_up_after <= timeout + clock.step
    assert not (tmp_path / "imdb.npz").exists()


def test_watchdog_abandons_a_server_that_drips_data(tmp_path, drip_origin, monkeypatch):
    # Bytes trickle in, so the socket never times out; only the no-progress watchdog can end this.
    monkeypatch.setattr(reviews, "time", FakeClock(step=0.25))
    outcome = run_with_guard(lambda: pytest.raises(DownloadError, reviews.download, drip_origin + "imdb.npz",
                                                   tmp_path / "imdb.npz", timeout=2.0), guard_seconds=120)
    assert outcome is not None, "download() kept reading a dripping server"
    assert "no response for 2 s" in str(outcome.value)


def test_auto_falls_back_after_its_default_timeout_of_ten_seconds(tmp_path, silent_origin, monkeypatch):
    clock = FakeClock(step=1.0)
    monkeypatch.setattr(reviews, "time", clock)
    data = load_reviews(n_train=10, n_test=4, origin=silent_origin, cache_dir=tmp_path)  # default timeout
    assert data.source == "generated" and "no response for 10 s" in data.message
    assert 10 < clock.readings[-1] - clock.readings[1] <= 11


# ---------------------------------------------------------------------------------------------------
# A corrupted cache for the official origin (served locally, with the hashes of the local files)
# ---------------------------------------------------------------------------------------------------
@pytest.fixture
def official_origin(local_origin, monkeypatch):
    """The local server posing as the official origin, with the published hashes of its files."""
    import hashlib

    origin, folder, log = local_origin
    make_imdb_files(folder)
    hashes = {name: ("sha256", hashlib.sha256((folder / name).read_bytes()).hexdigest())
              for name in (reviews.IMDB_DATA_FILE, reviews.IMDB_INDEX_FILE)}
    monkeypatch.setattr(reviews, "IMDB_ORIGIN", origin)
    monkeypatch.setattr(reviews, "IMDB_FILE_HASHES", hashes)
    return origin, folder, log


def test_a_corrupted_cached_file_is_downloaded_again(tmp_path, official_origin):
    _, folder, log = official_origin
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "imdb.npz").write_bytes(b"half a download")  # e.g. an interrupted copy
    (cache / "imdb_word_index.json").write_bytes((folder / "imdb_word_index.json").read_bytes())
    data = load_reviews("imdb", n_train=4, n_test=2, cache_dir=cache)  # origin=None: the official one
    assert data.source == "imdb"
    assert log == ["/imdb.npz"]  # only the corrupted file was fetched again; the intact one was reused
    assert (cache / "imdb.npz").read_bytes() == (folder / "imdb.npz").read_bytes()


def test_a_download_that_does_not_match_the_published_hash_is_rejected(tmp_path, official_origin, monkeypatch):
    monkeypatch.setitem(reviews.IMDB_FILE_HASHES, reviews.IMDB_DATA_FILE, ("sha256", "0" * 64))
    with pytest.raises(DownloadError, match="corrupted"):
        load_reviews("imdb", n_train=4, n_test=2, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache" / "imdb.npz").exists()  # never left where it would pass for the data


@pytest.mark.parametrize("encoding, name", [("cp1252", "Windows-1252"), ("utf-16", "UTF-16"), ("utf-8", None)])
def test_csv_in_the_encodings_spreadsheets_save_keeps_accents(tmp_path, encoding, name):
    rows = [("Un film très émouvant, à voir", "positive"), ("Ennuyeux… et trop long", "negative")] * 3
    path = tmp_path / "accents.csv"
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows([("review", "sentiment")] + rows)
    data = load_reviews("csv", path=path, n_train=4, n_test=2)
    assert set(data.train_texts + data.test_texts) == {"Un film très émouvant, à voir", "Ennuyeux… et trop long"}
    assert (f"read as {name}" in data.message) if name else ("read as" not in data.message)


# ---------------------------------------------------------------------------------------------------
# Added by mutation testing (tools/mutation.py reviews)
# ---------------------------------------------------------------------------------------------------
def test_describe_gives_counts_balance_and_lengths():
    data = reviews.ReviewData(["one two three", "a b", "w " * 9, "x"], [1, 0, 1, 1], ["t u", "v"], [0, 1],
                              source="csv", message="")
    assert data.describe() == ("4 training reviews (75% positive), 2 test reviews (50% positive); "
                               "training reviews have 2 words at the median (1 to 9)")


def test_a_path_that_is_neither_csv_nor_folder_is_named_in_the_error(tmp_path):
    text_file = tmp_path / "reviews.txt"
    text_file.write_text("not a csv")
    with pytest.raises(ReviewDataError, match=r"'.*reviews\.txt' is neither a \.csv file nor an aclImdb folder"):
        load_reviews(path=text_file)
    with pytest.raises(ReviewDataError, match=r"review data path '.*nowhere\.csv' does not exist"):
        load_reviews(path=tmp_path / "nowhere.csv")
    upper = write_csv(tmp_path / "REVIEWS.CSV", csv_rows(8))  # the suffix test ignores case
    assert load_reviews(path=upper, n_train=4, n_test=2).source == "csv"


def test_default_cache_is_in_the_home_folder_without_keras_home(tmp_path, monkeypatch):
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert reviews._keras_cache_dir() == tmp_path / ".keras" / "datasets"


@pytest.mark.parametrize("exists", [True, False])
def test_an_unwritable_keras_home_falls_back_to_the_temporary_folder(tmp_path, monkeypatch, exists):
    import tempfile

    home = tmp_path / "keras-home"
    if exists:
        home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    asked = []
    monkeypatch.setattr(reviews.os, "access", lambda path, mode: asked.append((Path(path), mode)) or False)
    assert reviews._keras_cache_dir() == Path(tempfile.gettempdir()) / ".keras" / "datasets"
    assert asked == [(home if exists else tmp_path, reviews.os.W_OK)]  # the folder itself, or where it would go
    monkeypatch.setattr(reviews.os, "access", lambda path, mode: True)
    assert reviews._keras_cache_dir() == home / "datasets"


def test_download_errors_say_why():
    import urllib.error

    assert reviews._reason(urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))) \
        == "[Errno 111] Connection refused"
    assert reviews._reason(TimeoutError("timed out")) == "timed out"
    assert reviews._reason(OSError()) == "OSError"  # an exception without a message is still named


def test_a_refused_connection_is_reported_as_such(tmp_path):
    with pytest.raises(DownloadError, match="Connection refused"):
        reviews.download(f"http://127.0.0.1:{closed_port()}/imdb.npz", tmp_path / "imdb.npz", timeout=5)


def test_npz_files_in_format_version_2_are_read(tmp_path):
    import zipfile

    path = tmp_path / "v2.npz"
    with zipfile.ZipFile(path, "w") as archive:
        with archive.open("y_train.npy", "w") as member:
            np.lib.format.write_array(member, np.array([1, 0, 1]), version=(2, 0))
        with archive.open("x_train.npy", "w") as member:
            np.lib.format.write_array(member, np.array([[1, 2], [3]] + [None], dtype=object)[:-1], version=(2, 0))
    arrays = reviews._read_npz_safely(path)
    assert arrays["y_train"].tolist() == [1, 0, 1] and [list(x) for x in arrays["x_train"]] == [[1, 2], [3]]


def test_the_first_id_past_the_vocabulary_is_out_of_vocabulary():
    assert to_keras_ids([3, 4], num_words=7) == [1, 6, 2]  # rank 4 -> id 7 == num_words: outside
    assert decode_imdb([1, 4, 99], id_to_word_table(WORD_INDEX)) == "the [UNK]"  # an id the index lacks


def test_aclimdb_errors_name_the_folder(tmp_path):
    with pytest.raises(ReviewDataError, match=r"'.*elsewhere' is not an aclImdb folder: train/neg/ is missing"):
        load_reviews("aclImdb", path=(tmp_path / "elsewhere").mkdir() or tmp_path / "elsewhere")
    root = make_aclimdb(tmp_path / "aclImdb", per_class=2)
    for review in (root / "test" / "neg").iterdir():
        review.unlink()
    with pytest.raises(ReviewDataError, match=r"/aclImdb/test has 2 positive and 0 negative"):
        load_reviews("aclImdb", path=root, n_train=2, n_test=2)
    for review in (root / "test" / "pos").iterdir():
        review.unlink()
    with pytest.raises(ReviewDataError, match=r"'.*aclImdb/test' holds no .txt reviews"):
        load_reviews("aclImdb", path=root, n_train=2, n_test=2)


def test_aclimdb_message_names_the_folder_and_keeps_accents(tmp_path):
    root = make_aclimdb(tmp_path / "aclImdb", per_class=2)
    (root / "train" / "pos" / "0_7.txt").write_text("Très émouvant, à voir.", encoding="utf-8")
    data = load_reviews("aclImdb", path=root, n_train=4, n_test=2)
    assert str(root) in data.message and "Très émouvant, à voir." in data.train_texts


def test_generated_reviews_follow_the_seed_in_both_splits():
    first, again, other = (load_reviews("generated", n_train=6, n_test=4, seed=s) for s in (5, 5, 6))
    assert first.train_texts == again.train_texts and first.test_texts == again.test_texts
    assert first.train_texts != other.train_texts and first.test_texts != other.test_texts
    assert first.message.startswith("GENERATED reviews: synthetic text made by lstm_course.reviews")


def test_default_vocabulary_is_the_seeds_5000_words():
    assert to_keras_ids([4996, 4997]) == [1, 4999, 2]  # ids 0..4999 exist, as Embedding(5000, 64) expects


def test_a_missing_aclimdb_folder_and_a_wrong_layout_are_explained(tmp_path):
    with pytest.raises(ReviewDataError, match=r"aclImdb folder '.*missing' does not exist"):
        load_reviews("aclImdb", path=tmp_path / "missing")
    (tmp_path / "flat").mkdir()
    with pytest.raises(ReviewDataError, match=r"\(expected train/pos, train/neg, test/pos and test/neg holding "
                                              r"\.txt reviews\)$"):
        load_reviews("aclImdb", path=tmp_path / "flat")


def test_aclimdb_sample_follows_the_seed(tmp_path):
    root = make_aclimdb(tmp_path / "aclImdb", per_class=12)
    first, again, other = (load_reviews("aclImdb", path=root, n_train=6, n_test=4, seed=s) for s in (3, 3, 4))
    assert first.train_texts == again.train_texts and first.test_texts == again.test_texts
    assert first.train_texts != other.train_texts


def test_an_aclimdb_review_with_invalid_utf8_is_read_with_a_replacement_mark(tmp_path):
    root = make_aclimdb(tmp_path / "aclImdb", per_class=1)
    (root / "train" / "pos" / "0_7.txt").write_bytes(b"Great film \xff\xfe here.")
    data = load_reviews("aclImdb", path=root, n_train=2, n_test=2)
    assert "Great film \ufffd\ufffd here." in data.train_texts


def test_a_csv_with_only_negative_reviews_is_rejected(tmp_path):
    path = write_csv(tmp_path / "negative.csv", [(f"bad {i}", "negative") for i in range(6)])
    with pytest.raises(ReviewDataError, match="negative.csv has 0 positive and 6 negative reviews"):
        load_reviews("csv", path=path)


def test_an_npz_in_an_unknown_format_version_is_refused_by_name(tmp_path):
    import zipfile

    path = tmp_path / "v3.npz"
    with zipfile.ZipFile(path, "w") as archive, archive.open("y_train.npy", "w") as member:
        np.lib.format.write_array(member, np.array([1, 0]), version=(3, 0))
    with pytest.raises(DownloadError, match=r"v3\.npz: unsupported \.npy format version \(3, 0\)"):
        reviews._read_npz_safely(path)


def test_clean_review_text_turns_tags_into_spaces_and_decodes_entities():
    assert reviews.clean_review_text("Great<br /><br />film &amp; cast") == "Great film & cast"
    assert reviews.clean_review_text("a<i>b</i>c") == "a b c"


@pytest.mark.parametrize("header", [("review", "label"), ("text", "sentiment")])
def test_a_csv_missing_either_column_is_rejected(tmp_path, header):
    path = write_csv(tmp_path / "half.csv", [("great", "positive")] * 4, header=header)
    with pytest.raises(ReviewDataError, match="expected the columns 'review' and 'sentiment'"):
        load_reviews("csv", path=path)


def test_csv_edge_cases_empty_review_too_few_rows_minimum_test_size(tmp_path):
    rows = [("", "positive"), ("bad", "negative"), ("good", "positive"), ("awful", "negative")] * 3
    data = load_reviews("csv", path=write_csv(tmp_path / "empty.csv", rows), n_train=2500, n_test=2)
    assert "" in data.train_texts + data.test_texts  # an empty review stays empty, it is not invented
    assert len(data.test_texts) == 2  # never fewer than 2 test reviews, though 12 * 2 / 2502 rounds to 0
    assert data.message == "Reviews from the local CSV file empty.csv (12 rows, HTML line breaks removed)."
    with pytest.raises(ReviewDataError, match=r"tiny.csv: 3 reviews; at least 4 are needed"):
        load_reviews("csv", path=write_csv(tmp_path / "tiny.csv", rows[:3]))
    with pytest.raises(ReviewDataError, match=r"CSV file '.*gone.csv' does not exist"):
        load_reviews("csv", path=tmp_path / "gone.csv")


def test_imdb_origin_without_a_trailing_slash_and_a_custom_timeout(tmp_path, local_origin, silent_origin, monkeypatch):
    origin, folder, log = local_origin
    make_imdb_files(folder)
    data = load_reviews("imdb", n_train=4, n_test=2, origin=origin.rstrip("/"), cache_dir=tmp_path / "cache")
    assert data.source == "imdb" and sorted(log) == ["/imdb.npz", "/imdb_word_index.json"]
    monkeypatch.setattr(reviews, "time", FakeClock(step=0.5))
    with pytest.raises(DownloadError, match="no response for 4 s"):  # the caller's timeout reaches download()
        load_reviews("imdb", origin=silent_origin, cache_dir=tmp_path / "other", timeout=4)


def test_review_data_stores_int32_labels_and_rejects_a_count_mismatch():
    data = reviews.ReviewData(["a", "b"], [1.0, 0.0], ["c"], [True], source="csv", message="")
    assert data.train_labels.dtype == data.test_labels.dtype == np.int32
    with pytest.raises(ValueError, match=r"^train: 1 texts but 2 labels$"):
        reviews.ReviewData(["a"], [1, 0], ["c"], [1], source="csv", message="")


def test_the_documented_defaults_of_load_reviews():
    import inspect

    defaults = {name: p.default for name, p in inspect.signature(load_reviews).parameters.items()}
    assert defaults == {"source": "auto", "path": None, "n_train": 2500, "n_test": 1000, "seed": 0,
                        "timeout": 10.0, "num_words": 5000, "origin": None, "cache_dir": None}


@pytest.mark.parametrize("name", ["n_train", "n_test"])
def test_a_bad_size_is_named(name):
    with pytest.raises(ReviewDataError, match=rf"^{name} must be an integer >= 2, got 1$"):
        load_reviews("generated", **{name: 1})


def test_auto_uses_imdb_when_it_downloads(tmp_path, local_origin):
    origin, folder, _ = local_origin
    make_imdb_files(folder)
    data = load_reviews(n_train=4, n_test=2, origin=origin, cache_dir=tmp_path)
    assert data.source == "imdb" and (len(data.train_texts), len(data.test_texts)) == (4, 2)


def test_the_official_origin_caches_in_keras_home_by_default(tmp_path, official_origin, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    assert load_reviews("imdb", n_train=4, n_test=2).source == "imdb"
    assert (tmp_path / "keras-home" / "datasets" / "imdb_word_index.json").exists()


def test_the_word_index_download_gets_the_callers_timeout(tmp_path, silent_origin, monkeypatch):
    make_imdb_files(tmp_path / "cache")
    (tmp_path / "cache" / "imdb_word_index.json").unlink()  # the data file is cached, the index is not
    monkeypatch.setattr(reviews, "time", FakeClock(step=0.5))
    with pytest.raises(DownloadError, match=r"imdb_word_index\.json: no response for 4 s"):
        load_reviews("imdb", origin=silent_origin, cache_dir=tmp_path / "cache", timeout=4)


def test_the_generated_message_in_full():
    assert load_reviews("generated", n_train=2, n_test=2).message == (
        "GENERATED reviews: synthetic text made by lstm_course.reviews to mimic movie reviews "
        "(not real data). For real IMDB reviews, run with internet access or pass path= to a local copy.")


def test_download_creates_missing_folders_and_leaves_only_the_file(tmp_path, local_origin):
    origin, folder, _ = local_origin
    (folder / "data.bin").write_bytes(bytes(range(256)) * 1000)
    target = reviews.download(origin + "data.bin", tmp_path / "a" / "b" / "data.bin", timeout=30)
    assert target.read_bytes() == (folder / "data.bin").read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["data.bin"]


@pytest.fixture
def cut_short_origin():
    """A server that promises 100,000 bytes, sends 10 and hangs up (a dropped connection)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def serve():
        connection, _ = server.accept()
        with connection:
            connection.recv(4096)
            connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n0123456789")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/"
    thread.join(10)
    server.close()


def test_a_download_cut_short_is_an_error_and_leaves_no_partial_file(tmp_path, cut_short_origin):
    with pytest.raises(DownloadError, match=r"imdb\.npz: the connection closed after 10 of 100,000 bytes"):
        reviews.download(cut_short_origin + "imdb.npz", tmp_path / "imdb.npz", timeout=30)
    assert list(tmp_path.iterdir()) == []  # neither the target nor a .part file


# ---------------------------------------------------------------------------------------------------
# Added by the second mutation run (tools/mutation.py reviews, 40 survivors): defaults, seeds, the
# fallback message, encodings whatever the locale, and the download worker's end in every case
# ---------------------------------------------------------------------------------------------------
def test_the_default_sizes_are_2500_training_and_1000_test_reviews(tmp_path):
    path = write_csv(tmp_path / "big.csv", grouped_rows(1800, 1800))
    data = load_reviews(path=path)  # auto, every size left at its default
    assert (len(data.train_texts), len(data.test_texts)) == (2500, 1000)
    assert np.concatenate([data.train_labels, data.test_labels]).mean() == 0.5  # one balanced pool, then split


def test_a_csv_sample_follows_the_seed_and_the_default_seed_is_0(tmp_path):
    path = write_csv(tmp_path / "sorted.csv", grouped_rows(30, 30))
    first, again, other = (load_reviews("csv", path=path, n_train=10, n_test=6, seed=s) for s in (2, 2, 3))
    assert first.train_texts == again.train_texts and first.test_texts == again.test_texts
    assert first.train_texts != other.train_texts
    default, zero = load_reviews("csv", path=path, n_train=10, n_test=6), load_reviews("csv", path=path, n_train=10,
                                                                                     n_test=6, seed=0)
    assert default.train_texts == zero.train_texts and default.test_texts == zero.test_texts


def many_imdb_reviews(folder, n=40, word_index=None):
    """`n` distinct IMDB reviews (rank sequences), alternating labels, so a sample is unlikely by chance."""
    import json

    ragged = np.array([[1 + i % 6, 1 + (i // 6) % 6, 1 + i // 36] for i in range(n)] + [None], dtype=object)[:-1]
    make_imdb_files(folder, x_train=ragged, y_train=np.arange(n) % 2)
    if word_index is not None:
        (folder / "imdb_word_index.json").write_text(json.dumps(word_index, ensure_ascii=False), encoding="utf-8")
    return folder


# A mirror (any origin but the official one) whose files are already in the cache: no server needed.
MIRROR = "http://mirror.invalid/"


def test_auto_samples_imdb_with_the_callers_seed(tmp_path):
    many_imdb_reviews(tmp_path)
    auto = load_reviews(n_train=10, n_test=2, seed=3, origin=MIRROR, cache_dir=tmp_path)
    assert auto.source == "imdb"
    assert auto.train_texts == load_reviews("imdb", n_train=10, n_test=2, seed=3, origin=MIRROR,
                                            cache_dir=tmp_path).train_texts


def test_the_default_imdb_vocabulary_is_5000_words(tmp_path):
    folder = tmp_path
    make_imdb_files(folder, x_train=np.array([[4996, 4997], [4996], [4997], [4996, 4996]] + [None], dtype=object)[:-1],
                    y_train=np.array([1, 0, 1, 0]))
    (folder / "imdb_word_index.json").write_text('{"kept": 4996, "dropped": 4997}')
    data = load_reviews("imdb", n_train=4, n_test=2, origin=MIRROR, cache_dir=tmp_path)
    assert "num_words=5000" in data.message and "outside the 5,000 most frequent" in data.message
    assert sorted(data.train_texts) == ["[UNK]", "kept", "kept [UNK]", "kept kept"]  # id 5000 is out, 4999 in


def test_the_fixed_source_variable_cannot_be_auto_and_the_error_lists_the_fixed_sources(monkeypatch):
    monkeypatch.setenv(reviews.SOURCE_ENV_VAR, "auto")
    with pytest.raises(ReviewDataError) as error:
        load_reviews(n_train=4, n_test=2)
    assert str(error.value) == ("LSTM_COURSE_REVIEWS_SOURCE='auto': expected one of "
                                "('imdb', 'csv', 'aclImdb', 'generated')")


def test_the_offline_fallback_message_in_full(tmp_path):
    url = f"http://127.0.0.1:{closed_port()}/"
    data = load_reviews(n_train=4, n_test=2, origin=url, cache_dir=tmp_path, timeout=5)
    refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"  # 111 on Linux, 61 on macOS
    assert data.message == (
        f"The IMDB reviews could not be downloaded ({url}imdb.npz: {refused}), so these are "
        "the course's GENERATED stand-in reviews: synthetic text that mimics real reviews, not real data. For the "
        "real reviews, run this notebook with internet access (Colab or Binder), or pass path= to a local "
        "'review,sentiment' CSV or an aclImdb folder.")


def test_a_csv_with_bytes_windows_1252_leaves_undefined_is_read_as_latin_1(tmp_path):
    # 0x81 and 0x8d are undefined in Windows-1252 (and invalid UTF-8): only Latin-1 decodes them
    rows = b"".join(b"caf\xe9 \x81 %d,%s\r\n" % (i, b"positive" if i % 2 else b"negative") for i in range(6))
    path = tmp_path / "odd.csv"
    path.write_bytes(b"review,sentiment\r\n" + rows + b"\x8d tail,negative\r\n")
    data = load_reviews("csv", path=path, n_train=5, n_test=2)
    assert "caf\xe9 \x81 3" in data.train_texts + data.test_texts
    assert data.message == "Reviews from the local CSV file odd.csv (7 rows, read as Latin-1, HTML line breaks removed)."


def under_ascii_locale(code: str) -> list:
    """Run `code` in a fresh Python whose locale encoding is ASCII (C locale, UTF-8 mode off), as on Windows
    (cp1252) or a bare Docker image: a file opened without an explicit encoding is decoded with it. A child
    process, because UTF-8 mode (on by itself under the C locale, PEP 540) cannot be turned off in-process.
    Returns the lines it printed; the first says which encoding the child really had."""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "utf-8"}
    preamble = "import locale, sys; print(locale.getpreferredencoding(False), sys.flags.utf8_mode)\n"
    ascii_code = (preamble + code).encode("ascii", "backslashreplace").decode()  # the C locale's command line
    # -c, not a script file: the child imports lstm_course from the working directory, as the parent does
    # (under the mutation tests, the mutated copy)
    child = subprocess.run([sys.executable, "-c", ascii_code], env=env, capture_output=True, text=True,
                           encoding="utf-8", timeout=120)
    assert child.returncode == 0, child.stderr[-3000:]
    lines = child.stdout.splitlines()
    assert lines[0] == "ANSI_X3.4-1968 0", f"the child was not under an ASCII locale: {lines[0]}"
    return lines[1:]


def test_aclimdb_reviews_are_read_as_utf8_whatever_the_locale(tmp_path):
    root = make_aclimdb(tmp_path / "aclImdb", per_class=1)
    (root / "train" / "pos" / "0_7.txt").write_text("Très émouvant, à voir.", encoding="utf-8")
    assert under_ascii_locale(
        "from lstm_course.reviews import load_reviews\n"
        f"data = load_reviews('aclImdb', path={str(root)!r}, n_train=2, n_test=2)\n"
        "print('Très émouvant, à voir.' in data.train_texts)") == ["True"]


def test_the_imdb_word_index_is_read_as_utf8_whatever_the_locale(tmp_path):
    many_imdb_reviews(tmp_path, n=4, word_index={**WORD_INDEX, "café": 1})  # a mirror's index, not ASCII-escaped
    assert under_ascii_locale(
        "from lstm_course.reviews import load_reviews\n"
        f"data = load_reviews('imdb', n_train=4, n_test=2, origin={MIRROR!r}, cache_dir={str(tmp_path)!r})\n"
        "print(any(text.split()[0] == 'café' for text in data.train_texts))") == ["True"]


class GatedTransfer:
    """Stands in for urlopen: answers at once without a Content-Length, then blocks in read() until `gate`
    opens (bounded) and ends the file. `in_read` tells when the worker thread is blocked there."""

    def __init__(self):
        self.gate, self.in_read, self.calls, self.threads = threading.Event(), threading.Event(), [], []

    def urlopen(self, url, timeout=None):
        self.calls.append((url, timeout))
        self.threads.append(threading.current_thread())
        return self

    headers = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def read(self, size):
        self.in_read.set()
        self.gate.wait(30)
        return b""


class ClockAfter(FakeClock):
    """A fake clock that starts only once `started` is set (bounded wait): no progress before the worker
    is blocked in read() is the watchdog's doing, never the scheduler's."""

    def __init__(self, step, started):
        super().__init__(step)
        self.started = started

    def monotonic(self):
        self.started.wait(30)
        return super().monotonic()


@pytest.fixture
def gated(monkeypatch):
    transfer = GatedTransfer()
    monkeypatch.setattr(reviews.urllib.request, "urlopen", transfer.urlopen)
    yield transfer
    transfer.gate.set()
    for thread in transfer.threads:
        thread.join(10)


def test_download_waits_ten_seconds_by_default_and_its_lingering_worker_is_a_named_daemon(tmp_path, gated, monkeypatch):
    clock = ClockAfter(step=2.5, started=gated.in_read)
    monkeypatch.setattr(reviews, "time", clock)
    url = "http://mirror.invalid/imdb.npz"
    with pytest.raises(DownloadError, match=r"^http://mirror\.invalid/imdb\.npz: no response for 10 s$"):
        reviews.download(url, tmp_path / "imdb.npz")  # the default timeout
    assert 10 < clock.readings[-1] - clock.readings[1] <= 12.5
    assert gated.calls == [(url, 10.0)]  # the socket times out too, so an abandoned worker ends on its own
    [worker] = gated.threads  # still blocked in read(): it must never keep the kernel or a script from exiting
    assert worker.is_alive() and worker.daemon and worker.name == f"download {url}"  # and says what it is doing
    gated.gate.set()
    worker.join(10)
    assert list(tmp_path.iterdir()) == []  # the abandoned worker removes its .part file when it ends


def test_a_transfer_ending_as_the_watchdog_gives_up_is_still_a_download_error_and_leaves_no_file(
        tmp_path, gated, monkeypatch):
    # The worst moment: the watchdog has just cancelled, and the server ends the file before the watchdog
    # reads the outcome. The worker saw the cancel, so it removed its .part file; the result must be a
    # DownloadError (never a file that is missing or half-closed, never another OSError).
    class CancelThenLetTheTransferEnd(threading.Event):
        def set(self):
            super().set()
            gated.gate.set()
            for thread in gated.threads:
                thread.join(10)

    monkeypatch.setattr(reviews, "threading", type("threading", (), {
        "Event": CancelThenLetTheTransferEnd, "Thread": threading.Thread, "get_ident": staticmethod(threading.get_ident)}))
    monkeypatch.setattr(reviews, "time", ClockAfter(step=1.0, started=gated.in_read))
    with pytest.raises(DownloadError, match="no response for 2 s"):
        reviews.download("http://mirror.invalid/imdb.npz", tmp_path / "imdb.npz", timeout=2)
    assert not gated.threads[0].is_alive() and list(tmp_path.iterdir()) == []


def test_a_failed_download_ends_its_worker_without_an_uncaught_exception(tmp_path, monkeypatch):
    # The connection fails before any file is opened: the worker's clean-up must not raise (a traceback
    # from a background thread would be printed into the learner's notebook).
    import urllib.error

    def refuse(url, timeout=None):
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    uncaught = []
    monkeypatch.setattr(reviews.urllib.request, "urlopen", refuse)
    monkeypatch.setattr(threading, "excepthook", uncaught.append)
    with pytest.raises(DownloadError, match=r"imdb\.npz: \[Errno 111\] Connection refused"):
        reviews.download("http://mirror.invalid/imdb.npz", tmp_path / "imdb.npz", timeout=5)
    assert uncaught == [] and list(tmp_path.iterdir()) == []
