"""Train word2vec embeddings: skip-gram or CBOW, negative sampling and/or hierarchical softmax.

The Python side builds the vocabulary, turns the corpus into one int32 array of word ids with
sentence bounds, and cuts it into chunks of about ``chunk_words`` words. Each chunk goes to the
compiled kernel (``_kernel``) with its own learning-rate range and random seed, fixed by
(seed, epoch, chunk): with ``threads=1`` a run is bit-for-bit reproducible and a resumed run
equals an uninterrupted one; with more threads, workers update the shared weights without
locks, as the original word2vec does.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import threading
import time
import zipfile
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tokenvec._checks import all_finite, check_float, check_int
from tokenvec._native import memory as _memory
from tokenvec._native.jit import Constant
from tokenvec._native.threads import split_run
from tokenvec.io.files import FolderKind, atomic_path, check_replaceable, decode_keys, encode_keys
from tokenvec.vectors.base import Vectors
from tokenvec.word2vec import _batched
from tokenvec.word2vec import _kernel as _w2v
from tokenvec.word2vec.arrayfile import ArrayFile
from tokenvec.word2vec.config import TrainingError, Word2VecConfig
from tokenvec.word2vec.corpus import Corpus, CorpusError, as_corpus
from tokenvec.word2vec.vocab import EncodedCorpus, Vocab


class CheckpointError(ValueError):
    """A checkpoint folder is malformed; the message names the file and the array."""


CHECKPOINT_FORMAT = "tokenvec-word2vec-checkpoint"
CHECKPOINT_KIND = FolderKind(
    "state.json", CHECKPOINT_FORMAT, frozenset({"state.json", "weights.npz", "vocab.bin"})
)


@dataclass
class EpochInfo:
    """What a per-epoch callback receives."""

    epoch: int  # 1-based
    epochs: int
    loss: float  # mean loss per prediction in this epoch
    words_per_second: float
    seconds: float
    model: Word2Vec


@dataclass
class Progress:
    """Where a run stands; saved in checkpoints."""

    epoch: int = 0
    chunk: int = 0
    words_done: int = 0  # vocabulary words processed, over all epochs
    losses: list[float] = field(default_factory=list)  # mean loss per epoch
    epoch_loss: float = 0.0
    epoch_pairs: int = 0

    def __post_init__(self) -> None:
        for name in ("epoch", "chunk", "words_done", "epoch_pairs"):
            check_int(getattr(self, name), name, 0)
        if not isinstance(self.epoch_loss, int | float) or isinstance(self.epoch_loss, bool):
            raise TypeError(f"epoch_loss must be a number, got {self.epoch_loss!r}")
        if not isinstance(self.losses, list) or not all(
            isinstance(x, int | float) and not isinstance(x, bool) for x in self.losses
        ):
            raise TypeError("losses must be a list of numbers")


class Word2Vec:
    """A word2vec model: ``Word2Vec(config).train(corpus)`` returns the word ``Vectors``.

    >>> cfg = Word2VecConfig(vector_size=8, min_count=1, epochs=1, threads=1)
    >>> Word2Vec(cfg).train([["a", "b", "a", "c"]] * 20, progress=False).vector_size
    8
    """

    CONFIG: type[Word2VecConfig] = Word2VecConfig
    MODEL = "word2vec"  # what a checkpoint records, so each class reloads only its own

    def __init__(self, config: Word2VecConfig | None = None, **overrides: Any) -> None:
        base = config or self.CONFIG()
        if not isinstance(base, self.CONFIG):
            raise TypeError(f"{type(self).__name__} takes a {self.CONFIG.__name__}")
        self.config = type(base)(**{**asdict(base), **overrides}) if overrides else base
        self.vocab: Vocab | None = None
        self.syn0 = np.zeros((0, 0), np.float32)
        self.syn1neg = np.zeros((0, 0), np.float32)
        self.syn1 = np.zeros((0, 0), np.float32)
        self.progress = Progress()
        self.wv: Vectors | None = None

    # --- set-up --------------------------------------------------------------------------------

    def _input_rows(self, words: int) -> int:
        """Rows of the input matrix for ``words`` words (subword models add n-gram rows)."""
        return words

    def _vectors(self) -> Vectors:
        """The trained word vectors (a view of the input rows)."""
        assert self.vocab is not None
        return Vectors(self.vocab.words, self.syn0, on_duplicate="ignore", counts=self.vocab.counts)

    def _init_weights(self) -> None:
        assert self.vocab is not None
        v, d = len(self.vocab), self.config.vector_size
        rows = self._input_rows(v)
        layers = bool(self.config.negative) + bool(self.config.hs)
        _memory.check_fits(
            (rows + layers * v) * d * 4, f"word2vec weights ({rows:,} input rows x {d} dims)"
        )
        # Uniform in [-1/dim, 1/dim), as gensim (word2vec.c uses half that range), drawn in
        # place block by block: a subword model's millions of n-gram rows make no temporaries.
        # Each block has its own stream (seed, block), so the shared threads fill them at once
        # (numpy's generators release the GIL) and the weights do not depend on the threads.
        self.syn0 = _memory.empty((rows, d), np.float32)
        step = max(1, 2**22 // d)
        seed = self.config.seed

        def fill(first: int, last: int) -> None:
            for k in range(first, last):
                block = self.syn0[k * step : (k + 1) * step]
                np.random.default_rng([seed, k]).random(out=block, dtype=np.float32)
                block *= 2
                block -= 1
                block /= d

        split_run(fill, -(-rows // step))
        self.syn1neg = (
            np.zeros((v, d), np.float32) if self.config.negative else np.zeros((1, d), np.float32)
        )
        self.syn1 = (
            np.zeros((max(v - 1, 1), d), np.float32)
            if self.config.hs
            else np.zeros((1, d), np.float32)
        )

    def _tables(self) -> _w2v.Tables:
        assert self.vocab is not None
        cfg = self.config
        if cfg.hs:
            codes, points, lens = self.vocab.huffman()
        else:
            codes = np.zeros((1, 1), np.uint8)
            points = np.zeros((1, 1), np.int32)
            lens = np.zeros(1, np.int32)
        sig, log = _w2v.tables()
        return _w2v.Tables(
            sample_int=self.vocab.sample_int(cfg.sample),
            cum_table=self.vocab.cum_table(cfg.ns_exponent),
            codes=codes,
            points=points,
            code_lens=lens,
            sig=sig,
            log=log,
        )

    # --- training ------------------------------------------------------------------------------

    def train(
        self,
        corpus: Any = None,
        *,
        progress: bool = True,
        callbacks: Sequence[Callable[[EpochInfo], None]] = (),
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: float = 10.0,
        overwrite: bool = False,
    ) -> Vectors:
        """Build the vocabulary, train ``epochs`` passes and return the word vectors.

        ``corpus`` is a path (file or folder; .gz/.bz2/.xz read as text), an iterable of token
        lists, or None for the built-in corpus. With ``checkpoint`` set, the run is saved there
        atomically every ``checkpoint_every`` minutes and at the end; see :meth:`resume`. An
        existing checkpoint folder is replaced only with ``overwrite=True``.
        """
        _check_checkpoint_target(checkpoint, overwrite)
        check_float(checkpoint_every, "checkpoint_every", 0.0, None)
        corp = as_corpus(corpus, max_sentence_length=self.config.max_sentence_length)
        enc = None
        if self.vocab is None or self.progress.epoch >= self.config.epochs:
            batched = self._batched(self._mode(subwords=self._subwords()))
            _warm_kernel_meanwhile(batched, self.config.vector_size, self._fixed())
            self.vocab = Vocab.build(corp, self.config)
            # Encoded now, before the weights exist: the file's one-pass scan is released
            # before they are allocated, so the two never add up in peak memory.
            enc = EncodedCorpus.encode(corp, self.vocab, self.config.chunk_words)
            self._init_model()
        return self._run(corp, progress, callbacks, checkpoint, checkpoint_every, enc)

    def build_vocab(self, corpus: Any = None) -> Vocab:
        """Count the words, keep those of ``min_count`` and initialise the weights.

        ``train`` calls it when needed; call it first to look at the untrained vectors.
        """
        corp = as_corpus(corpus, max_sentence_length=self.config.max_sentence_length)
        self.vocab = Vocab.build(corp, self.config)
        corp.forget_scan()
        self._init_model()
        return self.vocab

    def _init_model(self) -> None:
        """Fresh weights, progress and vectors for the vocabulary just built."""
        self._init_weights()
        self.progress = Progress()
        self.wv = self._vectors()

    # Config fields an update may change; the others describe the weights or the vocabulary.
    UPDATABLE = ("epochs", "alpha", "min_alpha", "decay_by", "threads", "seed", "chunk_words",
                 "batch")  # fmt: skip

    def update(
        self,
        corpus: Any,
        *,
        progress: bool = True,
        callbacks: Sequence[Callable[[EpochInfo], None]] = (),
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: float = 10.0,
        overwrite: bool = False,
        **overrides: Any,
    ) -> Vectors:
        """Continue training on new text, growing the vocabulary (online word2vec).

        The new text is counted; words outside the vocabulary that occur ``min_count`` times
        in it are added, with rows initialised as word2vec initialises them (and zero output
        rows); counts of known words grow by their new counts, and the noise table and the
        Huffman tree are rebuilt from them. Trained rows are kept; then ``epochs`` passes over
        the new text run, the learning rate going from ``alpha`` down to ``min_alpha`` again.
        With hierarchical softmax the trained tree is kept and each new word splits the leaf
        of the known word nearest in count (see :meth:`Vocab.grown_tree`).
        ``overrides`` change any of ``UPDATABLE`` for this and later runs (say ``alpha=0.01``
        to move old words less).
        """
        if self.vocab is None or not len(self.vocab):
            raise TrainingError("update continues a trained model: train or load one first")
        fixed = sorted(set(overrides) - set(self.UPDATABLE))
        if fixed:
            name = fixed[0]
            now = getattr(self.config, name, None)
            raise ValueError(
                f"{name} cannot change in an update (the model has {name}={now!r}); only "
                f"{', '.join(self.UPDATABLE)} can"
            )
        _check_checkpoint_target(checkpoint, overwrite)
        check_float(checkpoint_every, "checkpoint_every", 0.0, None)
        if overrides:
            self.config = type(self.config)(**{**asdict(self.config), **overrides})
        corp = as_corpus(corpus, max_sentence_length=self.config.max_sentence_length)
        self._grow(Vocab.count(corp))
        self.progress = Progress()
        return self._run(corp, progress, callbacks, checkpoint, checkpoint_every)

    def _grow(self, counts: dict[str, int]) -> None:
        """Merge the new text's word ``counts`` into the vocabulary and extend the weights."""
        assert self.vocab is not None
        raw = sum(counts.values())
        if raw == 0:
            raise CorpusError("the new text is empty: no words to train on")
        index = {w: i for i, w in enumerate(self.vocab.words)}
        old_counts = self.vocab.counts.copy()
        added = []
        for w, c in counts.items():
            i = index.get(w)
            if i is not None:
                old_counts[i] += c
            elif c >= self.config.min_count:
                added.append((w, c))
        added.sort(key=lambda wc: -wc[1])  # stable: ties keep first-seen order
        if self.config.max_vocab_size is not None:
            added = added[: max(0, self.config.max_vocab_size - len(index))]
        v_old, v_new, d = len(index), len(index) + len(added), self.config.vector_size
        words = self.vocab.words + [w for w, _ in added]
        new_counts = np.array([c for _, c in added], np.int64)
        tree = self.vocab.grown_tree(new_counts) if self.config.hs else None
        counts_all = np.concatenate([old_counts, new_counts])
        self.vocab = Vocab(words, counts_all, raw, tree)
        if not added:
            return
        _memory.check_fits(len(added) * d * 4 * 3, f"{len(added):,} new word rows")
        rows = self._new_input_rows(v_old, v_new)
        rng = np.random.default_rng([self.config.seed, v_old, v_new])
        new = rng.random((len(added), d), dtype=np.float32) * 2 - 1
        new /= d
        self.syn0 = np.ascontiguousarray(np.concatenate([self.syn0[:v_old], new, rows]))
        if self.config.negative:
            self.syn1neg = np.concatenate([self.syn1neg, np.zeros((len(added), d), np.float32)])
        if self.config.hs:  # one new inner node (a zero row) for each split leaf
            grow = max(v_new - 1, 1) - self.syn1.shape[0]
            self.syn1 = np.concatenate([self.syn1, np.zeros((grow, d), np.float32)])

    def _new_input_rows(self, v_old: int, v_new: int) -> np.ndarray:
        """Input rows that follow the word rows (none for word2vec; subword models override)."""
        return self.syn0[v_old:v_old]

    @classmethod
    def resume(
        cls,
        checkpoint: str | os.PathLike[str],
        corpus: Any = None,
        *,
        progress: bool = True,
        callbacks: Sequence[Callable[[EpochInfo], None]] = (),
        checkpoint_every: float = 10.0,
    ) -> tuple[Word2Vec, Vectors]:
        """Continue a checkpointed run on the same corpus; returns (model, vectors)."""
        check_float(checkpoint_every, "checkpoint_every", 0.0, None)
        model = cls.load_checkpoint(checkpoint)
        corp = as_corpus(corpus, max_sentence_length=model.config.max_sentence_length)
        vectors = model._run(corp, progress, callbacks, checkpoint, checkpoint_every)
        return model, vectors

    def _run(
        self,
        corp: Corpus,
        show: bool,
        callbacks: Sequence[Callable[[EpochInfo], None]],
        checkpoint: str | os.PathLike[str] | None,
        checkpoint_every: float,
        enc: EncodedCorpus | None = None,
    ) -> Vectors:
        """Train the remaining epochs: plan the chunks, run them, report, checkpoint."""
        assert self.vocab is not None
        plan = self._plan(corp, enc)
        saver = _Checkpointer(self, checkpoint, checkpoint_every)
        bar = _ProgressBar(show, plan.total, self.config.epochs, self.MODEL)
        workers = self.config.workers
        pool = ThreadPoolExecutor(workers) if workers > 1 else None
        try:
            with bar:
                bar.advance(self.progress.words_done, self.progress.epoch)
                while self.progress.epoch < self.config.epochs:
                    t_epoch = time.perf_counter()
                    words_at_start = self.progress.words_done
                    self._train_epoch(plan, pool, bar, saver)
                    info = self._end_epoch(words_at_start, time.perf_counter() - t_epoch)
                    for cb in callbacks:
                        cb(info)
        finally:
            if pool is not None:
                pool.shutdown(wait=True)
        saver.save()  # the target was checked up front
        self.wv = self._vectors()
        return self.wv

    def _plan(self, corp: Corpus, enc: EncodedCorpus | None = None) -> _Plan:
        """Encode the corpus (unless given encoded), build and check the kernel's tables, fix
        the schedule."""
        assert self.vocab is not None
        cfg = self.config
        if enc is None:
            enc = EncodedCorpus.encode(corp, self.vocab, cfg.chunk_words)
        if enc.raw_words != self.vocab.raw_words:
            raise TrainingError(
                f"the corpus has {enc.raw_words:,} words but the vocabulary was built on "
                f"{self.vocab.raw_words:,}: resume needs the same corpus"
            )
        if corp.stats.split_sentences:
            self.notes.append(
                f"{corp.stats.split_sentences:,} lines longer than max_sentence_length="
                f"{cfg.max_sentence_length:,} words were cut into several sentences"
            )
        tables = self._tables()
        check_kernel_inputs(self.syn0, self.syn1neg, self.syn1, enc.words, enc.starts, tables, cfg)
        if self.progress.chunk > enc.n_chunks:
            raise TrainingError(
                f"the checkpoint is at chunk {self.progress.chunk} of {enc.n_chunks}"
            )
        sizes = enc.chunk_words()
        before = np.concatenate([[0], np.cumsum(sizes)])  # words before each chunk
        mode = self._mode(subwords=tables.sub_rows.size > 1)
        hot_out = None
        if cfg.workers > 1 and cfg.negative and cfg.sg:  # (see _HotRows: CBOW goes without)
            hot_out = _HotRows(len(self.vocab), cfg.vector_size)
        total = int(before[-1]) * cfg.epochs
        # The rate's clock: words (or sentences) before each chunk, and over all epochs.
        clock = before if cfg.decay_by == "words" else enc.chunks - enc.chunks[0]
        return _Plan(enc, tables, mode, sizes, before, total, clock, int(clock[-1]) * cfg.epochs,
                     hot_out)  # fmt: skip

    def _mode(self, subwords: bool) -> _w2v.Mode:
        cfg = self.config
        return _w2v.Mode(cfg.sg, cfg.negative, cfg.hs, cfg.window, cfg.cbow_mean, subwords)

    def _subwords(self) -> bool:
        """Whether inputs are means of several rows (fastText's n-grams); plain word2vec: no."""
        return False

    def _batched(self, mode: _w2v.Mode) -> bool:
        """Whether chunks train with the batched step (not refused, and the mode has one)."""
        return self.config.batch is not False and _batched.supports(mode)

    def _fixed(self) -> bool:
        """Whether chunks run the code compiled for the vector size (where there is one:
        ``_kernel.FIXED_DIMS``); ``batch=False`` keeps the code for any size, bit for bit."""
        return self.config.batch is not False

    def _rates(self, plan: _Plan, epoch: int, k: int) -> tuple[float, float]:
        """The learning rate at the start and the end of chunk ``k`` of ``epoch``: linear in
        the words (or sentences, ``decay_by``) trained before, from alpha to min_alpha."""
        cfg = self.config
        per_epoch = int(plan.clock[-1])
        done0 = epoch * per_epoch + plan.clock[k]
        done1 = epoch * per_epoch + plan.clock[k + 1]
        a0 = cfg.alpha - (cfg.alpha - cfg.min_alpha) * done0 / plan.clock_total
        a1 = cfg.alpha - (cfg.alpha - cfg.min_alpha) * done1 / plan.clock_total
        return a0, a1

    def _chunk(self, plan: _Plan, epoch: int, k: int) -> tuple[float, int, int]:
        """Train chunk ``k`` of ``epoch``; its learning rates and seed depend on nothing else."""
        cfg = self.config
        a0, a1 = self._rates(plan, epoch, k)
        words, bounds = plan.enc.chunk(k)
        if words is not plan.enc.words:  # read from the array files: checked as they come
            check_chunk(words, bounds, len(plan.tables.sample_int))
        hot_out = plan.hot_out.take(self.syn1neg) if plan.hot_out is not None else None
        try:
            if self._batched(plan.mode):
                return _batched.train_chunk_batched(
                    self.syn0, self.syn1neg, words, bounds, plan.tables, plan.mode, a0, a1,
                    _w2v.seed_for(cfg.seed, epoch, k), hot_out=hot_out, fixed=self._fixed(),
                )  # fmt: skip
            return _w2v.train_chunk(
                _w2v.kernel(self._fixed()), self.syn0, self.syn1neg, self.syn1, words, bounds,
                plan.tables, plan.mode, a0, a1,
                _w2v.seed_for(cfg.seed, epoch, k), hot_out,
            )  # fmt: skip
        finally:
            if plan.hot_out is not None:
                plan.hot_out.give_back(self.syn1neg)

    def _train_epoch(
        self, plan: _Plan, pool: ThreadPoolExecutor | None, bar: _ProgressBar, saver: _Checkpointer
    ) -> None:
        """Run the epoch's remaining chunks: submitted in order, accounted in order, up to two
        per worker in flight so no worker waits for a batch to finish."""
        st = self.progress
        limit = 2 * self.config.workers
        inflight: deque[tuple[int, Any]] = deque()
        nxt = st.chunk
        while st.chunk < plan.enc.n_chunks:
            due = saver.due()  # a checkpoint waits until the chunks in flight are done
            if due and not inflight:
                saver.save()
                due = False
            while not due and nxt < plan.enc.n_chunks and len(inflight) < limit:
                if pool is None:
                    inflight.append((nxt, self._chunk(plan, st.epoch, nxt)))
                else:
                    inflight.append((nxt, pool.submit(self._chunk, plan, st.epoch, nxt)))
                nxt += 1
            k, res = inflight.popleft()
            if pool is not None:
                res = _wait(res, bar)
            self._account(plan, k, res)
            bar.advance(st.words_done, st.epoch, st.epoch_loss / max(st.epoch_pairs, 1))

    def _account(self, plan: _Plan, k: int, res: tuple[float, int, int]) -> None:
        """Add a finished chunk to the progress; a non-finite loss stops the run."""
        st = self.progress
        loss, pairs, _ = res
        if not math.isfinite(loss):
            raise TrainingError(
                f"training diverged: the loss became {loss} in epoch {st.epoch + 1}; "
                f"lower alpha (now {self.config.alpha})"
            )
        st.epoch_loss += loss
        st.epoch_pairs += pairs
        st.words_done += int(plan.sizes[k])
        st.chunk = k + 1

    def _end_epoch(self, words_at_start: int, seconds: float) -> EpochInfo:
        """Close the epoch: check the weights, record its loss, refresh the vectors."""
        assert self.vocab is not None
        st = self.progress
        if not all_finite(self.syn0):
            raise TrainingError(
                f"training diverged: weights hold NaN or inf after epoch {st.epoch + 1}; "
                f"lower alpha (now {self.config.alpha})"
            )
        mean = st.epoch_loss / max(st.epoch_pairs, 1)
        st.losses.append(mean)
        st.epoch += 1
        st.chunk = 0
        st.epoch_loss, st.epoch_pairs = 0.0, 0
        self.wv = self._vectors()
        speed = (st.words_done - words_at_start) / max(seconds, 1e-9)
        return EpochInfo(st.epoch, self.config.epochs, mean, speed, seconds, self)

    def predict_output_word(
        self, context: Sequence[str], topn: int = 10
    ) -> list[tuple[str, float]]:
        """The words the trained network predicts at the centre of ``context`` (as gensim).

        Uses the negative-sampling output layer: softmax(mean(context vectors) @ syn1neg.T).
        Unknown context words are ignored; all unknown is an error.
        """
        if self.vocab is None or not self.config.negative:
            raise RuntimeError("predict_output_word needs a model trained with negative sampling")
        index = {w: i for i, w in enumerate(self.vocab.words)}
        ids = [index[w] for w in context if w in index]
        if not ids:
            raise KeyError(f"none of the context words {list(context)!r} is in the vocabulary")
        l1 = self.syn0[ids].mean(axis=0)  # (C,)
        logits = self.syn1neg @ l1  # (V,)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        best = np.argsort(-probs, kind="stable")[:topn]
        return [(self.vocab.words[i], float(probs[i])) for i in best]

    @property
    def notes(self) -> list[str]:
        """Things the run reports rather than hides (sentences cut, for one)."""
        if not hasattr(self, "_notes"):
            self._notes: list[str] = []
        return self._notes

    # --- checkpoints ---------------------------------------------------------------------------

    def save_checkpoint(self, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the whole state (config, vocabulary, weights, progress) atomically.

        An existing folder is replaced only with ``overwrite=True`` and only if it is a
        word2vec checkpoint: nothing else is ever removed.
        """
        assert self.vocab is not None
        target = Path(path)
        blob, offsets = encode_keys(self.vocab.words)
        with atomic_path(target, overwrite=overwrite, kind=CHECKPOINT_KIND) as tmp:
            arrays: dict[str, Any] = dict(
                syn0=self.syn0,
                syn1neg=self.syn1neg,
                syn1=self.syn1,
                counts=self.vocab.counts,
                vocab_offsets=np.asarray(offsets, dtype=np.int64),
                **self._tree_arrays(),
            )
            np.savez(tmp / "weights.npz", **arrays)
            (tmp / "vocab.bin").write_bytes(blob)
            state = {
                "format": CHECKPOINT_FORMAT,
                "version": 2,
                "model": self.MODEL,
                "config": asdict(self.config),
                "raw_words": self.vocab.raw_words,
                "progress": asdict(self.progress),
            }
            (tmp / "state.json").write_text(json.dumps(state, indent=1), "utf-8")
        return target

    def _tree_arrays(self) -> dict[str, np.ndarray]:
        """A grown Huffman tree (after an update), which the counts alone no longer give."""
        assert self.vocab is not None
        if self.vocab.tree is None:
            return {}
        codes, points, lens = self.vocab.tree
        return {"tree_codes": codes, "tree_points": points, "tree_lens": lens}

    @classmethod
    def load_checkpoint(cls, path: str | os.PathLike[str]) -> Word2Vec:
        """A model in the state a checkpoint recorded (no pickle is read).

        Every array is checked (dtype, shape, values) before it can reach the compiled kernel;
        a bad file is a :class:`CheckpointError` naming the file and the array.
        """
        p = Path(path)
        state_path = p / "state.json"
        if not state_path.is_file():
            raise FileNotFoundError(f"{p} is not a word2vec checkpoint (no state.json)")
        try:
            raw = state_path.read_bytes()
            if len(raw) > 2**20:
                raise ValueError("larger than 1 MiB")
            state = json.loads(raw.decode("utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise CheckpointError(f"{state_path}: not valid JSON ({exc})") from None
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{state_path} does not describe a word2vec checkpoint")
        version = state.get("version")
        if version not in (1, 2):
            raise CheckpointError(f"{state_path}: unknown version {version!r}")
        kind = state.get("model", "word2vec")
        if kind != cls.MODEL:
            raise CheckpointError(
                f"{state_path}: a {kind} checkpoint; load it with the {kind} trainer, not "
                f"{cls.__name__}"
            )
        try:
            config = cls.CONFIG(**state["config"])
            progress = Progress(**state["progress"])
            raw_words = check_int(state["raw_words"], "raw_words", 1)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{state_path}: {type(exc).__name__}: {exc}") from None
        model = cls(config)
        weights = p / "weights.npz"
        vocab_path = p / "vocab.bin"
        try:
            # Every array's header is checked against state.json (and the vocabulary's size)
            # before any array is read: a small file cannot make the load allocate much.
            headers = _npz_headers(weights)
            v = _checked_vocab_size(weights, headers, vocab_path.stat().st_size)
            d = config.vector_size
            want = {
                "counts": (np.int64, (v,)),
                "syn0": (np.float32, (model._input_rows(v), d)),
                "syn1neg": (np.float32, (v if config.negative else 1, d)),
                "syn1": (np.float32, (max(v - 1, 1) if config.hs else 1, d)),
            }
            if version == 2:
                want["vocab_offsets"] = (np.int64, (v + 1,))
            for name, (dtype, shape) in want.items():
                if name not in headers:
                    raise CheckpointError(f"{weights}: the array {name!r} is missing")
                _check_array(weights, name, headers[name], dtype, shape)
            arrays = {}
            with np.load(weights, allow_pickle=False) as z:
                for name in [*want, "tree_codes", "tree_points", "tree_lens"]:
                    if name in headers:
                        arrays[name] = z[name]
            blob = vocab_path.read_bytes()
            if version == 1:  # 0xFF-separated words (tokenvec 0.1)
                parts = blob.split(b"\xff")
                words = [w.decode("utf-8") for w in parts[:-1]] if parts[-1] == b"" else []
            else:
                words = decode_keys(blob, arrays["vocab_offsets"], str(vocab_path))
        except CheckpointError:
            raise
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{p}: cannot read ({exc})") from None
        counts = arrays["counts"]
        _check_array(weights, "counts", counts, np.int64, (len(words),))
        if len(words) == 0 or (counts < 1).any():
            raise CheckpointError(f"{weights}: 'counts' must hold a count >= 1 for every word")
        if not (0 <= progress.epoch <= config.epochs and progress.chunk >= 0):
            raise CheckpointError(f"{state_path}: progress {progress} does not fit the config")
        model.syn0 = np.ascontiguousarray(arrays["syn0"])
        model.syn1neg = np.ascontiguousarray(arrays["syn1neg"])
        model.syn1 = np.ascontiguousarray(arrays["syn1"])
        model.vocab = Vocab(words, np.ascontiguousarray(counts), raw_words,
                            _checked_tree(weights, arrays, v))  # fmt: skip
        model.progress = progress
        return model


def _checked_tree(
    weights: Path, arrays: dict[str, np.ndarray], v: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """A checkpoint's grown Huffman tree, checked before the kernel can walk it."""
    names = ("tree_codes", "tree_points", "tree_lens")
    present = [n in arrays for n in names]
    if not any(present):
        return None
    if not all(present):
        raise CheckpointError(f"{weights}: the tree arrays must come together ({', '.join(names)})")
    codes, points, lens = (arrays[n] for n in names)
    width = codes.shape[1] if codes.ndim == 2 else 0
    _check_array(weights, "tree_codes", codes, np.uint8, (v, width))
    _check_array(weights, "tree_points", points, np.int32, (v, width))
    _check_array(weights, "tree_lens", lens, np.int32, (v,))
    inner = max(v - 1, 1)
    if (codes > 1).any() or (points < 0).any() or (points >= inner).any():
        raise CheckpointError(f"{weights}: the tree's codes or inner nodes are out of range")
    if (lens < 0).any() or (lens > width).any():
        raise CheckpointError(f"{weights}: the tree's code lengths are out of range")
    return (np.ascontiguousarray(codes), np.ascontiguousarray(points), np.ascontiguousarray(lens))


def _check_checkpoint_target(checkpoint: str | os.PathLike[str] | None, overwrite: bool) -> None:
    """Refuse, before any training, a checkpoint target that the run may not replace."""
    if checkpoint is not None:
        check_replaceable(
            checkpoint,
            overwrite=overwrite,
            kind=CHECKPOINT_KIND,
            hint="continue it with Word2Vec.resume or pass overwrite=True to start again there",
        )


class _Header:
    """An array's dtype and shape as its .npy header states them (nothing else read)."""

    def __init__(self, dtype: np.dtype, shape: tuple[int, ...]) -> None:
        self.dtype, self.shape = dtype, shape


def _npz_headers(weights: Path) -> dict[str, _Header]:
    """The header of every array in ``weights``, each checked to describe exactly the bytes
    its member holds. Members must be stored, not compressed (tokenvec writes them so), so
    that no array can claim more than the file's own size."""
    headers: dict[str, _Header] = {}
    with zipfile.ZipFile(weights) as z:
        for info in z.infolist():
            name = info.filename.removesuffix(".npy")
            if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
                raise CheckpointError(
                    f"{weights}: the array {name!r} is compressed; checkpoints store arrays "
                    f"uncompressed (a compressed one could claim any size)"
                )
            with z.open(info) as f:
                try:
                    major, _ = np.lib.format.read_magic(f)
                    read = (
                        np.lib.format.read_array_header_1_0
                        if major == 1
                        else np.lib.format.read_array_header_2_0
                    )
                    shape, _, dtype = read(f, max_header_size=10_000)
                except ValueError as exc:
                    raise CheckpointError(f"{weights}: the array {name!r}: {exc}") from None
                start = f.tell()
            if dtype.hasobject:
                raise CheckpointError(f"{weights}: the array {name!r} holds Python objects")
            nbytes = math.prod(shape) * dtype.itemsize
            if start + nbytes != info.file_size:
                raise CheckpointError(
                    f"{weights}: the array {name!r} claims {dtype} {shape} ({nbytes:,} bytes) "
                    f"but holds {info.file_size - start:,} bytes"
                )
            headers[name] = _Header(dtype, shape)
    return headers


def _checked_vocab_size(weights: Path, headers: dict[str, _Header], vocab_bytes: int) -> int:
    """The vocabulary size: from the words' offsets (one more than the words) where the
    checkpoint has them, else from the counts; each word takes at least a byte of vocab.bin."""
    name, extra = ("vocab_offsets", 1) if "vocab_offsets" in headers else ("counts", 0)
    h = headers.get(name)
    if h is None:
        raise CheckpointError(f"{weights}: the array {name!r} is missing")
    if len(h.shape) != 1 or not 1 <= h.shape[0] - extra <= vocab_bytes:
        raise CheckpointError(
            f"{weights}: the array {name!r} has shape {h.shape}, which does not fit a "
            f"vocabulary file of {vocab_bytes:,} bytes"
        )
    return int(h.shape[0]) - extra


def _check_array(
    where: Path, name: str, arr: np.ndarray | _Header, dtype: type, shape: tuple[int, ...]
) -> None:
    """A checkpoint array must have exactly the dtype and shape the kernel expects."""
    if arr.dtype != np.dtype(dtype) or arr.shape != shape:
        raise CheckpointError(
            f"{where}: the array {name!r} is {arr.dtype} {arr.shape}, expected "
            f"{np.dtype(dtype)} {shape}"
        )


_warmed: set[tuple[bool, int]] = set()


def _warm_kernel_meanwhile(batched: bool, dim: int, fixed: bool) -> None:
    """Load the compiled step a run takes (``batched`` or classic, for rows of ``dim``; the
    code for that width where ``fixed`` and there is one) in a thread while the caller counts
    the corpus (once a process; a corpus of more than 65,535 distinct words loads its own
    variant later)."""
    code = _w2v.width(dim, fixed)  # a Constant: the code for that width; an int: for any
    key = (batched, int(code) if isinstance(code, Constant) else 0)
    if key in _warmed:
        return
    _warmed.add(key)

    def run() -> None:
        with contextlib.suppress(Exception):  # the run's own first call reports failures
            if batched:
                _batched.warm(dim=dim)
            else:
                _w2v.warm(dim=dim, fixed=fixed)

    threading.Thread(target=run, name="tokenvec-warm", daemon=True).start()


def check_kernel_inputs(
    syn0: np.ndarray,
    syn1neg: np.ndarray,
    syn1: np.ndarray,
    words: np.ndarray | ArrayFile,
    starts: np.ndarray | ArrayFile,
    tables: _w2v.Tables,
    config: Word2VecConfig,
) -> None:
    """Check every array the compiled kernel reads or writes (it runs without bounds checks):
    dtypes, C-contiguity, shapes, and the ranges of ids, tree points, noise tables and, for
    subword models, of every word's input rows. A corpus in array files is checked a chunk
    at a time as it is read (:func:`check_chunk`)."""
    v = tables.sample_int.shape[0] if tables.sample_int.ndim == 1 else 0
    rows, d = syn0.shape if syn0.ndim == 2 else (0, 0)

    def need(ok: bool, what: str) -> None:
        if not ok:
            raise ValueError(f"word2vec kernel input: {what}")

    for name, arr, dtype in (
        ("syn0", syn0, np.float32),
        ("syn1neg", syn1neg, np.float32),
        ("syn1", syn1, np.float32),
        ("sample_int", tables.sample_int, np.uint64),
        ("cum_table", tables.cum_table, np.uint32),
        ("codes", tables.codes, np.uint8),
        ("points", tables.points, np.int32),
        ("code_lens", tables.code_lens, np.int32),
        ("sig", tables.sig, np.float32),
        ("log", tables.log, np.float32),
        ("sub_offsets", tables.sub_offsets, np.int64),
        ("sub_rows", tables.sub_rows, np.int32),
    ):
        need(arr.dtype == dtype and arr.flags.c_contiguous, f"{name} must be C-contiguous {dtype}")
    need(v > 0 and d == config.vector_size, f"syn0 has shape {syn0.shape}")
    if tables.sub_rows.size > 1:  # subwords: offsets per word, rows inside the input matrix
        off, sub = tables.sub_offsets, tables.sub_rows
        need(off.shape == (v + 1,) and int(off[0]) == 0 and int(off[-1]) == sub.size, "sub_offsets")
        need(bool((np.diff(off) >= 1).all()), "every word needs at least one input row")
        need(int(sub.min()) >= 0 and int(sub.max()) < rows, "sub_rows outside the input matrix")
    else:
        need(rows == v, f"syn0 has {rows} rows for {v} words")
    need(syn1neg.shape == ((v, d) if config.negative else (1, d)), "syn1neg shape")
    need(syn1.shape == ((max(v - 1, 1), d) if config.hs else (1, d)), "syn1 shape")
    need(words.dtype in (np.uint16, np.int32), "words dtype")
    need(starts.dtype == np.int64 and starts.size >= 1, "sentence starts")
    if isinstance(words, np.ndarray) and isinstance(starts, np.ndarray):
        need(words.ndim == 1 and starts.ndim == 1, "words and starts must be 1-D")
        check_chunk(words, starts, v)
    need(tables.sample_int.shape == (v,), "sample_int shape")
    cum = tables.cum_table
    need(cum.shape == (v,) and bool((np.diff(cum.astype(np.int64)) >= 0).all()), "cum_table")
    # The guide's slots are x >> shift for x below cum_table[-1]: within 2**(31 - shift).
    need(0 < int(cum[-1]) < 2**31, "cum_table must end in (0, 2**31)")
    guide, shift = tables.guide, tables.guide_shift
    need(guide.dtype == np.int32 and guide.flags.c_contiguous, "guide must be C-contiguous int32")
    need(0 <= shift <= 31 and guide.shape == (1 << (31 - shift),), "guide shape")
    need(int(guide.min()) >= 0 and int(guide.max()) < v, "guide entries outside the vocabulary")
    need(tables.sig.shape == tables.log.shape == (_w2v.EXP_TABLE_SIZE,), "sigmoid tables")
    if config.hs:
        codes, points, lens = tables.codes, tables.points, tables.code_lens
        need(codes.ndim == 2 and codes.shape[0] == v and points.shape == codes.shape, "codes")
        need(lens.shape == (v,) and int(lens.min()) >= 0, "code_lens")
        need(int(lens.max()) <= codes.shape[1], "code_lens longer than the codes")
        need(int(points.min()) >= 0 and int(points.max()) < syn1.shape[0], "points out of range")


def check_chunk(words: np.ndarray, bounds: np.ndarray, vocab_size: int) -> None:
    """Words and sentence bounds the kernel may read: C-contiguous, every id in
    ``[0, vocab_size)``, the bounds rising from 0 to the number of words (compared pairwise,
    no 8-byte difference array made)."""
    if not (words.flags.c_contiguous and bounds.flags.c_contiguous):
        raise ValueError("word2vec kernel input: words and bounds must be C-contiguous")
    if words.size and (int(words.min()) < 0 or int(words.max()) >= vocab_size):
        raise ValueError(f"word2vec kernel input: word ids outside [0, {vocab_size})")
    if not (
        bounds.size >= 1
        and int(bounds[0]) == 0
        and int(bounds[-1]) == words.size
        and bool((bounds[1:] >= bounds[:-1]).all())
    ):
        raise ValueError(
            "word2vec kernel input: sentence starts must rise from 0 to the number of words"
        )


@dataclass(frozen=True)
class _Plan:
    """A run's fixed inputs: the encoded corpus, the kernel's tables and mode, the schedule."""

    enc: EncodedCorpus
    tables: _w2v.Tables
    mode: _w2v.Mode
    sizes: np.ndarray  # (chunks,) vocabulary words in each chunk
    before: np.ndarray  # (chunks + 1,) words before each chunk
    total: int  # words over all epochs
    clock: np.ndarray  # (chunks + 1,) what the rate falls with (decay_by) before each chunk
    clock_total: int  # ... over all epochs
    hot_out: _HotRows | None = None  # the threads' private output rows, when several train


class _HotRows:
    """Each worker thread's private copy of the first rows of the output matrix.

    Those are the most frequent words' rows, which nearly every noise draw writes: shared by
    two threads, each write pulls the row's cache lines from the other core. A thread copies
    them in at a chunk's start and adds what the chunk changed back at its end (under a lock,
    so no change is lost): the other threads see its updates of these rows a chunk late, as
    Hogwild's threads see each other's a few words late. Two threads, private against
    shared: skip-gram 1.13x and CBOW 1.07x faster (built-in corpus) when they came in; after
    the kernel's later changes CBOW ran 0.95x (in one process, six alternating runs) and 1.14x
    faster without them (fresh processes, three alternating), so only skip-gram keeps them
    (1.04x-1.11x there in the same runs; later, in an hour when sharing cost more, the classic
    skip-gram step's two-thread epochs ran 3.2-6.3 s without them against 2.0-4.4 s with them,
    one thread 3.9 s, while CBOW's ran alike). The input rows private as well measured CBOW 1.04x
    faster and skip-gram no faster, and cost CBOW 0.28 analogy points (five seeds, each
    lower), so they stay shared.
    """

    BYTES = 1 << 18  # the rows kept private: 256 KiB a matrix, well inside a core's L2 cache

    def __init__(self, rows: int, dim: int) -> None:
        self.rows = max(1, min(rows, self.BYTES // (4 * dim)))
        self.dim = dim
        self.local = threading.local()
        self.lock = threading.Lock()

    def take(self, mat: np.ndarray) -> np.ndarray:
        """This thread's copy of the rows, fresh from ``mat``."""
        pair = getattr(self.local, "pair", None)
        if pair is None:
            pair = self.local.pair = np.empty((2, self.rows, self.dim), np.float32)
        with self.lock:
            pair[0] = mat[: self.rows]
        pair[1] = pair[0]  # the rows as taken, to find the change
        return pair[0]  # type: ignore[no-any-return]

    def give_back(self, mat: np.ndarray) -> None:
        """Add what this thread changed in its copy to ``mat``."""
        pair = self.local.pair
        pair[0] -= pair[1]
        with self.lock:
            mat[: self.rows] += pair[0]


class _Checkpointer:
    """Saves the model every ``minutes`` (between chunks) and at the end, when asked to."""

    def __init__(
        self, model: Word2Vec, path: str | os.PathLike[str] | None, minutes: float
    ) -> None:
        self.model = model
        self.path = path
        self.seconds = minutes * 60
        self.last = time.monotonic()

    def due(self) -> bool:
        return self.path is not None and time.monotonic() - self.last >= self.seconds

    def save(self) -> None:
        if self.path is not None:
            self.model.save_checkpoint(self.path, overwrite=True)  # checked at the start
            self.last = time.monotonic()


def _wait(future: Any, bar: _ProgressBar) -> tuple[float, int, int]:
    """A chunk's result, refreshing the progress bar while waiting."""
    while True:
        try:
            return future.result(timeout=0.25)
        except FuturesTimeout:
            bar.peek(0)


class _ProgressBar:
    """A rich progress bar with words/s, loss and ETA (a no-op when disabled)."""

    def __init__(self, show: bool, total: int, epochs: int, label: str = "word2vec") -> None:
        self.show = show
        self.label = label
        self.total = total
        self.epochs = epochs
        self._progress: Any = None
        self._task: Any = None
        self._done = 0
        self._first: int | None = None  # words already done when the bar started (resume)

    def __enter__(self) -> _ProgressBar:
        if self.show:
            from rich.progress import (
                BarColumn,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            from tokenvec._progress import bar

            self._progress = bar(
                TextColumn(
                    f"[bold]{self.label}[/] epoch {{task.fields[epoch]}}/{{task.fields[epochs]}}"
                ),
                BarColumn(),
                TextColumn("{task.percentage:>5.1f}%"),
                TextColumn("{task.fields[wps]} words/s"),
                TextColumn("loss {task.fields[loss]}"),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task(
                "train", total=self.total, epoch=1, epochs=self.epochs, wps="-", loss="-"
            )
            self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def peek(self, extra: int) -> None:
        """Refresh the bar while waiting (``extra`` words beyond those accounted)."""
        if self._progress is not None:
            self._progress.update(self._task, completed=self._done + extra)

    def advance(self, done: int, epoch: int, loss: float | None = None) -> None:
        self._done = done
        if self._first is None:
            self._first = done
        if self._progress is None:
            return
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        fields: dict[str, Any] = {"epoch": min(epoch + 1, self.epochs)}
        new = done - self._first  # words trained in this run, not those of a resumed one
        fields["wps"] = f"{new / elapsed:,.0f}" if new else "-"
        if loss is not None:
            fields["loss"] = f"{loss:.3f}"
        self._progress.update(self._task, completed=done, **fields)


def train_word2vec(corpus: Any = None, config: Word2VecConfig | None = None, **kw: Any) -> Vectors:
    """Train word2vec on ``corpus`` (None: the built-in corpus) and return the vectors.

    Keyword arguments override fields of ``config``; ``progress``, ``callbacks``,
    ``checkpoint`` and ``checkpoint_every`` go to :meth:`Word2Vec.train`.
    """
    run_kw = {
        k: kw.pop(k)
        for k in ("progress", "callbacks", "checkpoint", "checkpoint_every", "overwrite")
        if k in kw
    }
    return Word2Vec(config, **kw).train(corpus, **run_kw)
