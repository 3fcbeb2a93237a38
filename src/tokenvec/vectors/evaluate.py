"""Standard evaluations of word vectors: the Google analogy test and word-pair similarity.

The rules follow gensim's ``evaluate_word_analogies`` and ``evaluate_word_pairs`` (the same
case folding, vocabulary restriction and top-5 filtering), so the figures are comparable with
published ones; the work is batched into blocked matrix products instead of one query at a time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from tokenvec._native.topk import topk_rows
from tokenvec._progress import counting
from tokenvec.io.files import ASSETS, iter_lines
from tokenvec.vectors.base import SCORE_BLOCK_BYTES, Vectors

DATA = ASSETS
GOOGLE_ANALOGIES = DATA / "questions-words.txt"
PAIR_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


@dataclass(frozen=True)
class Section:
    """Correct and incorrect answers of one section of an analogy test."""

    name: str
    correct: int
    incorrect: int

    @property
    def total(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0


@dataclass(frozen=True)
class AnalogyResult:
    sections: list[Section]
    total: Section
    semantic: Section
    syntactic: Section
    questions: int  # in the file
    skipped: int  # with a word outside the (restricted) vocabulary

    @property
    def accuracy(self) -> float:
        return self.total.accuracy


@dataclass(frozen=True)
class PairResult:
    pearson: float
    spearman: float
    oov_ratio: float  # percent of pairs with an unknown word, as gensim reports it
    pairs: int
    model: np.ndarray = field(repr=False)  # cosine similarity of each scored pair
    gold: np.ndarray = field(repr=False)


def _read_questions(path: Path) -> list[tuple[str, list[tuple[str, str, str, str]]]]:
    sections: list[tuple[str, list[tuple[str, str, str, str]]]] = []
    for lineno, line in iter_lines(path):
        if line.startswith(":"):
            sections.append((line[1:].strip(), []))
            continue
        words = line.split()
        if not words:
            continue
        if len(words) != 4:
            raise ValueError(f"{path}:{lineno}: expected 4 words, got {len(words)}")
        if not sections:
            raise ValueError(f"{path}:{lineno}: a question before the first ': section'")
        a, b, c, d = words
        sections[-1][1].append((a, b, c, d))
    return sections


def _folded_vocab(vectors: Vectors, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
    ok = vectors.index_to_key[:restrict_vocab]
    if not case_insensitive:
        return {k: i for i, k in reversed(list(enumerate(ok)))}
    # The most frequent (lowest-index) spelling wins, as in gensim.
    return {k.upper(): i for i, k in reversed(list(enumerate(ok)))}


def analogies(
    vectors: Vectors,
    path: str | os.PathLike[str] | None = None,
    *,
    restrict_vocab: int = 300_000,
    method: Literal["3cosadd", "3cosmul"] = "3cosadd",
    case_insensitive: bool = True,
    progress: bool | None = None,
) -> AnalogyResult:
    """Accuracy on "a : b :: c : d" questions (default: Google's 19,544 questions).

    A question counts when all four words are among the first ``restrict_vocab`` keys. The
    answer is the best of the 5 nearest keys to b − a + c that is not a, b or c. A progress
    bar goes to standard error (``progress=None``: when it is a terminal).
    """
    if method not in ("3cosadd", "3cosmul"):
        raise ValueError(f"method must be '3cosadd' or '3cosmul', got {method!r}")
    fold = str.upper if case_insensitive else (lambda s: s)
    qpath = Path(path) if path is not None else GOOGLE_ANALOGIES
    sections = _read_questions(qpath)
    vocab = _folded_vocab(vectors, restrict_vocab, case_insensitive)
    pool = vectors.unit[:restrict_vocab]  # (N, C)
    block = max(1, SCORE_BLOCK_BYTES // (4 * 3 * len(pool)))
    results: list[Section] = []
    total_q = skipped = 0
    with counting("analogy questions", sum(len(q) for _, q in sections), progress) as advance:
        for name, questions in sections:
            correct, kept = _section(vectors, questions, vocab, fold, pool, block, method,
                                     restrict_vocab)  # fmt: skip
            total_q += len(questions)
            skipped += len(questions) - kept
            results.append(Section(name, correct, kept - correct))
            advance(len(questions))

    def merged(name: str, parts: list[Section]) -> Section:
        return Section(name, sum(s.correct for s in parts), sum(s.incorrect for s in parts))

    syn = [s for s in results if s.name.startswith("gram")]
    sem = [s for s in results if not s.name.startswith("gram")]
    return AnalogyResult(
        sections=results,
        total=merged("Total accuracy", results),
        semantic=merged("semantic", sem),
        syntactic=merged("syntactic", syn),
        questions=total_q,
        skipped=skipped,
    )


def pair_set_path(name: str) -> Path:
    """Path of a word-pair set shipped in assets/ (``wordsim353``, ``simlex999``)."""
    if name not in PAIR_SETS:
        raise KeyError(f"unknown word-pair set {name!r}; known: {', '.join(PAIR_SETS)} or a path")
    return DATA / PAIR_SETS[name]


def _rank(x: np.ndarray) -> np.ndarray:
    """Ranks with ties averaged (as scipy.stats.rankdata)."""
    order = np.argsort(x, kind="stable")
    ranks = np.empty(len(x), dtype=np.float64)
    ranks[order] = np.arange(1, len(x) + 1)
    _, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
    sums = np.bincount(inv, weights=ranks)
    return sums[inv] / counts[inv]


def word_pairs(
    vectors: Vectors,
    path: str | os.PathLike[str] = "wordsim353",
    *,
    delimiter: str = "\t",
    restrict_vocab: int = 300_000,
    case_insensitive: bool = True,
) -> PairResult:
    """Pearson and Spearman correlation of cosine similarity with human scores.

    ``path`` is a file of ``word1<TAB>word2<TAB>score`` lines (``#`` starts a comment) or the
    name of a set shipped with tokenvec (``wordsim353``, ``simlex999``).
    """
    p = Path(path)
    if not p.exists() and str(path) in PAIR_SETS:
        p = pair_set_path(str(path))
    if not p.exists():
        known = ", ".join(PAIR_SETS)
        raise FileNotFoundError(f"no such word-pair file or set: {path} (sets: {known})")
    if p.is_dir():
        raise IsADirectoryError(f"{p} is a folder; give a word-pair file")
    fold = str.upper if case_insensitive else (lambda s: s)
    vocab = _folded_vocab(vectors, restrict_vocab, case_insensitive)
    gold, model = [], []
    oov = 0
    for _, line in iter_lines(p):
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split(delimiter)
        try:
            a, b, score = parts[0], parts[1], float(parts[2])
        except (IndexError, ValueError):
            continue  # a malformed line is skipped, as gensim does
        if fold(a) not in vocab or fold(b) not in vocab:
            oov += 1
            continue
        gold.append(score)
        model.append(vectors.similarity(vocab[fold(a)], vocab[fold(b)]))
    if len(gold) < 2:
        raise ValueError(f"{p}: fewer than 2 pairs with both words in the vocabulary")
    g, m = np.array(gold), np.array(model)
    pearson = float(np.corrcoef(g, m)[0, 1])
    spearman = float(np.corrcoef(_rank(g), _rank(m))[0, 1])
    return PairResult(pearson, spearman, 100.0 * oov / (len(gold) + oov), len(gold), m, g)


def _section(
    vectors: Vectors,
    questions: list[tuple[str, str, str, str]],
    vocab: dict[str, int],
    fold: Any,
    pool: np.ndarray,
    block: int,
    method: str,
    restrict_vocab: int,
) -> tuple[int, int]:
    """(correct answers, questions asked) of one section: those whose four words are known."""
    keys = vectors.index_to_key
    kept = [q for q in questions if all(fold(w) in vocab for w in q)]
    idx = np.array([[vocab[fold(w)] for w in q] for q in kept], dtype=np.int64).reshape(-1, 4)
    correct = 0
    for lo in range(0, len(idx), block):
        ia, ib, ic, _ = idx[lo : lo + block].T
        if method == "3cosadd":
            q = (pool[ib] + pool[ic] - pool[ia]).astype(np.float32)  # (q, C)
            q /= np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-30)
            scores = vectors.unit_dot(q, restrict_vocab)  # (q, N)
        else:
            cos_a, cos_b, cos_c = (
                (1 + vectors.unit_dot(pool[i].astype(np.float32), restrict_vocab)) / 2
                for i in (ia, ib, ic)
            )
            scores = cos_b * cos_c / (cos_a + 1e-6)  # (q, N)
        rows = np.arange(len(ia))
        for i in (ia, ib, ic):
            scores[rows, i] = -np.inf
        top = topk_rows(scores, 5)  # (q, 5), best first
        for j, q in enumerate(kept[lo : lo + block]):
            ignore = {fold(q[0]), fold(q[1]), fold(q[2])}
            predicted = None
            for cand in top[j]:
                predicted = fold(keys[cand])
                if predicted in vocab and predicted not in ignore:
                    break
            correct += predicted == fold(q[3])
    return correct, len(kept)
