"""Property-based tests (Hypothesis) of the review loader: sampling, and CSV files as people save them."""
import csv
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_course import reviews
from lstm_course.reviews import ReviewDataError, clean_review_text, load_reviews


@given(st.lists(st.integers(0, 1), min_size=1, max_size=60), st.data())
def test_balanced_indices_take_half_of_each_class_then_refill(labels, data):
    labels = np.array(labels)
    n = data.draw(st.integers(min_value=1, max_value=len(labels)))
    chosen = reviews._balanced_indices(labels, n, np.random.default_rng(data.draw(st.integers(0, 99))))
    assert len(chosen) == n and len(set(chosen.tolist())) == n and chosen.min() >= 0 and chosen.max() < len(labels)
    n_pos, n_neg = (labels == 1).sum(), (labels == 0).sum()
    expected_pos = min(n_pos, max(math.ceil(n / 2), n - n_neg))
    assert (labels[chosen] == 1).sum() == expected_pos


# Review texts as they come: commas, quotes, line breaks, HTML, any script. Each starts with a unique tag.
review_bodies = st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
                         | st.sampled_from(['"', ",", "\n", "\r\n", "<br />", "&amp;", "é", "''"]), max_size=6).map("".join)
label_spellings = st.sampled_from(reviews.LABEL_NAMES).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from([name, name.upper(), name.title(), f" {name} ", f"{name}\t"])))
header_spellings = st.sampled_from(["review", "Review", "REVIEW", " review "])


@st.composite
def csv_files(draw):
    labelled = draw(st.lists(st.tuples(review_bodies, label_spellings), min_size=4, max_size=30))
    names = [name for _, (name, _) in labelled]
    if len(set(names)) < 2:  # both classes present
        labelled[0] = (labelled[0][0], ("negative", "negative") if names[0] == "positive" else ("positive", "positive"))
    rows = [(f"r{i} {body}", spelled) for i, (body, (_, spelled)) in enumerate(labelled)]
    truth = {f"r{i}": reviews.LABEL_NAMES.index(name) for i, (_, (name, _)) in enumerate(labelled)}
    review_col = draw(header_spellings)
    sentiment_col = draw(st.sampled_from(["sentiment", "Sentiment", "SENTIMENT "]))
    swapped, extra = draw(st.booleans()), draw(st.booleans())
    header = [sentiment_col, review_col] if swapped else [review_col, sentiment_col]
    if extra:
        header.append("id")
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC])),
                        lineterminator=draw(st.sampled_from(["\r\n", "\n"])))
    writer.writerow(header)
    for i, (text, label) in enumerate(rows):
        row = [label, text] if swapped else [text, label]
        writer.writerow(row + ([i] if extra else []))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
    text = buffer.getvalue()
    if encoding == "cp1252":
        text = text.encode("cp1252", errors="replace").decode("cp1252")  # what a cp1252 file can hold
        rows = [(t.encode("cp1252", errors="replace").decode("cp1252"), label) for t, label in rows]
    return text.encode(encoding), rows, truth


@given(csv_files(), st.integers(0, 3))
def test_any_well_formed_csv_loads_with_the_right_label_for_every_review(csv_file, seed):
    content, rows, truth = csv_file
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reviews.csv"
        path.write_bytes(content)
        data = load_reviews("csv", path=path, n_train=len(rows), n_test=2, seed=seed)
    texts = data.train_texts + data.test_texts
    labels = np.concatenate([data.train_labels, data.test_labels]).tolist()
    assert len(texts) == len(rows) and not set(data.train_texts) & set(data.test_texts)
    cleaned = {clean_review_text(text).split()[0]: clean_review_text(text) for text, _ in rows}
    for text, label in zip(texts, labels):
        tag = text.split()[0]
        assert truth[tag] == label and text == cleaned[tag]


@given(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=10).filter(
    lambda s: s.strip().lower() not in reviews.LABEL_NAMES))
def test_any_other_label_spelling_is_refused_with_its_line(label):
    rows = [("fine", "positive"), ("awful", "negative"), ("ok", "positive"), ("meh", label), ("bad", "negative")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "reviews.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows([("review", "sentiment")] + rows)
        with pytest.raises(ReviewDataError, match="line 5"):
            load_reviews("csv", path=path)
