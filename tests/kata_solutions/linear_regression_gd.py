import numpy as np


def fit(X, y, lr=0.1, epochs=2000):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(epochs):
        error = X @ w + b - y
        w -= lr * 2 * X.T @ error / len(y)
        b -= lr * 2 * error.mean()
    return w, b
