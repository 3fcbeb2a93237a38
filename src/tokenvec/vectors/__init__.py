"""Vectors = a vocabulary over a storage: keys, fastText subwords or a tokenizer over dense,
float16, int8, PQ or RQ rows; the queries written once against them (similarity, analogies,
ANN, alignment, evaluation, text pooling) and the one loader that opens every kind."""

from tokenvec.vectors.base import Vectors

__all__ = ["Vectors"]
