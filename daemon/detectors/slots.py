"""Frame-rate values (picture evidence, embeddings) averaged onto the half-second analysis slots."""

from __future__ import annotations

import numpy as np


def slot_means(times: np.ndarray, values: np.ndarray, start: float, hop: float, slots: int) -> np.ndarray:
    """[count, D] mean of the rows of ``values`` [N, D] whose ``times`` fall in each slot; at least
    ``slots`` slots (more when pictures outlast them). A slot without a sampled picture keeps the
    previous slot's value (pictures come several a second; the first slots take the first picture's)."""
    count = max(slots, int(np.floor((times.max() - start) / hop)) + 1)
    index = np.clip(((times - start) / hop).astype(int), 0, count - 1)
    counts = np.bincount(index, minlength=count)
    sums = np.zeros((count, values.shape[1]))
    np.add.at(sums, index, values)
    out = np.full((count, values.shape[1]), np.nan)
    seen = counts > 0
    out[seen] = sums[seen] / counts[seen, None]
    first = int(np.argmax(seen))
    out[:first] = out[first]
    for j in range(first + 1, count):
        if not seen[j]:
            out[j] = out[j - 1]
    return out
