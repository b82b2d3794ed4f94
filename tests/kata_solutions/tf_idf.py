import numpy as np


def tfidf(docs):
    vocabulary = sorted({t for d in docs for t in d})
    column = {t: i for i, t in enumerate(vocabulary)}
    counts = np.zeros((len(docs), len(vocabulary)))
    for row, doc in enumerate(docs):
        for token in doc:
            counts[row, column[token]] += 1
    df = (counts > 0).sum(axis=0)
    idf = np.log((1 + len(docs)) / (1 + df)) + 1
    weights = counts * idf
    norms = np.linalg.norm(weights, axis=1, keepdims=True)
    return vocabulary, weights / np.where(norms == 0, 1, norms)
