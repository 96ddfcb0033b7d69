"""FAISS inner-product search over normalised chunk vectors (row position = chunk id).

Up to ANN_THRESHOLD rows the search is exact (IndexFlatIP). Above it, an inverted-file index (IVF)
answers instead: measured in bench/bench_scale.py, exact search at 100k rows costs about 40 ms a
query on two cores and grows linearly, while IVF with nprobe chosen for recall@10 ≥ 0.95 stays
near a millisecond. The threshold is where one exact scan stops fitting the CPU's caches: a
question's scan (numpy, both ends of the ranking in one pass) took 0.4 ms at 10k rows, 1.7 ms at
20k, 3.6 ms at 30k and 6.8 ms at 50k, against 0.3–0.8 ms for IVF at those sizes. The IVF index stores float16 codes (half the memory of float32; scores
differ by about 1e-3 and recall against exact search is measured the same way).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

ANN_THRESHOLD = 20_000
# Word vectors (a question's neighbour words) switch to IVF sooner: a question searches them for
# several words at once, and an exact pass over 11k words cost 3-4 ms against 0.7 ms for IVF.
WORD_ANN_THRESHOLD = 5_000
NPROBE = 64  # the least number of lists searched; more for larger indexes (nprobe_for)
OPPOSITE_NPROBE = 16  # lists probed for the least-similar row (0: as many as for the nearest);
# at 10^5 rows top-5 agreement with an exhaustive scan was the same at 16 and 32 lists, 0.003 lower at 8


def ivf_lists(n: int) -> int:
    """Number of inverted lists for n rows: about 4·√n, at most n/39 (FAISS's k-means wants 39
    training points a list and warns on stderr otherwise)."""
    return max(1, min(int(4 * np.sqrt(n)), n // 39))


def nprobe_for(nlist: int) -> int:
    """Lists to search: 64, or 1/32 of them when there are more (recall@10 ≥ 0.95 measured)."""
    return max(NPROBE, nlist // 32)


@contextlib.contextmanager
def _one_thread():
    """Run a single query's search on one OpenMP thread.

    Measured in bench/bench_library.py: with numpy's BLAS threads just used by the same question,
    FAISS's thread team contends with them and a 10^4-row search takes ~9 ms instead of ~1 ms.
    """
    import faiss

    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


class DenseIndex:
    """Inner-product search; vectors are L2-normalised so scores are cosines."""

    def __init__(self, index):
        self._index = index
        if hasattr(index, "nprobe"):
            index.nprobe = nprobe_for(index.nlist)

    @classmethod
    def build(cls, vectors: np.ndarray, ann_threshold: int = ANN_THRESHOLD) -> DenseIndex:
        """Index an (n, d) float32 array of normalised vectors: exact, or IVF above the threshold."""
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, d = vectors.shape
        if n < ann_threshold:
            index = faiss.IndexFlatIP(d)
        else:
            nlist = ivf_lists(n)
            index = faiss.IndexIVFScalarQuantizer(
                faiss.IndexFlatIP(d),
                d,
                nlist,
                faiss.ScalarQuantizer.QT_fp16,
                faiss.METRIC_INNER_PRODUCT,
            )
            sample = np.random.default_rng(0).choice(n, min(n, 50 * nlist), replace=False)
            index.train(vectors[np.sort(sample)])
            index.set_direct_map_type(faiss.DirectMap.Array)  # rows can be read back
        if n:
            index.add(vectors)
        return cls(index)

    @property
    def kind(self) -> str:
        """'exact' or 'ivf'."""
        return "ivf" if hasattr(self._index, "nprobe") else "exact"

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
        with _one_thread():
            scores, ids = self._index.search(
                np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k
            )
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def nearest_and_least(
        self, query: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray, float | None]:
        """Top-k (scores, row ids), best first, and the least score of any row (None when empty).

        Exact: one pass over the stored vectors gives both ends. IVF: the least is found by searching
        the query's opposite, which probes the lists where the least-similar rows lie.
        """
        if not self.size or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64), None
        flat = self._flat()
        if flat is None:
            import faiss

            scores, ids = self.search(query, k)
            params = faiss.SearchParametersIVF(nprobe=OPPOSITE_NPROBE or self._index.nprobe)
            opposite = -np.asarray(query, dtype=np.float32).reshape(1, -1)
            with _one_thread():
                farthest = self._index.search(opposite, 1, params=params)[0]
            return scores, ids, -float(farthest[0][0])
        cos = flat @ np.asarray(query, dtype=np.float32)
        k = min(k, len(cos))
        top = np.argpartition(-cos, k - 1)[:k]
        top = top[np.lexsort((top, -cos[top]))]  # best first, ties to the lower row
        return cos[top], top.astype(np.int64), float(cos.min())

    def _flat(self) -> np.ndarray | None:
        """The stored vectors of an exact index as an (n, d) array without a copy; None for IVF."""
        if hasattr(self._index, "nprobe") or not hasattr(self._index, "get_xb"):
            return None
        import faiss

        n, d = self.size, self.dim
        return faiss.rev_swig_ptr(self._index.get_xb(), n * d).reshape(n, d)

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) for each of an (m, d) array of queries: two (m, k) arrays, best
        first."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        k = min(k, self.size)
        if k <= 0 or not len(queries):
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        # FAISS on one thread, exact or IVF: a numpy product here ran on BLAS threads that
        # contend with the encoder's (1 ms alone, 2-7 ms right after a question's encoding).
        with _one_thread():
            scores, ids = self._index.search(queries, k)
        return scores, ids

    def search_within(
        self, query: np.ndarray, k: int, ids: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) among the given rows only (a document filter)."""
        import faiss

        k = min(k, self.size, len(ids))
        if k <= 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        selector = faiss.IDSelectorBatch(np.ascontiguousarray(ids, dtype=np.int64))
        if hasattr(self._index, "nprobe"):
            params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
        else:
            params = faiss.SearchParameters(sel=selector)
        with _one_thread():
            scores, found = self._index.search(
                np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k, params=params
            )
        keep = found[0] >= 0
        return scores[0][keep], found[0][keep]

    def vector(self, row: int) -> np.ndarray:
        """The stored vector of one row."""
        return self._index.reconstruct(int(row))

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The stored vectors of the given rows, shape (len(ids), d)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return np.zeros((0, self.dim), dtype=np.float32)
        flat = self._flat()
        return flat[ids] if flat is not None else self._index.reconstruct_batch(ids)

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
