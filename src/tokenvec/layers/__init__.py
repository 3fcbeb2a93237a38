"""The numpy layers: the embedding lookup, bags, positional embeddings and their optimiser."""
