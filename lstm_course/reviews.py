"""Movie reviews for sentiment classification, behind one loader: `load_reviews()`.

Where the reviews come from (`source=`):

* ``"imdb"``: the real IMDB reviews Keras distributes (`keras.datasets.imdb`, 25,000 train and 25,000
  test reviews). They are stored as word ids; we decode them back to text with the Keras word index so
  that every source goes through the same text pipeline and learners can type their own review.
* ``"csv"``: a local CSV in the common ``review,sentiment`` layout (``positive`` / ``negative``).
* ``"aclImdb"``: a local copy of the original Stanford folder (``train|test/pos|neg/*.txt``).
* ``"generated"``: a synthetic review corpus made here, for machines without internet.
* ``"auto"`` (default): a local `path` if given, else IMDB (from the Keras cache or downloaded), and if
  the download is not reachable within `timeout` seconds, the generated corpus, saying so plainly.
  With no path, the environment variable LSTM_COURSE_REVIEWS_SOURCE (one of the other sources) replaces
  "auto": the test suite sets it to "generated" so that its verdict never depends on the network.

The download is written to stay offline-testable: the origin is a parameter (`IMDB_ORIGIN` by default)
and a stalled or unreachable server is abandoned after `timeout` seconds without progress.
"""
from __future__ import annotations

