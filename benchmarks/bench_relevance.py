"""Ranking quality on CSFCube dev (expert relevance judgements), through `similar --among`.

    python benchmarks/bench_relevance.py

Imports the CSFCube corpus into a fresh library, then for each of the 24 query-facet pairs ranks the
judged candidates with layerwise's default ranker (the same function `layerwise similar REF --among FILE`
calls) and, in the same run, with BM25 and with arxiv-sanity's tf-idf + linear SVM (query as the only
positive, the whole library as negatives). Prints MAP and NDCG%20 (x100) and the time per query.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import relevance  # noqa: E402
from table import print_table  # noqa: E402


def main() -> None:
    from layerwise.library import Library
    from layerwise.rank.similar import similar
    from layerwise.represent import index as index_module
    from layerwise.represent.lexical import TOKEN_PATTERN

    papers, qrels = relevance.load()
    with tempfile.TemporaryDirectory() as home:
        library = Library(Path(home))
        corpus = relevance.CSFCUBE / "corpus.jsonl.gz"
        library.import_file(str(corpus), source="csfcube", mapping={"id": "paper_id", "title": "title", "text": "abstract"})
        start = time.perf_counter()
        index_module.load_index(library)
        build = time.perf_counter() - start
        timings: list[float] = []

        def default(query: str, candidates: list[str]) -> list[str]:
            t = time.perf_counter()
            ranked = [(r.item_id, r.score) for r in similar(library, f"csfcube:{query}", among=[f"csfcube:{c}" for c in candidates], limit=None).results]
            timings.append(time.perf_counter() - t)
            # papers the import recognised as one work (the corpus has a few duplicates) share a place
            by_id: dict[int, list[str]] = {}
            for c in candidates:
                by_id.setdefault(library.resolve(f"csfcube:{c}"), []).append(c)
            ranked_ids = [item_id for item_id, _ in ranked]
            return [c for item_id in ranked_ids for c in by_id[item_id]] + \
                [c for item_id, cs in by_id.items() if item_id not in ranked_ids for c in cs]  # the query's own twin last

        ids = sorted(papers)
        position = {p: i for i, p in enumerate(ids)}
        texts = [index_module.item_text(papers[p]["title"], papers[p]["abstract"]) for p in ids]
        from scipy.sparse import csr_matrix
        from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

        counts = CountVectorizer(token_pattern=TOKEN_PATTERN, stop_words="english", dtype=np.float32).fit_transform(texts).tocsr()
        n = counts.shape[0]
        df = np.asarray((counts > 0).sum(0)).ravel()
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        lengths = np.asarray(counts.sum(1)).ravel()
        norm = 1.2 * (0.25 + 0.75 * lengths / lengths.mean())
        coo = counts.tocoo()
        bm25 = csr_matrix((coo.data * 2.2 / (coo.data + norm[coo.row]), (coo.row, coo.col)), shape=counts.shape)
        query_terms = (counts > 0).astype(np.float32).multiply(idf).tocsr()

        def bm25_rank(query: str, candidates: list[str]) -> list[str]:
            scores = (bm25[[position[c] for c in candidates]] @ query_terms[position[query]].T).toarray().ravel()
            return [c for _, c in sorted(zip(-scores, candidates))]

        tfidf = TfidfVectorizer(token_pattern=TOKEN_PATTERN, stop_words="english", sublinear_tf=True, ngram_range=(1, 2),
                                max_df=0.9, dtype=np.float32).fit_transform(texts).tocsr()
        svm_timings: list[float] = []

        def svm_rank(query: str, candidates: list[str]) -> list[str]:
            from sklearn import svm

            t = time.perf_counter()
            y = np.zeros(n)
            y[position[query]] = 1
            clf = svm.LinearSVC(class_weight="balanced", max_iter=10000, tol=1e-6, C=0.1)
            clf.fit(tfidf, y)
            scores = clf.decision_function(tfidf[[position[c] for c in candidates]])
            svm_timings.append(time.perf_counter() - t)
            return [c for _, c in sorted(zip(-scores, candidates))]

        rows = []
        for name, ranker in (("layerwise default (tf-idf + static embeddings, feedback)", default),
                             ("baseline: BM25 (k1 1.2, b 0.75)", bm25_rank),
                             ("baseline: tf-idf + linear SVM (arxiv-sanity)", svm_rank)):
            map_score, ndcg = relevance.evaluate(ranker, qrels)
            rows.append((name, map_score, ndcg))
        # the same ranker with the embeddings rounded to float16, as a shared library keeps them in PostgreSQL
        loaded = index_module.load_index(library)
        loaded.dense = np.asarray(loaded.dense, dtype=np.float16).astype(np.float32)
        map_score, ndcg = relevance.evaluate(default, qrels)
        rows.insert(1, ("layerwise default, embeddings kept as float16", map_score, ndcg))
        library.close()
    print(f"\nCSFCube dev: {len(qrels)} query-facet pairs, {len(papers):,} papers; index built in {build:.1f} s\n")
    print_table(["ranker", "MAP", "NDCG%20"], [(name, f"{m:.1f}", f"{n:.1f}") for name, m, n in rows])
    print(f"\nper query: layerwise similar --among {1000 * np.median(timings):.0f} ms median; "
          f"arxiv-sanity SVM {1000 * np.median(svm_timings):.0f} ms median")


if __name__ == "__main__":
    main()
