"""Lexical representations: BM25 (Robertson & Zaragoza 2009) and tf-idf, as sparse matrices.

Written as matrix algebra over scikit-learn's tokenizer so one document can be scored against thousands
at once; the formulas are the textbook ones, with the usual k1 = 1.2, b = 0.75.
"""

from __future__ import annotations

import json
import re
from array import array
from collections import defaultdict
from collections.abc import Iterable, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z0-9\-]+\b"
BLOCK_ROWS = 65536  # rows of a fitted matrix weighted at a time


def _counts(texts: Sequence[str], min_df: int = 1) -> tuple[Any, Any]:
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, stop_words="english", min_df=min_df,
                                 dtype=np.float32)
    return vectorizer.fit_transform(texts), vectorizer


class TermCounts:
    """Each text's term counts, numbered by term in order of first appearance, counted into compact arrays as the
    texts stream by: scikit-learn's own fit holds every entry as Python integers, 2.1 GB at a million abstracts;
    these are 8 bytes an entry. Counts made elsewhere (another process) join them with `extend`.

    The terms are scikit-learn's (its token pattern on the lower-cased text, its English stop words left out),
    found a block of texts at a time: every word numbered in one pass, the stop words first (so dropping them
    is a subtraction), then each text's counts from one sort of the block's (text, term) pairs. 20% faster than
    counting each text's words in Python, with the same counts."""

    BLOCK = 4096  # texts counted at a time

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        self.find = re.compile(TOKEN_PATTERN).findall
        self.numbered: defaultdict[str, int] = defaultdict()
        self.numbered.default_factory = self.numbered.__len__  # a new term gets the next number
        for word in sorted(ENGLISH_STOP_WORDS):
            self.numbered[word]
        self.stop_words = len(self.numbered)  # a term's column is its number less this
        self.columns, self.counts, self.indptr = array("i"), array("f"), array("q", [0])

    def count(self, texts: Iterable[str]) -> None:
        stream = iter(texts)
        while block := list(islice(stream, self.BLOCK)):
            self._count(block)

    def _count(self, texts: list[str]) -> None:
        find, words, lengths = self.find, list[str](), array("q")
        for text in texts:
            found = find(text.lower())
            words += found
            lengths.append(len(found))
        numbers = np.fromiter(map(self.numbered.__getitem__, words), dtype=np.int64, count=len(words))
        texts_of = np.repeat(np.arange(len(texts), dtype=np.int64), np.frombuffer(lengths, dtype=np.int64))
        terms = numbers >= self.stop_words
        pairs, counts = np.unique((texts_of[terms] << 32) | (numbers[terms] - self.stop_words), return_counts=True)
        self.columns.frombytes((pairs & 0xFFFFFFFF).astype(np.int32).tobytes())
        self.counts.frombytes(counts.astype(np.float32).tobytes())
        ends = np.searchsorted(pairs >> 32, np.arange(1, len(texts) + 1)) + self.indptr[-1]
        self.indptr.frombytes(ends.astype(np.int64).tobytes())

    def terms(self) -> list[str]:
        return list(self.numbered)[self.stop_words:]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr, columns, counts) of the rows counted so far."""
        return (np.frombuffer(self.indptr, dtype=np.int64), np.frombuffer(self.columns, dtype=np.int32),
                np.frombuffer(self.counts, dtype=np.float32))

    def extend(self, terms: Sequence[str], indptr: np.ndarray, columns: np.ndarray, counts: np.ndarray) -> None:
        """Appends rows another `TermCounts` counted (`terms`: its numbering); the columns are numbered as if
        these had counted every row in order."""
        renumbered = np.fromiter(map(self.numbered.__getitem__, terms), dtype=np.int32, count=len(terms)) - self.stop_words
        base = len(self.columns)
        self.columns.frombytes(renumbered[columns].tobytes())
        self.counts.frombytes(np.asarray(counts, dtype=np.float32).tobytes())
        self.indptr.frombytes((np.asarray(indptr[1:], dtype=np.int64) + base).tobytes())

    def tfidf(self) -> tuple[Any, dict[str, int], np.ndarray]:
        """L2-normalised tf-idf rows (sublinear tf, smoothed idf), their vocabulary and idf."""
        from scipy import sparse

        rows, vocabulary = len(self.indptr) - 1, dict(zip(self.terms(), range(len(self.numbered) - self.stop_words)))
        del self.numbered
        matrix = sparse.csr_matrix((np.frombuffer(self.counts, dtype=np.float32), np.frombuffer(self.columns, dtype=np.int32),
                                    np.frombuffer(self.indptr, dtype=np.int64)), shape=(rows, len(vocabulary)), copy=False)
        matrix.sort_indices()
        df = np.bincount(matrix.indices, minlength=len(vocabulary)).astype(np.float32)
        idf = np.log(np.float32(rows + 1) / (df + 1)) + np.float32(1)  # as scikit-learn smooths it, in float32
        indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
        for start in range(0, rows, BLOCK_ROWS):  # a block of rows at a time: no temporary as large as the matrix
            stop = min(start + BLOCK_ROWS, rows)
            block, lengths = slice(indptr[start], indptr[stop]), np.diff(indptr[start:stop + 1])
            weights = data[block]
            np.log(weights, out=weights)
            weights += 1
            weights *= idf[indices[block]]
            norms = np.zeros(stop - start, dtype=np.float32)
            filled = lengths > 0
            if filled.any():
                norms[filled] = np.sqrt(np.add.reduceat(weights * weights, (indptr[start:stop] - indptr[start])[filled]))
            norms[~filled] = 1
            weights /= np.repeat(norms, lengths)
        return matrix, vocabulary, idf


def fit_tfidf(texts: Iterable[str]) -> tuple[Any, dict[str, int], np.ndarray]:
    """What scikit-learn's TfidfVectorizer fits (sublinear tf, smoothed idf), with its tokenizer, in compact
    arrays (`TermCounts`). Columns are numbered in order of first appearance (any numbering serves: the
    vocabulary says which)."""
    counts = TermCounts()
    counts.count(texts)
    return counts.tfidf()


def bm25_scores(query_text: str, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> np.ndarray:
    """BM25 of each doc for the words of a query document (each distinct query word counted once)."""
    counts, vectorizer = _counts([*docs, query_text])
    counts = counts.tocsr()
    docs_tf, query_tf = counts[:-1], counts[-1]
    n = docs_tf.shape[0]
    df = np.asarray((docs_tf > 0).sum(axis=0)).ravel()
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
    lengths = np.asarray(docs_tf.sum(axis=1)).ravel()
    norm = k1 * (1 - b + b * lengths / max(lengths.mean(), 1e-9))
    tf = docs_tf.tocoo()
    weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row])
    from scipy.sparse import csr_matrix

    bm25 = csr_matrix((weights, (tf.row, tf.col)), shape=docs_tf.shape)
    query_terms = (query_tf > 0).astype(np.float32).multiply(idf).tocsr()
    return np.asarray(bm25 @ query_terms.T.toarray()).ravel()


def tfidf_matrix(texts: Sequence[str]) -> Any:
    """L2-normalised tf-idf rows (sublinear tf), the representation arxiv-sanity ranks with."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(lowercase=True, token_pattern=TOKEN_PATTERN, stop_words="english",
                                 sublinear_tf=True, ngram_range=(1, 2), min_df=1, max_df=0.9, dtype=np.float32)
    return vectorizer.fit_transform(texts)


