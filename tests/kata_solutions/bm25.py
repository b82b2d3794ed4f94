import math
from collections import Counter


def bm25(query, docs, k1=1.5, b=0.75):
    n = len(docs)
    lengths = [len(d) for d in docs]
    avg = sum(lengths) / n
    df = Counter(term for d in docs for term in set(d))
    counts = [Counter(d) for d in docs]
    idf = {t: math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in query}
    return [sum(idf[t] * c[t] * (k1 + 1) / (c[t] + k1 * (1 - b + b * length / avg)) for t in query)
            for c, length in zip(counts, lengths)]
