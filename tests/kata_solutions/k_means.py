import numpy as np


def kmeans(X, k, seed=0):
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(10):
        centroids = X[rng.choice(len(X), k, replace=False)]
        for _ in range(100):
            labels = np.argmin(((X[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
            new = np.array([X[labels == j].mean(0) if (labels == j).any() else centroids[j] for j in range(k)])
            if np.allclose(new, centroids):
                break
            centroids = new
        labels = np.argmin(((X[:, None] - centroids[None]) ** 2).sum(-1), axis=1)
        inertia = ((X - centroids[labels]) ** 2).sum()
        if best is None or inertia < best[0]:
            best = (inertia, centroids, labels)
    return best[1], best[2]
