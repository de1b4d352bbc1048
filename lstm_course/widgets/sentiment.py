"""Lesson 3: a text box that shows the trained classifier's verdict on the learner's own review."""
import html

import ipywidgets as widgets

from ..plots import OKABE_ITO
from ..text_prep import predict_sentiment
from ._base import Explorer, bars_html


def sentiment_html(prediction) -> str:
    """The prediction of `text_prep.predict_sentiment` as a probability bar and a verdict line.

    Okabe-Ito blue (positive) and vermillion (negative), not green and red; the verdict is also spelled out.
    """
    p = prediction.probability_positive
    bars = bars_html(["P(positive)", "P(negative)"], [p, 1.0 - p], color=OKABE_ITO["blue"] if p >= 0.5 else OKABE_ITO["vermillion"])
    known = len(prediction.known_words)
    unknown = prediction.unknown_words
    words = f"{known} word(s) the model knows"
    if unknown:
        shown = ", ".join(unknown[:8]) + (" ..." if len(unknown) > 8 else "")
        words += f"; {len(unknown)} it does not know and reads as [UNK]: {shown}"
    return (f"<div><b>{html.escape(prediction.label.upper())}</b></div>{bars}"
            f"<div style='font-size:90%'>{html.escape(words)}</div>")


class SentimentExplorer(Explorer):
    """Type a review and press Enter: the model's probability that it is positive."""

    def __init__(self, model, vectorizer, text: str = "The acting was wonderful and the story kept me hooked."):
        self.model, self.vectorizer = model, vectorizer
        self.prediction = None
        box = widgets.Text(value=text, description="your review", continuous_update=False,
                           placeholder="type a review and press Enter",
                           style={"description_width": "initial"}, layout=widgets.Layout(width="90%"))
        super().__init__("Your own review through the classifier (press Enter).", {"text": box})

    def render(self):
        self.prediction = predict_sentiment(self.model, self.vectorizer, self.controls["text"].value)
        return sentiment_html(self.prediction), None

    def summary(self) -> str:
        return self.error or str(self.prediction)


def sentiment_explorer(model, vectorizer, text: str = "The acting was wonderful and the story kept me hooked."):
    return SentimentExplorer(model, vectorizer, text)
