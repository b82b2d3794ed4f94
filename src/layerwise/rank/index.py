"""Representations of every item, computed once and kept in the home (`index/`) until the library changes.

- tf-idf (sublinear tf, idf from the whole library) as a sparse matrix;
- dense embeddings from the configured static model, float16.
Both are rebuilt only when the library's fingerprint (item count, last change, model) differs, and the
files are written to a temporary folder and swapped in, so a crash never leaves a half-written index.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from layerwise.library import Library

VERSION = 1


@dataclass
class Index:
    ids: np.ndarray  # item ids, row order of the matrices
    tfidf: Any  # scipy CSR, L2-normalised rows
    dense: np.ndarray  # float32, L2-normalised rows
    vocabulary: dict[str, int]
    idf: np.ndarray

    def rows(self, item_ids: list[int]) -> np.ndarray:
        order = np.argsort(self.ids)
        found = np.searchsorted(self.ids, item_ids, sorter=order)
        return order[found]

    def vectorize(self, texts: list[str]) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        from layerwise.rank.lexical import TOKEN_PATTERN

        vectorizer = TfidfVectorizer(token_pattern=TOKEN_PATTERN, stop_words="english", sublinear_tf=True,
                                     vocabulary=self.vocabulary, dtype=np.float32)
        vectorizer.idf_ = self.idf
        return vectorizer.transform(texts)


def item_text(title: str, abstract: str | None) -> str:
    return f"{title}. {abstract or ''}".strip()


def _fingerprint(library: Library, model_name: str) -> dict[str, Any]:
    from sqlalchemy import text

    with library.store.begin() as conn:
        row = conn.execute(text("SELECT count(*), coalesce(max(updated_at), ''), coalesce(max(id), 0) FROM items")).one()
    return {"version": VERSION, "items": row[0], "changed": row[1], "max_id": row[2], "model": model_name}


def load_index(library: Library, on_progress: Any = None) -> Index:
    from scipy import sparse

    from layerwise.rank.dense import encoder_for

    config = library.home.config()
    model_key = str(config.get("embedding_model") or "default")
    folder = library.home.path / "index"
    wanted = _fingerprint(library, model_key)
    meta_path = folder / "meta.json"
    if meta_path.exists():
        try:
            if json.loads(meta_path.read_text()) == wanted:
                return Index(ids=np.load(folder / "ids.npy"), tfidf=sparse.load_npz(folder / "tfidf.npz"),
                             dense=np.load(folder / "dense.npy").astype(np.float32),
                             vocabulary=json.loads((folder / "vocabulary.json").read_text()),
                             idf=np.load(folder / "idf.npy"))
        except (OSError, ValueError):
            pass  # a damaged cache is rebuilt
    return _build(library, encoder_for(config), wanted, folder)


def _build(library: Library, encoder: Any, meta: dict[str, Any], folder: Path) -> Index:
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sqlalchemy import text

    from layerwise.rank.lexical import TOKEN_PATTERN

    with library.store.begin() as conn:
        rows = conn.execute(text("SELECT id, title, abstract FROM items ORDER BY id")).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    texts = [item_text(r[1], r[2]) for r in rows]
    if not texts:
        texts, ids = ["empty"], np.array([0], dtype=np.int64)
    vectorizer = TfidfVectorizer(token_pattern=TOKEN_PATTERN, stop_words="english", sublinear_tf=True,
                                 min_df=1, dtype=np.float32)
    tfidf = vectorizer.fit_transform(texts).tocsr()
    dense = encoder.encode(texts)
    index = Index(ids=ids, tfidf=tfidf, dense=dense, vocabulary={k: int(v) for k, v in vectorizer.vocabulary_.items()},
                  idf=vectorizer.idf_.astype(np.float64))
    tmp = folder.with_name("index.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "ids.npy", ids)
    sparse.save_npz(tmp / "tfidf.npz", tfidf)
    np.save(tmp / "dense.npy", dense.astype(np.float16))
    (tmp / "vocabulary.json").write_text(json.dumps(index.vocabulary))
    np.save(tmp / "idf.npy", index.idf)
    (tmp / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)
    return index
