"""The numbers word2vec's arithmetic is built on, shared by the compiled kernel and its
plain-Python reference (and importable without numba)."""

from __future__ import annotations

MAX_EXP = 6.0  # sigmoid(x) is taken as 0 or 1 beyond +-MAX_EXP
EXP_TABLE_SIZE = 1000  # points of the sigmoid and log-sigmoid tables on [-MAX_EXP, MAX_EXP)
LCG_MUL = 25214903917  # word2vec's linear congruential generator: r = r * LCG_MUL + LCG_ADD
LCG_ADD = 11
MASK48 = (1 << 48) - 1  # the generator keeps 48 bits
