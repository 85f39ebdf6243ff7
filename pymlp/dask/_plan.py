"""Which rows of each partition every update of an epoch reads.

An epoch of mini-batches of B rows over partitions of n_p rows (n in all)
makes ceil(n / B) updates, the last one smaller, as MLP.fit does. Update k
takes counts[k, p] rows from partition p, in proportion to n_p, and every
row once per epoch: partition p's rows are read in the order of a
permutation of its own (drawn on its worker, seeded from the fit's seed,
the epoch and p) or in order, consecutive counts taking consecutive runs
of that order. The driver holds counts only: O(updates x partitions)
numbers, never a row.

- shuffle: the counts of each update are a multivariate hypergeometric
  draw (B rows without replacement from what is left of each partition),
  which is how a uniformly random permutation of all n rows spreads over
  the partitions.
- in order: the counts are a deterministic merge, row i of partition p
  standing at position (i + 1/2) / n_p of the epoch; each update takes the
  B rows that come next, so that after T rows each partition has given
  its share T n_p / n within 1/2 + P n_p / (2 n) rows (P partitions).
"""
from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def epoch_counts(sizes: NDArray[np.int64], batch_size: int, shuffle: bool,
                 rng: np.random.Generator) -> NDArray[np.int64]:
    """counts (updates, partitions): rows of each partition per update."""
    sizes = np.asarray(sizes, dtype=np.int64)
    n = int(sizes.sum())
    n_updates = -(-n // batch_size)
    counts = np.empty((n_updates, sizes.shape[0]), dtype=np.int64)
    left = sizes.copy()
    for k in range(n_updates):
        rows = min(batch_size, int(left.sum()))
        if shuffle:
            counts[k] = rng.multivariate_hypergeometric(left, rows)
        else:
            counts[k] = _next_in_merge(sizes, sizes - left, rows)
        left -= counts[k]
    return counts


def _next_in_merge(sizes: NDArray[np.int64], taken: NDArray[np.int64],
                   rows: int) -> NDArray[np.int64]:
    """How many of the next `rows` rows of the merge (row i of partition p
    at key (i + 1/2) / n_p, ties to the lower p) come from each partition,
    `taken` rows of each being already read. Only the few rows of each
    partition that can come next are looked at: a window of B rows spans
    about B n_p / n rows of partition p."""
    n_parts = sizes.shape[0]
    n = int(sizes.sum())
    margin = rows + n_parts
    while True:
        window = np.minimum(sizes - taken, -(-margin * sizes // n) + 1)
        labels = np.repeat(np.arange(n_parts), window)
        first = np.repeat(taken - np.cumsum(window) + window, window)
        index = first + np.arange(labels.shape[0])  # row index in its part
        keys = (index + 0.5) / sizes[labels]
        chosen = labels[np.lexsort((labels, keys))[:rows]]
        counts = np.bincount(chosen, minlength=n_parts).astype(np.int64)
        # a partition whose whole window was taken might have had more
        # rows in line: look further
        short = (counts == window) & (taken + window < sizes)
        if not short.any():
            return counts
        margin *= 2


def permutation_seed(seed: Any, epoch: int, part: int
                     ) -> np.random.SeedSequence:
    """The seed of partition `part`'s row order in `epoch`."""
    return np.random.SeedSequence([seed, epoch, part])


def counts_rng(seed: Any, epoch: int) -> np.random.Generator:
    """The generator of the counts of `epoch` (shuffle)."""
    return np.random.default_rng(np.random.SeedSequence([seed, epoch]))