import codecs
import csv
import hashlib
import html
import io
import json
import os
import pickle
import re
import tempfile
import threading
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# Same origin, file names and cache folder as keras.datasets.imdb, so a copy Keras already downloaded
# (~/.keras/datasets/imdb.npz) is reused, and ours is reused by Keras.
IMDB_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
IMDB_DATA_FILE = "imdb.npz"
IMDB_INDEX_FILE = "imdb_word_index.json"
# Hashes Keras publishes for the official files (sha256 for the data, md5 for the index).
IMDB_FILE_HASHES = {
    IMDB_DATA_FILE: ("sha256", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    IMDB_INDEX_FILE: ("md5", "bfafd718b763782e994055a2d397834f"),
}
# keras.datasets.imdb.load_data conventions: 0 = padding, 1 = start of review, 2 = out-of-vocabulary,
# and a word of frequency rank r (1 = most frequent, as in the word index) gets id r + 3.
PAD_ID, START_ID, OOV_ID, INDEX_FROM = 0, 1, 2, 3
OOV_WORD = "[UNK]"  # how an out-of-vocabulary id reads in decoded text

PATH_ENV_VAR = "LSTM_COURSE_REVIEWS"  # optional default `path` (a CSV file or an aclImdb folder)
SOURCE_ENV_VAR = "LSTM_COURSE_REVIEWS_SOURCE"  # optional fixed source for "auto" without a path
SOURCES = ("auto", "imdb", "csv", "aclImdb", "generated")
LABEL_NAMES = ("negative", "positive")  # label 0, label 1


class ReviewDataError(ValueError):
    """The review data asked for cannot be used (missing path, wrong columns, unknown labels, ...)."""


class DownloadError(OSError):
    """The IMDB files could not be downloaded (offline, unreachable or stalled server, bad file)."""


@dataclass
class ReviewData:
    """Train/test review texts with 0/1 labels (1 = positive) and where they came from."""

    train_texts: list
    train_labels: np.ndarray
    test_texts: list
    test_labels: np.ndarray
    source: str  # "imdb" | "csv" | "aclImdb" | "generated"
    message: str  # one plain sentence (or two) for the notebook to print

    def __post_init__(self):
        self.train_labels = np.asarray(self.train_labels, dtype="int32")
        self.test_labels = np.asarray(self.test_labels, dtype="int32")
        for split in ("train", "test"):
            texts, labels = getattr(self, f"{split}_texts"), getattr(self, f"{split}_labels")
            if len(texts) != len(labels):
                raise ValueError(f"{split}: {len(texts)} texts but {len(labels)} labels")

    @property
    def synthetic(self) -> bool:
        return self.source == "generated"

    def describe(self) -> str:
        """One line of counts: how many reviews, how balanced, how long (in words)."""
        words = [len(t.split()) for t in self.train_texts]
        return (
            f"{len(self.train_texts):,} training reviews ({self.train_labels.mean():.0%} positive), "
            f"{len(self.test_texts):,} test reviews ({self.test_labels.mean():.0%} positive); "
            f"training reviews have {int(np.median(words))} words at the median "
            f"({min(words)} to {max(words)})"
        )


# --------------------------------------------------------------------------------------------------
# The one public loader
# --------------------------------------------------------------------------------------------------
def load_reviews(
    source: str = "auto",
    path=None,
    n_train: int = 2500,
    n_test: int = 1000,
    seed: int = 0,
    timeout: float = 10.0,
    num_words: int = 5000,
    origin: str | None = None,
    cache_dir=None,
) -> ReviewData:
    """Load `n_train` training and `n_test` test reviews, class-balanced, in a repeatable order.

    source: "auto" | "imdb" | "csv" | "aclImdb" | "generated" (see the module docstring).
    path: a CSV file or an aclImdb folder (for "auto", "csv", "aclImdb"). With "auto" and no path, the
        environment variable LSTM_COURSE_REVIEWS is used if set; without a path,
        LSTM_COURSE_REVIEWS_SOURCE (if set) replaces "auto" by a fixed source.
    seed: picks which reviews are sampled (and seeds the generated corpus).
    timeout: seconds without download progress before giving up on IMDB (then "auto" falls back).
    num_words: IMDB vocabulary cut, as in `keras.datasets.imdb.load_data(num_words=...)`.
    origin, cache_dir: where IMDB is downloaded from / cached (defaults: Keras' origin and cache).

    Raises ReviewDataError for unusable input, and DownloadError when source="imdb" cannot download.
    """
    if source not in SOURCES:
        raise ReviewDataError(f"source must be one of {SOURCES}, not {source!r}")
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if not isinstance(value, (int, np.integer)) or value < 2:
            raise ReviewDataError(f"{name} must be an integer >= 2, got {value!r}")
    if path is None and source == "auto" and os.environ.get(PATH_ENV_VAR):
        path = os.environ[PATH_ENV_VAR]
    if path is None and source == "auto" and os.environ.get(SOURCE_ENV_VAR):
        fixed = os.environ[SOURCE_ENV_VAR]
        if fixed not in SOURCES or fixed == "auto":
            raise ReviewDataError(f"{SOURCE_ENV_VAR}={fixed!r}: expected one of "
                                  f"{tuple(s for s in SOURCES if s != 'auto')}")
        source = fixed  # "csv" and "aclImdb" then need path=, and say so below

    if source == "auto":
        if path is not None:  # an explicit local copy wins; its errors are reported, never skipped
            source = _local_source_kind(path)
        else:
            try:
                return _load_imdb(n_train, n_test, seed, timeout, num_words, origin, cache_dir)
            except DownloadError as exc:
                data = _load_generated(n_train, n_test, seed)
                data.message = (
                    f"The IMDB reviews could not be downloaded ({exc}), so these are the course's "
                    "GENERATED stand-in reviews: synthetic text that mimics real reviews, not real data. "
                    "For the real reviews, run this notebook with internet access (Colab or Binder), or pass "
                    "path= to a local 'review,sentiment' CSV or an aclImdb folder."
                )
                return data
    if source == "imdb":
        return _load_imdb(n_train, n_test, seed, timeout, num_words, origin, cache_dir)
    if source == "generated":
        return _load_generated(n_train, n_test, seed)
    if path is None:
        raise ReviewDataError(f'source="{source}" needs path= (a CSV file or an aclImdb folder)')
    if source == "csv":
        return _load_csv(Path(path), n_train, n_test, seed)
    return _load_aclimdb(Path(path), n_train, n_test, seed)


def _local_source_kind(path) -> str:
    path = Path(path)
    if not path.exists():
        raise ReviewDataError(f"review data path {str(path)!r} does not exist")
    if path.is_dir():
        return "aclImdb"
    if path.suffix.lower() == ".csv":
        return "csv"
    raise ReviewDataError(f"{str(path)!r} is neither a .csv file nor an aclImdb folder")


# --------------------------------------------------------------------------------------------------
# Sampling shared by every source
# --------------------------------------------------------------------------------------------------
def _balanced_indices(labels: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of up to `n` examples, half of each class when possible, in shuffled order."""
    labels = np.asarray(labels)
    positives, negatives = np.flatnonzero(labels == 1), np.flatnonzero(labels == 0)
    n_pos = min(len(positives), n // 2 + n % 2)
    n_neg = min(len(negatives), n - n_pos)
    n_pos = min(len(positives), n - n_neg)  # use spare room if negatives ran out
    chosen = np.concatenate([rng.choice(positives, n_pos, replace=False), rng.choice(negatives, n_neg, replace=False)])
    rng.shuffle(chosen)
    return chosen


def _require_both_classes(labels, where: str) -> None:
    counts = np.bincount(np.asarray(labels, dtype=int), minlength=2)
    if counts.min() == 0:
        raise ReviewDataError(
            f"{where} has {counts[1]} positive and {counts[0]} negative reviews; a classifier needs both"
        )


# --------------------------------------------------------------------------------------------------
# Real IMDB through the Keras files
# --------------------------------------------------------------------------------------------------
def _keras_cache_dir() -> Path:
    """Where Keras caches datasets: $KERAS_HOME or ~/.keras, or a temporary folder if that is read-only."""
    home = Path(os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras"))
    writable = os.access(home, os.W_OK) if home.exists() else os.access(home.parent, os.W_OK)
    if not writable:
        home = Path(tempfile.gettempdir()) / ".keras"
    return home / "datasets"


def _file_matches(path: Path, expected) -> bool:
    algorithm, digest = expected
    hasher = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest() == digest


def download(url: str, target, timeout: float = 10.0) -> Path:
    """Download `url` to `target`, giving up after `timeout` seconds WITHOUT progress.

    The transfer runs in a background thread and this function watches it, so a name lookup that
    hangs, an unroutable address or a server that stops sending all fail within about `timeout`
    seconds, while a slow but steady download still completes. Raises DownloadError.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".part{os.getpid()}.{threading.get_ident()}")
    progress = {"bytes": 0, "error": None, "done": False}
    cancelled = threading.Event()

    def transfer():
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as out:
                announced = response.headers.get("Content-Length")
                while not cancelled.is_set():
                    chunk = response.read(1 << 16)
                    if not chunk:
                        # Fix (issue 13): a connection dropped mid-file ends like a complete transfer
                        # (read() returns b""); only the announced length tells the two apart.
                        if announced is not None and progress["bytes"] != int(announced):
                            raise DownloadError(f"the connection closed after {progress['bytes']:,} of "
                                                f"{int(announced):,} bytes")
                        progress["done"] = True
                        break
                    out.write(chunk)
                    progress["bytes"] += len(chunk)
        except BaseException as exc:  # reported by the watching thread below
            progress["error"] = exc
        if not progress["done"] or cancelled.is_set():
            partial.unlink(missing_ok=True)  # never leave a half file that could pass for the data

    worker = threading.Thread(target=transfer, name=f"download {url}", daemon=True)
    worker.start()
    seen, last_progress = -1, time.monotonic()
    while worker.is_alive():
        worker.join(0.05)
        if progress["bytes"] != seen:
            seen, last_progress = progress["bytes"], time.monotonic()
        elif time.monotonic() - last_progress > timeout:
            cancelled.set()  # the thread stops at its next chunk; it is a daemon, so it never blocks exit
            break
    if progress["error"] is not None:
        raise DownloadError(f"{url}: {_reason(progress['error'])}")
    if cancelled.is_set() or not progress["done"]:
        raise DownloadError(f"{url}: no response for {timeout:g} s")
    os.replace(partial, target)
    return target


def _reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason if reason is not None else exc) or type(exc).__name__