def tfidf_cosine_scores(query_text: str, docs: Sequence[str]) -> np.ndarray:
    matrix = tfidf_matrix([*docs, query_text])
    return np.asarray((matrix[:-1] @ matrix[-1].T).toarray()).ravel()


def svm_scores(query_text: str, docs: Sequence[str], C: float = 0.01) -> np.ndarray:
    """arxiv-sanity's ranking: a linear SVM trained with the query as the only positive, every candidate as a
    negative, then the candidates ranked by their decision value."""
    from sklearn import svm

    matrix = tfidf_matrix([*docs, query_text])
    y = np.zeros(matrix.shape[0])
    y[-1] = 1
    clf = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=C)
    clf.fit(matrix, y)
    return clf.decision_function(matrix[:-1])


def write_vocabulary(path: Path, vocabulary: dict[str, int]) -> None:
    """The terms one per line, in column order: a tenth of the time of writing the dict as JSON (0.66 s at 170k
    items, in the build's last, one-core step) and half the time to read. A term never holds white space."""
    terms = list(vocabulary)
    if any(column != n for n, column in enumerate(vocabulary.values())):  # not in column order: placed
        for term, column in vocabulary.items():
            terms[column] = term
    path.write_text("\n".join(terms), encoding="utf-8", newline="")


def read_vocabulary(path: Path) -> dict[str, int]:
    """Term -> column, from `write_vocabulary`'s file, or the JSON object an index written before it holds."""
    if path.suffix == ".json":
        return dict(json.loads(path.read_text(encoding="utf-8")))
    terms = path.read_text(encoding="utf-8").split("\n")
    return dict(zip(terms, range(len(terms)))) if terms != [""] else {}
