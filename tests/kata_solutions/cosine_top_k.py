import numpy as np


def top_k(query, matrix, k):
    sims = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    part = np.argpartition(-sims, k - 1)[:k]
    return list(part[np.argsort(-sims[part])])