def _fetch_imdb_file(name: str, origin: str, cache_dir: Path, timeout: float) -> Path:
    """The cached file if present (and intact for the official origin), else a fresh download."""
    target = cache_dir / name
    expected = IMDB_FILE_HASHES.get(name) if origin == IMDB_ORIGIN else None
    if target.exists() and (expected is None or _file_matches(target, expected)):
        return target
    try:
        download(origin + name, target, timeout)
    except DownloadError:
        raise
    except OSError as exc:  # e.g. a read-only or full cache folder: report it like any failed download
        raise DownloadError(f"{origin + name}: cannot save to {target.parent} ({exc})") from exc
    if expected is not None and not _file_matches(target, expected):
        target.unlink()
        raise DownloadError(f"{origin + name}: the downloaded file is corrupted (hash mismatch)")
    return target


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """IMDB stores ragged sequences as pickled object arrays; allow nothing but NumPy arrays in them."""

    ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a dataset file")


def _read_npz_safely(path: Path) -> dict:
    """Read an .npz of (possibly object) arrays without letting the file run arbitrary code."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            data = io.BytesIO(archive.read(member))
            version = np.lib.format.read_magic(data)
            if version == (1, 0):
                _, _, dtype = np.lib.format.read_array_header_1_0(data)
            elif version == (2, 0):
                _, _, dtype = np.lib.format.read_array_header_2_0(data)
            else:
                raise DownloadError(f"{path.name}: unsupported .npy format version {version}")
            if dtype.hasobject:
                arrays[member.removesuffix(".npy")] = _ArraysOnlyUnpickler(data).load()
            else:
                data.seek(0)
                arrays[member.removesuffix(".npy")] = np.lib.format.read_array(data, allow_pickle=False)
    return arrays


def to_keras_ids(raw_sequence, num_words: int = 5000) -> list:
    """What `keras.datasets.imdb.load_data(num_words=...)` returns for one stored review.

    The file stores frequency ranks (1 = most frequent word). Keras prepends START_ID, shifts every
    rank by INDEX_FROM = 3 so that ids 0, 1, 2 stay reserved, and maps ids >= num_words to OOV_ID.
    """
    ids = [START_ID] + [int(rank) + INDEX_FROM for rank in raw_sequence]
    return [i if i < num_words else OOV_ID for i in ids]


def id_to_word_table(word_index: dict) -> dict:
    """Keras id -> word, from the word index (word -> rank), undoing the offset of 3."""
    table = {rank + INDEX_FROM: word for word, rank in word_index.items()}
    table.update({PAD_ID: "", START_ID: "", OOV_ID: OOV_WORD})
    return table


def decode_imdb(keras_ids, id_to_word: dict) -> str:
    """Text of one review given as Keras ids: padding and the start marker vanish, rare words read [UNK]."""
    words = (id_to_word.get(int(i), OOV_WORD) for i in keras_ids)
    return " ".join(w for w in words if w)


def _load_imdb(n_train, n_test, seed, timeout, num_words, origin, cache_dir) -> ReviewData:
    origin = origin or IMDB_ORIGIN
    if not origin.endswith("/"):
        origin += "/"
    cache_dir = Path(cache_dir) if cache_dir is not None else _keras_cache_dir()
    data_path = _fetch_imdb_file(IMDB_DATA_FILE, origin, cache_dir, timeout)
    index_path = _fetch_imdb_file(IMDB_INDEX_FILE, origin, cache_dir, timeout)
    try:
        arrays = _read_npz_safely(data_path)
        with open(index_path, encoding="utf-8") as f:
            id_to_word = id_to_word_table(json.load(f))
        splits = {s: (arrays[f"x_{s}"], np.asarray(arrays[f"y_{s}"], dtype=int)) for s in ("train", "test")}
    except (KeyError, ValueError, OSError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise DownloadError(f"the IMDB files in {cache_dir} are unreadable ({exc}); delete them to re-download")
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        sequences, labels = splits[split]
        chosen = _balanced_indices(labels, n, rng)
        out[split] = ([decode_imdb(to_keras_ids(sequences[i], num_words), id_to_word) for i in chosen], labels[chosen])
    message = (
        f"Real IMDB movie reviews (keras.datasets.imdb, num_words={num_words}), decoded back to text; "
        f"words outside the {num_words:,} most frequent read {OOV_WORD}."
    )
    return ReviewData(*out["train"], *out["test"], source="imdb", message=message)


# --------------------------------------------------------------------------------------------------
# Local copies: CSV and aclImdb folder
# --------------------------------------------------------------------------------------------------
_TAGS = re.compile(r"<[^>]+>")


def clean_review_text(text: str) -> str:
    """Plain text from scraped review HTML: `<br />` and other tags become spaces, entities are decoded."""
    text = _TAGS.sub(" ", text)
    return " ".join(html.unescape(text).split())


def _read_spreadsheet_text(path: Path) -> tuple:
    """`(text, encoding)` of a CSV in the encodings spreadsheet programs save.

    Fix (issue 13): the file used to be read as UTF-8 with errors="replace", so a Windows-1252 CSV lost
    every accented letter to U+FFFD without a word, and a UTF-16 one failed with garbled column names.
    Order: UTF-16 when the file starts with its byte-order mark (Excel's "Unicode text"); UTF-8, with or
    without Excel's BOM; else Windows-1252 (Excel's "CSV" on Windows), and Latin-1 for the five bytes
    cp1252 leaves undefined (Latin-1 decodes any byte). No guessing library: these rules are exact for
    the three formats, where a statistical guess can misread a short file.
    """
    raw = path.read_bytes()
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16"), "UTF-16"
    for encoding, name in (("utf-8-sig", "UTF-8"), ("cp1252", "Windows-1252")):
        try:
            return raw.decode(encoding), name
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1"), "Latin-1"


def _load_csv(path: Path, n_train, n_test, seed) -> ReviewData:
    if not path.is_file():
        raise ReviewDataError(f"CSV file {str(path)!r} does not exist")
    texts, labels = [], []
    content, encoding = _read_spreadsheet_text(path)
    with io.StringIO(content, newline="") as f:
        reader = csv.DictReader(f)
        columns = [c.strip().lower() for c in (reader.fieldnames or [])]
        if "review" not in columns or "sentiment" not in columns:
            raise ReviewDataError(
                f"{path.name}: expected the columns 'review' and 'sentiment', found {reader.fieldnames}"
            )
        reader.fieldnames = columns
        for line_number, row in enumerate(reader, start=2):
            sentiment = (row["sentiment"] or "").strip().lower()
            if sentiment not in LABEL_NAMES:
                raise ReviewDataError(
                    f"{path.name}, line {line_number}: sentiment must be 'positive' or 'negative', "
                    f"found {row['sentiment']!r}"
                )
            texts.append(clean_review_text(row["review"] or ""))
            labels.append(LABEL_NAMES.index(sentiment))
    if len(texts) < 4:
        raise ReviewDataError(f"{path.name}: {len(texts)} reviews; at least 4 are needed to train and test")
    labels = np.array(labels)
    _require_both_classes(labels, path.name)
    # One pool: split it, keeping the requested train/test proportion if the file is small.
    total = min(len(texts), n_train + n_test)
    n_test_used = max(2, round(total * n_test / (n_train + n_test)))
    rng = np.random.default_rng(seed)
    chosen = _balanced_indices(labels, total, rng)
    test_idx, train_idx = chosen[:n_test_used], chosen[n_test_used:]
    read_as = "" if encoding == "UTF-8" else f", read as {encoding}"
    message = f"Reviews from the local CSV file {path.name} ({len(texts):,} rows{read_as}, HTML line breaks removed)."
    return ReviewData(
        [texts[i] for i in train_idx], labels[train_idx], [texts[i] for i in test_idx], labels[test_idx],
        source="csv", message=message,
    )


def _load_aclimdb(path: Path, n_train, n_test, seed) -> ReviewData:
    if not path.is_dir():
        raise ReviewDataError(f"aclImdb folder {str(path)!r} does not exist")
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in (("train", n_train), ("test", n_test)):
        files, labels = [], []
        for label, name in enumerate(("neg", "pos")):
            folder = path / split / name
            if not folder.is_dir():
                raise ReviewDataError(
                    f"{str(path)!r} is not an aclImdb folder: {split}/{name}/ is missing "
                    "(expected train/pos, train/neg, test/pos and test/neg holding .txt reviews)"
                )
            found = sorted(folder.glob("*.txt"))
            files += found
            labels += [label] * len(found)
        if not files:
            raise ReviewDataError(f"{str(path / split)!r} holds no .txt reviews in pos/ or neg/")
        labels = np.array(labels)
        _require_both_classes(labels, str(path / split))
        chosen = _balanced_indices(labels, n, rng)  # read only the files we use: the full set is 50,000
        texts = [clean_review_text(files[i].read_text(encoding="utf-8", errors="replace")) for i in chosen]
        out[split] = (texts, labels[chosen])
    message = f"Reviews from the local aclImdb folder {str(path)!r} (HTML line breaks removed)."
    return ReviewData(*out["train"], *out["test"], source="aclImdb", message=message)


# --------------------------------------------------------------------------------------------------
# The generated stand-in corpus
# --------------------------------------------------------------------------------------------------
def _load_generated(n_train, n_test, seed) -> ReviewData:
    train_texts, train_labels = generate_reviews(n_train, seed=seed)
    test_texts, test_labels = generate_reviews(n_test, seed=seed + 1_000_003)  # disjoint random stream
    message = (
        "GENERATED reviews: synthetic text made by lstm_course.reviews to mimic movie reviews "
        "(not real data). For real IMDB reviews, run with internet access or pass path= to a local copy."
    )
    return ReviewData(train_texts, train_labels, test_texts, test_labels, source="generated", message=message)



# Word lists for the generator. Opinions are a minority of the text, as in real reviews; most of a
# review retells the plot or the viewing, which says nothing about sentiment.
_FILM = ["movie", "film", "picture", "story"]
_ASPECTS = [
    "acting", "story", "plot", "script", "dialogue", "ending", "cast", "direction", "music", "soundtrack",
    "camera work", "pacing", "lead actor", "lead actress", "villain", "humor", "special effects",
    "characters", "editing", "first half", "second half", "final scene", "writing", "score", "makeup",
]
_POSITIVE = [
    "good", "great", "excellent", "wonderful", "brilliant", "amazing", "superb", "beautiful", "funny",
    "moving", "gripping", "clever", "charming", "touching", "fantastic", "solid", "perfect", "enjoyable",
    "memorable", "impressive", "powerful", "delightful", "fresh", "stunning", "smart", "believable",
]
_NEGATIVE = [
    "bad", "terrible", "awful", "boring", "poor", "dull", "weak", "stupid", "horrible", "lame",
    "predictable", "annoying", "pointless", "mediocre", "painful", "silly", "forgettable", "messy",
    "flat", "clumsy", "tedious", "ridiculous", "wooden", "confusing", "cheap", "slow",
]
_INTENSIFIERS = ["", "", "", "very", "really", "quite", "truly", "so", "pretty", "absolutely", "rather", "just"]
_NEGATED_VERBS = ["was not", "was never", "wasn't", "is not", "isn't", "was hardly", "was not very"]
_POSITIVE_VERBS = ["loved", "enjoyed", "liked", "adored", "was moved by", "was impressed by"]
_NEGATIVE_VERBS = ["hated", "disliked", "was bored by", "could not stand", "regret watching", "was annoyed by"]
_POSITIVE_PHRASES = [
    "it is a must see", "it was worth every minute", "one of the best films of the year",
    "i was hooked from start to finish", "it made me laugh and cry", "highly recommended",
    "i would happily watch it again", "a real gem", "they do not make them like this any more",
]
_NEGATIVE_PHRASES = [
    "it is a waste of time", "one of the worst films i have seen", "i almost fell asleep",
    "save your money", "i want those two hours back", "avoid this one", "what a mess",
    "i would not watch it again", "i turned it off halfway",
]
_PEOPLE = [
    "a young woman", "an old detective", "two brothers", "a small town doctor", "a group of friends",
    "a retired soldier", "a lonely teacher", "a family", "a journalist", "a boxer", "a singer", "a farmer",
    "a police officer", "a young couple", "a widow", "a student", "a lawyer", "a pilot", "an artist", "twin sisters",
]
_ACTIONS = [
    "moves to a new city", "tries to solve a murder", "falls in love", "goes back home", "loses a job",
    "plans a robbery", "searches for a lost sister", "travels across the country", "starts a band",
    "inherits an old house", "hides a secret", "runs for mayor", "joins the army", "opens a restaurant",
    "meets a stranger on a train", "fights to keep the farm", "writes a novel", "escapes from prison",
]
_PLACES = [
    "in new york", "in a small village", "during the war", "in the fifties", "on a ship", "in paris",
    "in the desert", "in a high school", "in london", "on an island", "in the mountains", "in a hospital",
    "in the seventies", "near the border", "in a big hotel", "in the suburbs",
]
_NAMES = [
    "john", "mary", "peter", "susan", "michael", "linda", "james", "karen", "robert", "anna", "david",
    "julia", "thomas", "helen", "richard", "laura", "george", "emma", "frank", "alice", "smith", "jones",
    "miller", "taylor", "brown", "wilson", "moore", "clark", "walker", "young",
]
_WHEN = ["yesterday", "last night", "on sunday", "last week", "on a rainy afternoon", "years ago", "on tv", "on a plane"]
_COMPANY = ["my friends", "my wife", "my husband", "my kids", "my parents", "a friend", "my brother", "my class"]
_GENRES = ["crime", "war", "comedy", "horror", "romance", "western", "family", "science fiction", "drama"]
_SOURCES = ["novel", "true story", "play", "comic book", "short story", "tv series"]
_ROLES = ["father", "mother", "boss", "best friend", "sheriff", "neighbour", "doctor", "captain"]

_NEUTRAL_TEMPLATES = [
    "the {film} follows {person} who {action} {place}",
    "it was directed by {name} {name2} and came out in {year}",
    "i watched it {when} with {company}",
    "it runs for about {minutes} minutes",
    "{name} {name2} plays {person} and {name3} plays the {role}",
    "there is a scene where {person} {action}",
    "in the middle of the {film} {person} {action} {place}",
    "the {film} is based on a {source}",
    "i had read the {source} before i saw the {film}",
    "most of it takes place {place}",
    "it reminded me of other {genre} films from the {decade}",
    "my {relative} saw it first and told me about it",
    "later the {role} {action}",
    "the {role} is played by {name} {name2}",
    "then {person} {action} and the {role} follows",
    "i saw the {film} {when}",
    "it is a {genre} film set {place}",
    "at first {person} {action}",
    "the second part is about {person} who {action}",
]


def _fill(template: str, rng: np.random.Generator) -> str:
    def pick(options):
        return options[rng.integers(len(options))]

    return template.format(
        film=pick(_FILM), person=pick(_PEOPLE), action=pick(_ACTIONS), place=pick(_PLACES),
        name=pick(_NAMES), name2=pick(_NAMES), name3=pick(_NAMES), year=int(rng.integers(1950, 2015)),
        when=pick(_WHEN), company=pick(_COMPANY), minutes=int(rng.integers(80, 180)), role=pick(_ROLES),
        source=pick(_SOURCES), genre=pick(_GENRES), decade=pick(["fifties", "sixties", "seventies", "eighties", "nineties"]),
        relative=pick(["sister", "brother", "father", "mother", "cousin", "friend"]),
    )


def _opinion(positive: bool, rng: np.random.Generator) -> str:
    """One opinion sentence whose overall polarity is `positive`; some carry it through a negation."""

    def pick(options):
        return options[rng.integers(len(options))]

    same, other = (_POSITIVE, _NEGATIVE) if positive else (_NEGATIVE, _POSITIVE)
    intensifier = pick(_INTENSIFIERS)
    adjective = f"{intensifier} {pick(same)}".strip()
    kind = rng.integers(10)
    if kind == 0:  # negation: "not good" is negative, "not bad" is mildly positive
        return f"the {pick(_ASPECTS)} {pick(_NEGATED_VERBS)} {pick(other)}"
    if kind == 1:  # contrast: the clause after "but" decides
        return f"the {pick(_ASPECTS)} was {pick(other)} but the {pick(_ASPECTS)} was {adjective}"
    if kind == 2:  # the seed's sentence, with the cue at its end
        return f"the {pick(_FILM)} that i watched {pick(_WHEN)} with {pick(_COMPANY)} was actually {adjective}"
    if kind == 3:
        return f"i {pick(_POSITIVE_VERBS if positive else _NEGATIVE_VERBS)} the {pick(_ASPECTS)}"
    if kind == 4:
        return pick(_POSITIVE_PHRASES if positive else _NEGATIVE_PHRASES)
    return f"the {pick(_ASPECTS)} was {adjective}"


def _verdict(positive: bool, rng: np.random.Generator) -> str:
    score = int(rng.integers(7, 11) if positive else rng.integers(1, 5))
    options = [f"{score} out of 10", f"overall i give it {score} out of 10", f"my rating is {score} out of 10"]
    return options[rng.integers(len(options))]


def generate_reviews(n: int, seed: int = 0, median_words: int = 170):
    """`(texts, labels)`: `n` synthetic movie reviews, exactly balanced, the same for the same seed.

    Built to behave like real reviews where it matters for the course: lengths vary a lot (log-normal,
    about 60% are shorter than 200 words), most sentences are neutral plot talk, opinions are mixed
    (a positive review contains some negative remarks), negations flip meaning ("was not good"), and the
    verdict often, but not always, comes at the end.
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 2
    rng.shuffle(labels)
    texts = []
    for label in labels:
        target_words = int(np.clip(rng.lognormal(np.log(median_words), 0.6), 20, 1000))
        agreement = rng.uniform(0.65, 1.0)  # share of the opinions that match the review's label
        opinion_rate = rng.uniform(0.2, 0.45)  # share of sentences that are opinions at all
        sentences, words = [], 0
        while words < target_words:
            if rng.random() < opinion_rate:
                sentence = _opinion(bool(label) == (rng.random() < agreement), rng)
            else:
                sentence = _fill(_NEUTRAL_TEMPLATES[rng.integers(len(_NEUTRAL_TEMPLATES))], rng)
            sentences.append(sentence)
            words += len(sentence.split())
        if rng.random() < 0.5:  # a closing verdict, usually (not always) in line with the label
            sentences.append(_verdict(bool(label) == (rng.random() < agreement), rng))
        texts.append(". ".join(s[0].upper() + s[1:] for s in sentences) + ".")
    return texts, labels.astype("int32")
