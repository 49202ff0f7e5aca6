"""Request and response bodies of the HTTP API (pydantic models; they are also the OpenAPI schema at /docs).

Requests are strict: unknown fields are refused (a typo such as ``"text"`` for ``"texts"`` is an error, not an
ignored field), texts must be JSON strings (a number is not silently turned into one), and a string holding a
lone UTF-16 surrogate (``"\\ud800"``, valid JSON but not valid Unicode) is refused with the position of the
offending character. Character offsets in responses count Unicode code points, as Python's ``str`` does
(in JavaScript, index ``Array.from(text)``, not ``text``, with them).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _valid_unicode(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"character {exc.start} is a lone surrogate (U+{ord(text[exc.start]):04X}), which is not valid "
            "Unicode; send UTF-8 text"
        ) from None
    return text


Text = Annotated[str, AfterValidator(_valid_unicode)]
ModelName = Annotated[
    str | None,
    Field(
        default=None,
        description="Name of a loaded model (see GET /v1/models); omitted: the default model.",
        examples=["default"],
    ),
]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictRequest(_Request):
    texts: list[Text] = Field(
        min_length=1,
        description="The texts to classify (at most max_texts of them, each at most max_text_chars long).",
        examples=[["I love this phone", "worst customer service ever"]],
    )
    model: ModelName = None


class AnalyzeRequest(_Request):
    document: Text = Field(
        description="One long text (a speech, an article, a review) of at most max_document_chars characters.",
        examples=["We did it. Thank you all so much!\n\nBut the work is hard, and many are still hurting."],
    )
    words: int | None = Field(
        default=None,
        ge=5,
        le=1000,
        description="Paragraph size in words (paragraphs end at sentence breaks near it); omitted: the server's.",
    )
    model: ModelName = None


class ExplainRequest(_Request):
    text: Text = Field(
        description="One text (at most max_text_chars characters) whose prediction is explained.",
        examples=["not good at all, but the staff were lovely"],
    )
    target: str | None = Field(
        default=None, description="Explain this label's score; omitted: the predicted label."
    )
    model: ModelName = None


class Prediction(BaseModel):
    label: str | None = Field(description="The most probable label; null for an empty text (see reason).")
    score: float | None = Field(description="Probability of that label, in [0, 1].")
    polarity: float | None = Field(
        description="P(positive) - P(negative), in [-1, 1]; null when the labels have no polarity."
    )
    scores: dict[str, float] | None = Field(description="Probability of every label; they sum to 1.")
    reason: str | None = Field(default=None, description='Why there is no label: "empty text".')


class PredictResponse(BaseModel):
    model: str = Field(description="Name of the model that answered.")
    predictions: list[Prediction] = Field(description="One record per text, in the order sent.")
    empty_texts: int = Field(description="How many texts were empty or whitespace only (no label).")


class ParagraphResult(BaseModel):
    index: int = Field(description="Position of the paragraph in the document, from 0.")
    start: int = Field(
        description="Offset of the first character (code points): document[start:end] == text."
    )
    end: int = Field(description="Offset just after the last character.")
    words: int = Field(description="Words in the paragraph.")
    text: str = Field(description="The paragraph, exactly as it is in the document.")
    label: str = Field(
        description="negative, neutral or positive (an exact tie for the top probability is neutral)."
    )
    score: float | None = Field(
        description="The model's probability of that label, in [0, 1]; null for a neutral label the model "
        "has no class for (a two-class model's exact tie)."
    )
    polarity: float = Field(
        description="P(positive) - P(negative), from -1 (surely negative) to +1 (surely positive)."
    )
    scores: dict[str, float] = Field(description="The model's probability of each of its labels.")


class Aggregate(BaseModel):
    label: str = Field(
        description="The label with the largest share of paragraphs (a tie: the sign of mean_polarity, or neutral)."
    )
    paragraphs: int = Field(description="How many paragraphs were scored.")
    words: int = Field(description="Words in the document.")
    shares: dict[str, float] = Field(
        description="Fraction of paragraphs that are negative, neutral, positive."
    )
    mean_polarity: float = Field(description="Mean paragraph polarity, in [-1, 1].")


class AnalyzeResponse(BaseModel):
    model: str
    words: int = Field(description="The paragraph size used.")
    paragraphs: list[ParagraphResult]
    aggregate: Aggregate


class TokenContribution(BaseModel):
    token: str = Field(description="The token as the model sees it (after normalization).")
    contribution: float = Field(
        description="How much the token pushed the explained label's score: positive for, negative against."
    )
    start: int | None = Field(description="Offset of the token in the text (code points), null if not found.")
    end: int | None = Field(description="Offset just after the token, null if not found.")


class ExplainResponse(Prediction):
    model: str
    target: str = Field(description="The label whose score is explained.")
    method: str = Field(
        description="linear (exact terms of a linear model) or occlusion (delete each token)."
    )
    exact: bool = Field(description="Whether base + the sum of the contributions equals value exactly.")
    scale: str = Field(description="What value and the contributions measure, e.g. 'log-odds of positive'.")
    value: float = Field(
        description="The explained quantity for the text (a log-odds, a logit, a probability)."
    )
    base: float = Field(
        description="linear: the intercept (base + contributions == value); occlusion: value for an empty text."
    )
    tokens: list[TokenContribution] = Field(description="Every token of the text, in order.")


class ModelInfo(BaseModel):
    name: str = Field(description="What requests pass as 'model'.")
    type: str = Field(description="The model family (bow, vader, encoder, lstm, numpy-lstm, ...).")
    labels: list[str]
    default: bool = Field(description="Whether requests without 'model' use it.")
    source: str = Field(description="The directory it was loaded from, or how it was made.")
    metrics: dict = Field(description="Validation metrics saved with the model (may be empty).")


class ModelsResponse(BaseModel):
    models: list[ModelInfo]
    limits: dict[str, int] = Field(
        description="max_texts, max_text_chars, max_document_chars, max_body_bytes."
    )
    paragraph_words: int = Field(description="Default paragraph size of /v1/analyze.")


class Health(BaseModel):
    status: str = Field(description="'ok' once every model is loaded.")
    version: str
    models: list[str]


class ErrorDetail(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    code: str = Field(
        description="invalid_json | invalid_request | invalid_input | unknown_model | limit_exceeded | ..."
    )
    message: str
    hint: str | None = None
    limit: str | None = Field(default=None, description="For limit_exceeded: which setting was exceeded.")
    allowed: int | None = None
    got: int | None = None
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    error: ErrorBody
