"""word2vec on PyTorch: the batched step of :mod:`tokenvec.word2vec._batched` on any device,
whole blocks of the corpus per call (no Python loop over words).

The corpus, its vocabulary and its sub-sampling are tokenvec's own (the same counts, noise
table and keep probabilities as :class:`tokenvec.word2vec.Word2Vec`). An epoch is cut into
blocks of ``block_words`` centres; a block's windows (each centre's dynamic window, inside its
sentence) become index tensors, every centre draws its ``negative`` noise words once, shared by
all its context words (skip-gram) or predicted from its bag (CBOW), and the updates land with
``index_add_``: rows used by several pairs of a block receive the sum of their gradients, as
in Hogwild training with many threads. Gradients are written out (no autograd): the step is
the classic one's arithmetic with an exact sigmoid.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from tokenvec._progress import counting
from tokenvec.nn._torch import torch
from tokenvec.nn.train import device_for
from tokenvec.vectors.base import Vectors
from tokenvec.word2vec.config import Word2VecConfig
from tokenvec.word2vec.corpus import as_corpus
from tokenvec.word2vec.vocab import EncodedCorpus, Vocab

# Centres a call trains. On the built-in corpus (CBOW, 5 epochs), 1,024 trains to the compiled
# trainer's accuracy (analogies 8.2% against 8.1%, WordSim353 0.384 against 0.381); larger
# blocks lose accuracy (2,048: 7.6%) to their staler gradients, and 8,192 diverges unbounded.
BLOCK_WORDS = 1024
MAX_SUMMED = 256  # see _add_rows


def _add_rows(mat: Any, index: Any, delta: Any) -> None:
    """mat[index] += delta. A row named more than ``MAX_SUMMED`` times in one call takes
    ``MAX_SUMMED`` times the mean of its updates: the sum of thousands of stale gradients for
    one frequent word (a noise word of nearly every centre of a large block) overshoots where
    updates one at a time saturate, and training diverges."""
    times = torch.bincount(index, minlength=mat.shape[0])[index].to(delta.dtype)
    mat.index_add_(0, index, delta / (times[:, None] / MAX_SUMMED).clamp(min=1.0))


def _step(syn0: Any, syn1neg: Any, inputs: Any, own: Any, noise: Any, alpha: float) -> Any:
    """``inputs`` (B, dim) predict their targets ``own`` (B,) and their noise words ``noise``
    (B, K): the output rows are updated; returns the inputs' update (B, dim). Both come from
    the rows before the step."""
    out_own = syn1neg[own]  # (B, dim)
    out_noise = syn1neg[noise]  # (B, K, dim)
    g_own = (1.0 - torch.sigmoid((inputs * out_own).sum(-1))) * alpha  # (B,)
    g_noise = -torch.sigmoid(torch.einsum("bd,bkd->bk", inputs, out_noise)) * alpha
    g_noise = g_noise * (noise != own[:, None])  # a noise word that is the target: skipped
    d_in = g_own[:, None] * out_own + torch.einsum("bk,bkd->bd", g_noise, out_noise)
    dim = inputs.shape[1]
    d_noise = (g_noise[..., None] * inputs[:, None, :]).reshape(-1, dim)
    _add_rows(syn1neg, torch.cat([own, noise.reshape(-1)]),
              torch.cat([g_own[:, None] * inputs, d_noise]))  # fmt: skip
    return d_in


def _windows(n: int, lo: int, hi: int, sent: Any, window: int, gen: Any) -> tuple[Any, Any]:
    """(centre, context) positions of the centres lo..hi-1 of a kept corpus of ``n`` words,
    each centre's window drawn in 1..window (word2vec's dynamic window), inside its sentence."""
    dev = sent.device
    centre = torch.arange(lo, hi, device=dev)
    reach = window - torch.randint(0, window, (hi - lo,), generator=gen, device=dev)
    cs, js = [], []
    for o in range(1, window + 1):
        for j in (centre - o, centre + o):
            ok = (j >= 0) & (j < n) & (reach >= o)
            jj = j.clamp(0, n - 1)
            ok &= sent[jj] == sent[centre]
            cs.append(centre[ok])
            js.append(jj[ok])
    return torch.cat(cs), torch.cat(js)


def train_word2vec(
    corpus: Any = None,
    config: Word2VecConfig | None = None,
    *,
    device: str = "auto",
    block_words: int = BLOCK_WORDS,
    progress: bool | None = None,
    **overrides: Any,
) -> Vectors:
    """Train word2vec (skip-gram or CBOW, negative sampling) on ``corpus`` with PyTorch on
    ``device`` ("auto": CUDA when available). ``config`` and ``overrides`` are
    :class:`~tokenvec.word2vec.Word2VecConfig`'s; ``hs`` has no batched step here. A progress
    bar goes to standard error (``progress=None``: when it is a terminal).

    >>> v = train_word2vec([["a", "b", "c"]] * 50, min_count=1, vector_size=8, epochs=1)
    >>> v.vectors.shape
    (3, 8)
    """
    cfg = dataclasses.replace(config or Word2VecConfig(), **overrides)
    if cfg.hs or cfg.negative == 0:
        raise ValueError("the torch trainer trains negative sampling only: hs=False, negative > 0")
    if block_words < 1:
        raise ValueError(f"block_words must be >= 1, got {block_words}")
    corp = as_corpus(corpus)
    vocab = Vocab.build(corp, cfg)
    enc = EncodedCorpus.encode(corp, vocab, cfg.chunk_words)
    dev = device_for(device)
    gen = torch.Generator(device=dev).manual_seed(cfg.seed)
    v, dim = len(vocab), cfg.vector_size
    syn0 = (torch.rand(v, dim, generator=gen, device=dev) * 2 - 1) / dim
    syn1neg = torch.zeros(v, dim, device=dev)
    words = torch.as_tensor(enc.all_words().astype(np.int64), device=dev)
    lengths = torch.as_tensor(np.diff(enc.all_starts()), device=dev)
    sent = torch.repeat_interleave(torch.arange(lengths.numel(), device=dev), lengths)
    keep_below = torch.as_tensor(vocab.sample_int(cfg.sample).astype(np.int64), device=dev)
    cum = torch.as_tensor(vocab.cum_table(cfg.ns_exponent).astype(np.int64), device=dev)
    total = max(words.numel() * cfg.epochs, 1)
    calls = cfg.epochs * math.ceil(words.numel() / block_words)
    with torch.no_grad(), counting("training word2vec (torch)", calls, progress) as advance:
        for epoch in range(cfg.epochs):
            draws = torch.randint(0, 2**32, (words.numel(),), generator=gen, device=dev)
            kept = keep_below[words] >= draws
            w, s = words[kept], sent[kept]
            n = w.numel()
            for lo in range(0, n, block_words):
                hi = min(n, lo + block_words)
                if cfg.decay_by == "words":
                    done = epoch * words.numel() + lo * words.numel() / max(n, 1)
                else:  # the sentence the block starts in, on the same scale
                    done = epoch * words.numel() + int(s[lo]) * words.numel() / lengths.numel()
                alpha = cfg.alpha - (cfg.alpha - cfg.min_alpha) * done / total
                centre, ctx = _windows(n, lo, hi, s, cfg.window, gen)
                x = torch.randint(0, int(cum[-1]), (hi - lo, cfg.negative), generator=gen,
                                  device=dev)  # fmt: skip
                noise = torch.searchsorted(cum, x, right=True)  # each centre's noise words
                if cfg.sg:
                    inputs, own = syn0[w[ctx]], w[centre]
                    d_in = _step(syn0, syn1neg, inputs, own, noise[centre - lo], alpha)
                    _add_rows(syn0, w[ctx], d_in)
                else:
                    _cbow(syn0, syn1neg, w, lo, hi, centre, ctx, noise, alpha, cfg.cbow_mean)
                advance(1)
    return Vectors(vocab.words, syn0.cpu().numpy(), counts=vocab.counts)


def _cbow(syn0: Any, syn1neg: Any, w: Any, lo: int, hi: int, centre: Any, ctx: Any, noise: Any,
          alpha: float, mean: bool) -> None:  # fmt: skip
    """CBOW over the centres lo..hi-1: each bag of context rows predicts its centre."""
    slot = centre - lo
    count = torch.bincount(slot, minlength=hi - lo).to(syn0.dtype)
    bags = torch.zeros(hi - lo, syn0.shape[1], device=syn0.device)
    bags.index_add_(0, slot, syn0[w[ctx]])
    has = count > 0
    if mean:
        bags[has] /= count[has, None]
    rows = torch.nonzero(has).squeeze(1)
    d_in = _step(syn0, syn1neg, bags[rows], w[lo + rows], noise[rows], alpha)
    full = torch.zeros_like(bags)
    full[rows] = d_in if mean else d_in / count[rows, None]
    _add_rows(syn0, w[ctx], full[slot])
