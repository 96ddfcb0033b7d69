"""FAISS inner-product search over normalised chunk vectors (row position = chunk id)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class DenseIndex:
    """Exact inner-product search; vectors are L2-normalised so scores are cosines."""

    def __init__(self, index):
        self._index = index

    @classmethod
    def build(cls, vectors: np.ndarray) -> DenseIndex:
        """Index an (n, d) float32 array of normalised vectors."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        index = faiss.IndexFlatIP(vectors.shape[1])
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def size(self) -> int:
        """Number of indexed rows."""
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) for one query vector, best first."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, ids = self._index.search(
            np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k
        )
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def vector(self, row: int) -> np.ndarray:
        """The stored vector of one row."""
        return self._index.reconstruct(row)

    def vectors(self) -> np.ndarray:
        """All stored vectors, shape (n, d), for reuse in an incremental rebuild."""
        if self.size == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, self.size)

    def save(self, path: Path) -> None:
        """Write the index to path."""
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        """Read an index written by save."""
        import faiss

        return cls(faiss.read_index(str(path)))
