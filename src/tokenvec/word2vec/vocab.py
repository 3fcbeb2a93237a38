"""The vocabulary of a word2vec run and the corpus encoded as word ids.

``Vocab`` holds the words sorted by count and the tables training draws from (sub-sampling
thresholds, the noise distribution, the Huffman tree); ``EncodedCorpus`` the corpus as one id
array with sentence bounds, cut into chunks for the kernel.
"""

from __future__ import annotations

import array
import heapq
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from tokenvec._native import memory as _memory
from tokenvec.word2vec.arrayfile import ArrayFile
from tokenvec.word2vec.config import Word2VecConfig
from tokenvec.word2vec.corpus import Corpus, CorpusError, Scan, read_ids


@dataclass
class Vocab:
    """Words sorted by count (most frequent first) and the tables training draws from."""

    words: list[str]
    counts: np.ndarray  # (V,) int64
    raw_words: int  # words in the corpus, kept or not
    # An explicit Huffman tree (codes, points, lengths) when it is no longer the one the counts
    # build: after an update, new words hang under split leaves of the trained tree.
    tree: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @staticmethod
    def count(corpus: Corpus) -> Counter[str]:
        """How often each word occurs in ``corpus`` (first-seen order kept for ties)."""
        counter: Counter[str] = Counter()
        for sent in corpus:
            counter.update(sent)
        # Checked once per distinct word, not per token: a None, a number or bytes among the
        # words would otherwise fail only at the save, after the whole training.
        bad = [w for w in counter if not isinstance(w, str)]
        if bad:
            raise CorpusError(
                f"the corpus holds {bad[0]!r}, a {type(bad[0]).__name__}, among its words: "
                f"every word must be a str"
            )
        return counter

    @classmethod
    def build(cls, corpus: Corpus, config: Word2VecConfig) -> Vocab:
        scan = corpus.scan(config.workers)
        if scan is not None:
            return cls._from_counts(list(scan.index), scan.counts(), corpus, config)
        counter = cls.count(corpus)
        counts = np.fromiter(counter.values(), dtype=np.int64, count=len(counter))
        return cls._from_counts(list(counter), counts, corpus, config)

    @classmethod
    def _from_counts(
        cls, words: list[str], counts: np.ndarray, corpus: Corpus, config: Word2VecConfig
    ) -> Vocab:
        """The vocabulary of distinct ``words`` (first-seen order) with their ``counts``: those
        of ``min_count``, most frequent first (ties keep first-seen order), at most
        ``max_vocab_size``; an empty corpus or no word frequent enough is an error."""
        raw = int(counts.sum())
        if raw == 0:
            raise CorpusError(f"the corpus {corpus!r} is empty: no words to train on")
        keep = np.flatnonzero(counts >= config.min_count)
        if keep.size == 0:
            top = int(np.argmax(counts))  # the first of the most frequent, as most_common
            raise CorpusError(
                f"no word occurs at least min_count={config.min_count} times (the most "
                f"frequent, {words[top]!r}, occurs {int(counts[top])} times); lower min_count "
                "or use a larger corpus"
            )
        order = keep[np.argsort(-counts[keep], kind="stable")]  # ties keep first-seen order
        if config.max_vocab_size is not None:
            order = order[: config.max_vocab_size]
        return cls([words[i] for i in order.tolist()], counts[order].astype(np.int64), raw)

    def __len__(self) -> int:
        return len(self.words)

    def sample_int(self, sample: float) -> np.ndarray:
        """Keep-probability of each word as a 32-bit threshold (Mikolov's sub-sampling)."""
        if sample <= 0:
            return np.full(len(self), 2**32 - 1, dtype=np.uint64)
        retained = float(self.counts.sum())
        threshold = sample * retained if sample < 1.0 else sample
        c = self.counts.astype(np.float64)
        p = np.minimum((np.sqrt(c / threshold) + 1) * (threshold / c), 1.0)
        return np.minimum(np.round(p * 2**32), 2**32 - 1).astype(np.uint64)

    def cum_table(self, exponent: float, domain: int = 2**31 - 1) -> np.ndarray:
        """Cumulative noise distribution: draw an id by binary search of a random integer."""
        pw = self.counts.astype(np.float64) ** exponent
        return np.round(np.cumsum(pw) / pw.sum() * domain).astype(np.uint32)

    def grown_tree(self, added: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This vocabulary's tree with one leaf per ``added`` count hung under it: each new
        word splits the leaf of the known word whose count is nearest, which gets code bit 0
        below a new inner node (numbered after the existing ones) and the new word bit 1. The
        trained inner nodes keep their place, so their rows keep their meaning."""
        codes, points, lens = self.huffman()
        v = len(self)
        order = np.argsort(self.counts, kind="stable")
        sorted_counts = self.counts[order]
        paths = [(list(codes[i, : lens[i]]), list(points[i, : lens[i]])) for i in range(v)]
        inner = max(v - 1, 0)  # inner nodes so far (a one-word tree has none)
        for c in added.tolist():
            at = min(int(np.searchsorted(sorted_counts, c)), v - 1)
            j = int(order[at])
            code, point = paths[j]
            paths.append(([*code, 1], [*point, inner]))
            paths[j] = ([*code, 0], [*point, inner])
            inner += 1
        return _tree_arrays(paths)

    def huffman(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes (V, L) uint8, inner-node points (V, L) int32 and code lengths (V,)."""
        if self.tree is not None:
            return self.tree
        v = len(self)
        heap: list[tuple[int, int]] = [(int(c), i) for i, c in enumerate(self.counts)]
        heapq.heapify(heap)
        parent = np.zeros(2 * v, dtype=np.int64)
        binary = np.zeros(2 * v, dtype=np.uint8)
        nxt = v
        while len(heap) > 1:
            c1, a = heapq.heappop(heap)
            c2, b = heapq.heappop(heap)
            parent[a], parent[b] = nxt, nxt
            binary[b] = 1
            heapq.heappush(heap, (c1 + c2, nxt))
            nxt += 1
        root = nxt - 1
        paths = []
        for i in range(v):
            code, point, node = [], [], i
            while node != root and v > 1:
                code.append(binary[node])
                node = int(parent[node])
                point.append(node - v)
            paths.append((code[::-1], point[::-1]))
        return _tree_arrays(paths)


def _tree_arrays(
    paths: list[tuple[list[Any], list[Any]]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(codes (V, L) uint8, points (V, L) int32, lengths (V,)) of each word's (code, points)."""
    longest = max(1, max(len(c) for c, _ in paths))
    codes = np.zeros((len(paths), longest), dtype=np.uint8)
    points = np.zeros((len(paths), longest), dtype=np.int32)
    lens = np.zeros(len(paths), dtype=np.int32)
    for i, (c, p) in enumerate(paths):
        codes[i, : len(c)] = c
        points[i, : len(p)] = p
        lens[i] = len(c)
    return codes, points, lens


_SLICE_WORDS = 1 << 18  # words a slice when encoding a scan (its temporaries: a few MB)


@dataclass
class EncodedCorpus:
    """The corpus as word ids: ``words[starts[s]:starts[s+1]]`` is sentence s. A large file
    corpus's ids stay in the temporary file its scan wrote, its sentence bounds go to another
    (:mod:`~tokenvec.word2vec.arrayfile`), and :meth:`chunk` reads one chunk's at a time."""

    words: np.ndarray | ArrayFile  # (n,) uint16 for vocabularies up to 65,535 words, else int32
    starts: np.ndarray | ArrayFile  # (sentences + 1,) int64
    chunks: np.ndarray  # (chunks + 1,) sentence index where each chunk starts
    raw_words: int
    chunk_starts: np.ndarray | None = None  # (chunks + 1,) words before each chunk

    def __post_init__(self) -> None:
        if self.chunk_starts is None:  # (given when the bounds are in a file)
            self.chunk_starts = read_ids(self.starts, 0, self.starts.size)[self.chunks]

    @classmethod
    def encode(cls, corpus: Corpus, vocab: Vocab, chunk_words: int) -> EncodedCorpus:
        scan = corpus.scan()
        if scan is not None:
            enc = cls._from_scan(scan, vocab, chunk_words)
            corpus.forget_scan()
            del scan
            _memory.release_freed()  # before the weights: the scan's memory is not held
            return enc
        index = {w: i for i, w in enumerate(vocab.words)}
        # The corpus is the largest array held: 2 bytes a word while the vocabulary allows.
        typecode, dtype = ("H", np.uint16) if len(vocab) <= 65535 else ("i", np.int32)
        words = array.array(typecode)
        starts = array.array("q", [0])
        raw = 0
        for sent in corpus:
            raw += len(sent)
            ids = [index[w] for w in sent if w in index]
            if ids:
                words.extend(ids)
                starts.append(len(words))
        # Views on the arrays' buffers (no copy: the corpus is the largest thing held here).
        return cls._chunked(np.frombuffer(words, dtype), np.frombuffer(starts, np.int64), raw,
                            chunk_words)  # fmt: skip

    @classmethod
    def _from_scan(cls, scan: Scan, vocab: Vocab, chunk_words: int) -> EncodedCorpus:
        """Encode a scanned corpus by array lookups, in place: the known words' ids are
        written over the scan's positions (never ahead of what is still to be read), a slice
        of about ``_SLICE_WORDS`` words at a time, so encoding holds no second copy of the
        corpus; the scan is used up. The same arrays as :meth:`encode`."""
        dtype = np.uint16 if len(vocab) <= 65535 else np.int32
        to_id = np.full(len(scan.index), -1, np.int32)
        at = [(scan.index[w], i) for i, w in enumerate(vocab.words) if w in scan.index]
        if at:  # (a resumed vocabulary may hold words this corpus lacks)
            pos, ids_ = np.array(at, np.int64).T
            to_id[pos] = ids_
        starts, buf = scan.starts, scan.ids  # (an array file is rewritten in place as well)
        n_sent = len(starts) - 1
        cuts = np.unique(np.searchsorted(starts, np.arange(0, int(starts[-1]), _SLICE_WORDS)))
        cuts = np.unique(np.concatenate([cuts[cuts < n_sent], [n_sent]])) if n_sent else cuts
        lengths, filled = [], 0
        for s0, s1 in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
            ids = to_id[read_ids(buf, int(starts[s0]), int(starts[s1]))]
            known = ids >= 0
            before = np.zeros(known.size + 1, np.int64)
            np.cumsum(known, out=before[1:])
            rel = starts[s0 : s1 + 1] - starts[s0]
            kept = before[rel[1:]] - before[rel[:-1]]
            got = ids[known]
            if isinstance(buf, np.ndarray):
                buf[filled : filled + got.size] = got  # filled <= starts[s0]: already read
            else:
                buf.write(filled, got)
            filled += got.size
            lengths.append(kept[kept > 0])
        w: np.ndarray | ArrayFile = buf
        if isinstance(buf, np.ndarray):
            w = buf[:filled].astype(dtype) if dtype != np.int32 else buf[:filled]
        else:
            buf.truncate(filled)  # the file keeps int32: it costs no memory
        s = np.concatenate([[0], np.cumsum(np.concatenate(lengths) if lengths else [])])
        return cls._chunked(w, s.astype(np.int64), int(starts[-1]), chunk_words)

    @classmethod
    def _chunked(
        cls, w: np.ndarray | ArrayFile, s: np.ndarray, raw: int, chunk_words: int
    ) -> EncodedCorpus:
        """The encoded corpus cut into chunks of about ``chunk_words`` words."""
        if w.size == 0:
            raise CorpusError("no sentence of the corpus holds a word of the vocabulary")
        # Chunk boundaries on sentence starts, about chunk_words words apart.
        targets = np.arange(chunk_words, w.size, chunk_words)
        cut = np.unique(np.searchsorted(s, targets))
        chunks = np.unique(np.concatenate([[0], cut[(cut > 0) & (cut < len(s) - 1)], [len(s) - 1]]))
        chunks = chunks.astype(np.int64)
        starts: np.ndarray | ArrayFile = s
        if isinstance(w, ArrayFile):  # the ids went to a file: so do their bounds
            starts = ArrayFile(np.int64)
            starts.append(s)
        return cls(w, starts, chunks, raw, s[chunks])

    @property
    def n_chunks(self) -> int:
        return len(self.chunks) - 1

    def chunk_words(self) -> np.ndarray:
        """Words (in the vocabulary) of each chunk: (chunks,)."""
        assert self.chunk_starts is not None
        return np.diff(self.chunk_starts)

    def chunk(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Chunk ``k`` as the kernels take it: (word ids, its sentences' bounds in them). In
        memory, the whole array and the chunk's slice of ``starts``; from an array file, the
        chunk's ids alone and its bounds counted from 0 (the same sentences, the same
        training)."""
        s0, s1 = int(self.chunks[k]), int(self.chunks[k + 1])
        if isinstance(self.words, np.ndarray) and isinstance(self.starts, np.ndarray):
            return self.words, self.starts[s0 : s1 + 1]
        bounds = read_ids(self.starts, s0, s1 + 1)
        first, last = int(bounds[0]), int(bounds[-1])
        if not 0 <= first <= last <= self.words.size:
            raise CorpusError(
                f"chunk {k}'s sentences run over word ids [{first:,}, {last:,}) of the "
                f"{self.words.size:,} in the corpus's temporary file: something else changed it"
            )
        return read_ids(self.words, first, last), bounds - first

    def all_words(self) -> np.ndarray:
        """All the word ids in memory (read from the array file, if there)."""
        return read_ids(self.words, 0, self.words.size)

    def all_starts(self) -> np.ndarray:
        """All the sentence bounds in memory (read from the array file, if there)."""
        return read_ids(self.starts, 0, self.starts.size)
