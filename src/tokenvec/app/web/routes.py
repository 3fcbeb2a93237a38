"""The playground's routes, at module level: the page, and the JSON API over the vectors the
app serves (``app.state.served``, set by :func:`tokenvec.app.web.create_app`). Importing this
module needs the ``web`` extra (FastAPI); :func:`tokenvec.app.web.create_app` checks it first."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from tokenvec.app.web.limits import MAX_MAP, MAX_TEXT, MAX_TOPN, MAX_WORD, STATIC
from tokenvec.tokenizers import Tokenizer


@dataclass
class Served:
    """What an app serves: the vectors, their name, the tokenizer of /api/tokenize."""

    vectors: Any
    name: str
    tokenizer: Tokenizer | None = None


def served(request: Request) -> Served:
    return request.app.state.served  # type: ignore[no-any-return]


class Scored(BaseModel):
    word: str
    score: float


class Neighbours(BaseModel):
    word: str
    neighbours: list[Scored]


class TextNeighbours(BaseModel):
    text: str
    words: int  # words (or tokens) of the text with a vector
    unknown: int  # skipped
    neighbours: list[Scored]


class Analogy(BaseModel):
    expression: str
    answers: list[Scored]


class Pair(BaseModel):
    a: str
    b: str
    cosine_similarity: float
    cosine_distance: float
    euclidean_distance: float


class MapPoint(BaseModel):
    word: str
    x: float
    y: float
    score: float


class MapData(BaseModel):
    center: str
    points: list[MapPoint]


class Tokens(BaseModel):
    ids: list[int]
    tokens: list[str]


class Info(BaseModel):
    name: str
    count: int
    dim: int
    max_topn: int


page = APIRouter()
api = APIRouter(prefix="/api")
SERVED = Depends(served)


def _scored(pairs: list[tuple[str, float]]) -> list[Scored]:
    return [Scored(word=w, score=s) for w, s in pairs]


def known(s: Served, word: str) -> str:
    """``word``, or a 404 with suggestions if it has no vector (subword models give one to
    words outside their vocabulary)."""
    if not s.vectors.has_vector(word):
        from tokenvec.vectors.base import suggest

        close = suggest(word, s.vectors.key_to_index)
        raise HTTPException(
            status_code=404, detail={"error": f"unknown word {word!r}", "suggestions": close}
        )
    return word


def word_q() -> Any:  # a fresh Query per parameter: FastAPI binds each to its name
    return Query(..., min_length=1, max_length=MAX_WORD)


@page.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> str:
    return _page()


@functools.cache
def _page() -> str:
    return (STATIC / "index.html").read_text("utf-8")


@api.get("/info", response_model=Info)
def info(s: Served = SERVED) -> Info:
    """What the playground serves."""
    v = s.vectors
    return Info(name=s.name, count=len(v), dim=v.vector_size, max_topn=MAX_TOPN)


@api.get("/similar", response_model=Neighbours)
def similar(
    word: str = word_q(), topn: int = Query(10, ge=1, le=MAX_TOPN), s: Served = SERVED
) -> Neighbours:
    """Nearest neighbours of a word by cosine similarity."""
    res = s.vectors.most_similar(known(s, word), topn=topn)
    return Neighbours(word=word, neighbours=_scored(res))


@api.get("/similar_text", response_model=TextNeighbours)
def similar_text(
    text: str = Query(..., min_length=1, max_length=MAX_TEXT),
    topn: int = Query(10, ge=1, le=MAX_TOPN),
    s: Served = SERVED,
) -> TextNeighbours:
    """Keys nearest to a sentence: the mean of its words' unit vectors (static token
    vectors: of its tokens, split by the teacher's tokenizer)."""
    from tokenvec.vectors.text import encode

    enc = encode(s.vectors, [text])
    if not enc.words[0]:
        raise HTTPException(
            status_code=404,
            detail={"error": f"no word of {text!r} has a vector", "suggestions": []},
        )
    res = s.vectors.most_similar(enc.vectors[0], topn=topn)
    return TextNeighbours(text=text, words=int(enc.words[0]), unknown=int(enc.unknown[0]),
                          neighbours=_scored(res))  # fmt: skip


def _optional_word() -> Any:
    return Query(None, min_length=1, max_length=MAX_WORD)


@api.get("/analogy", response_model=Analogy)
def analogy(
    a: str | None = _optional_word(),
    b: str | None = _optional_word(),
    c: str | None = _optional_word(),
    expression: str | None = Query(None, min_length=1, max_length=4 * MAX_WORD),
    topn: int = Query(5, ge=1, le=MAX_TOPN),
    s: Served = SERVED,
) -> Analogy:
    """a : b :: c : ? (as everywhere in tokenvec): the words nearest to
    vec(b) - vec(a) + vec(c) (3CosAdd); man : king :: woman : queen. The three words, or
    ``expression``: "man king woman" or "king - man + woman"."""
    if expression is not None:
        from tokenvec.vectors.base import analogy_triple

        try:
            a, b, c = analogy_triple([expression])
        except ValueError as exc:
            raise HTTPException(status_code=422, detail={"error": str(exc)}) from None
    if a is None or b is None or c is None:
        raise HTTPException(status_code=422, detail={"error": "give a, b and c, or an expression"})
    res = s.vectors.most_similar(
        positive=[known(s, b), known(s, c)], negative=[known(s, a)], topn=topn
    )
    return Analogy(expression=f"{b} - {a} + {c}", answers=_scored(res))


@api.get("/similarity", response_model=Pair)
def similarity(a: str = word_q(), b: str = word_q(), s: Served = SERVED) -> Pair:
    """Cosine similarity, cosine distance and Euclidean distance of two words."""
    known(s, a), known(s, b)
    v = s.vectors
    return Pair(a=a, b=b, cosine_similarity=v.similarity(a, b), cosine_distance=v.distance(a, b),
                euclidean_distance=v.norm_distance(a, b))  # fmt: skip


@api.get("/map", response_model=MapData)
def neighbourhood_map(
    word: str = word_q(), topn: int = Query(20, ge=2, le=MAX_MAP), s: Served = SERVED
) -> MapData:
    """A word and its neighbours projected to 2-D (PCA) for the page's map."""
    from tokenvec.vectors.base import project_unit_2d

    res = s.vectors.most_similar(known(s, word), topn=topn)
    words = [word, *(w for w, _ in res)]
    xy = project_unit_2d(s.vectors, words)
    scores = [1.0, *(sc for _, sc in res)]
    points = [MapPoint(word=w, x=float(x), y=float(y), score=float(sc))
              for w, (x, y), sc in zip(words, xy, scores, strict=True)]  # fmt: skip
    return MapData(center=word, points=points)


@api.get("/tokenize", response_model=Tokens)
def tokenize(text: str = Query(..., max_length=MAX_TEXT), s: Served = SERVED) -> Tokens:
    """GPT-2 token ids and token texts (special-token text is encoded as plain text)."""
    tok = s.tokenizer
    if tok is None:
        from tokenvec.tokenizers import gpt2

        tok = gpt2()
    ids = tok.encode_ordinary(text)
    return Tokens(ids=ids, tokens=[tok.token_text(i) for i in ids])
