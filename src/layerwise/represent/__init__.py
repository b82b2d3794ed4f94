"""Representations of items, below both the concept map and the ranking: tf-idf and BM25 (`lexical`),
embeddings from an offline model (`dense`), the cached index of every item (`index`) and z-scores (`scores`)."""
