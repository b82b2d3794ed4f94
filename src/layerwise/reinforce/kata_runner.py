"""The kata checker, in a process of its own: it compares the user's code with a reference on generated inputs
and writes the verdict ({"ok", "cases", "message"}) to its stdout. The user's code runs in yet another
process (kata_host.py) and is reached through `Remote` objects, so it can answer questions but never write the
verdict. The first failing case is reported with its input."""

from __future__ import annotations

import errno
import json
import math
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from layerwise.reinforce.kata_remote import Host, HostGone, Remote


class Failure(Exception):
    """The first case where the user's code and the reference disagree."""


def _close(got: Any, want: Any, what: str, atol: float = 1e-6) -> None:
    got_array, want_array = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got_array.shape != want_array.shape:
        raise Failure(f"{what}: shape {got_array.shape}, expected {want_array.shape}")
    if not np.allclose(got_array, want_array, atol=atol, rtol=1e-5):
        worst = np.unravel_index(np.argmax(np.abs(got_array - want_array)), got_array.shape)
        raise Failure(f"{what}: at {tuple(int(i) for i in worst)} got {got_array[worst]:.6g}, expected {want_array[worst]:.6g}")


def _words(rng: np.random.Generator, n: int, vocab: int = 12) -> list[str]:
    return [f"w{int(i)}" for i in rng.integers(0, vocab, size=n)]


def one_hot(m: Remote, rng: np.random.Generator) -> int:
    for case in range(30):
        n, k = int(rng.integers(1, 20)), int(rng.integers(1, 8))
        labels = [int(x) for x in rng.integers(0, k, size=n)]
        _close(m.one_hot(labels, k), np.eye(k)[labels], f"case {case}: one_hot({labels}, {k})")
    try:
        m.one_hot([0, 3], 3)
    except ValueError:
        return 31
    raise Failure("one_hot([0, 3], 3) should raise ValueError: 3 is not a class of 3")


def tf_idf(m: Remote, rng: np.random.Generator) -> int:
    from sklearn.feature_extraction.text import TfidfVectorizer

    for case in range(20):
        docs = [_words(rng, int(rng.integers(1, 15))) for _ in range(int(rng.integers(2, 8)))]
        reference = TfidfVectorizer(analyzer=lambda d: d)
        want = reference.fit_transform(docs).toarray()
        vocabulary, matrix = m.tfidf(docs)
        if list(vocabulary) != sorted(reference.vocabulary_):
            raise Failure(f"case {case}: vocabulary {list(vocabulary)[:8]}..., expected {sorted(reference.vocabulary_)[:8]}...")
        _close(matrix, want, f"case {case}: tfidf({docs})")
    return 20


def jaccard(m: Remote, rng: np.random.Generator) -> int:
    cases = [(set(), set()), ({1}, {1}), ({1, 2}, {3})]
    cases += [(set(rng.integers(0, 20, size=int(rng.integers(0, 12))).tolist()),
               set(rng.integers(0, 20, size=int(rng.integers(0, 12))).tolist())) for _ in range(40)]
    for a, b in cases:
        want = len(a & b) / len(a | b) if a | b else 0.0
        _close(m.jaccard(a, b), want, f"jaccard({a}, {b})")
    return len(cases)


def minhash(m: Remote, rng: np.random.Generator) -> int:
    errors = []
    for case in range(30):
        a = set(_words(rng, 60, 120))
        b = set(list(a)[: int(rng.integers(5, len(a)))]) | set(_words(rng, 30, 120))
        sig_a, sig_b = m.signature(a, 256, 7), m.signature(b, 256, 7)
        if len(sig_a) != 256:
            raise Failure(f"signature(..., num_perm=256) has {len(sig_a)} values")
        if m.signature(a, 256, 7) != sig_a:
            raise Failure("the same tokens and seed gave different signatures")
        true = len(a & b) / len(a | b)
        errors.append(abs(m.estimate(sig_a, sig_b) - true))
        if errors[-1] > 0.2:
            raise Failure(f"case {case}: estimate {m.estimate(sig_a, sig_b):.3f} for a true Jaccard of {true:.3f}")
    if np.mean(errors) > 0.05:
        raise Failure(f"estimates are off by {np.mean(errors):.3f} on average (256 permutations should give < 0.05)")
    return 30


def linear_regression_gd(m: Remote, rng: np.random.Generator) -> int:
    for case in range(8):
        n, d = int(rng.integers(30, 80)), int(rng.integers(1, 5))
        X = rng.normal(size=(n, d))
        y = X @ rng.normal(size=d) + rng.normal() + 0.1 * rng.normal(size=n)
        A = np.hstack([X, np.ones((n, 1))])
        solution = np.linalg.lstsq(A, y, rcond=None)[0]
        w, b = m.fit(X, y)
        _close(np.append(np.ravel(w), b), solution, f"case {case}: (w, b) against least squares", atol=1e-3)
    return 8


def softmax_cross_entropy(m: Remote, rng: np.random.Generator) -> int:
    from scipy.special import log_softmax
    from scipy.special import softmax as reference

    for case in range(20):
        z = rng.normal(scale=5, size=(int(rng.integers(1, 6)), int(rng.integers(2, 7))))
        if case % 5 == 0:
            z = z + 1000  # must not overflow
        y = rng.integers(0, z.shape[1], size=z.shape[0])
        _close(m.softmax(z), reference(z, axis=1), f"case {case}: softmax")
        rows = np.arange(z.shape[0])
        want = -log_softmax(z, axis=1)[rows, y].mean()
        _close(m.cross_entropy(z, y), want, f"case {case}: cross_entropy")
        g = reference(z, axis=1)
        g[rows, y] -= 1
        _close(m.grad(z, y), g / z.shape[0], f"case {case}: grad")
    return 20


def k_means(m: Remote, rng: np.random.Generator) -> int:
    from sklearn.cluster import KMeans

    for case in range(6):
        k = int(rng.integers(2, 5))
        centres = rng.normal(scale=10, size=(k, 2))
        X = np.vstack([c + rng.normal(size=(40, 2)) for c in centres])
        centroids, labels = m.kmeans(X, k, seed=case)
        centroids, labels = np.asarray(centroids, dtype=float), np.asarray(labels)
        nearest = np.argmin(((X[:, None, :] - centroids[None]) ** 2).sum(-1), axis=1)
        if not np.array_equal(nearest, labels):
            raise Failure(f"case {case}: point {int(np.argmax(nearest != labels))} is labelled with a centroid that is not its nearest")
        inertia = ((X - centroids[labels]) ** 2).sum()
        best = KMeans(k, n_init=10, random_state=0).fit(X).inertia_
        if inertia > 1.05 * best:
            raise Failure(f"case {case}: inertia {inertia:.1f}, scikit-learn finds {best:.1f} (k={k})")
    return 6


def bm25(m: Remote, rng: np.random.Generator) -> int:
    for case in range(20):
        docs = [_words(rng, int(rng.integers(1, 20))) for _ in range(int(rng.integers(2, 10)))]
        query = _words(rng, int(rng.integers(1, 4)))
        n, avg = len(docs), float(np.mean([len(d) for d in docs]))
        want = []
        for d in docs:
            score = 0.0
            for term in query:
                df = sum(term in x for x in docs)
                tf = d.count(term)
                idf = math.log((n - df + 0.5) / (df + 0.5) + 1)
                score += idf * tf * 2.5 / (tf + 1.5 * (1 - 0.75 + 0.75 * len(d) / avg))
            want.append(score)
        _close(m.bm25(query, docs), want, f"case {case}: bm25({query}, {len(docs)} docs)")
    return 20


def cosine_top_k(m: Remote, rng: np.random.Generator) -> int:
    for case in range(20):
        matrix = rng.normal(size=(int(rng.integers(5, 400)), 16))
        query = rng.normal(size=16)
        k = int(rng.integers(1, min(10, len(matrix)) + 1))
        sims = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
        want = list(np.argsort(-sims)[:k])
        got = [int(i) for i in m.top_k(query, matrix, k)]
        if got != [int(i) for i in want]:
            raise Failure(f"case {case}: top_k(k={k}) gave {got}, expected {[int(i) for i in want]}")
    return 20


def tiny_autograd(m: Remote, rng: np.random.Generator) -> int:
    expressions: list[tuple[str, Callable[[Any, Any], Any]]] = [
        ("a * b + a", lambda a, b: a * b + a),
        ("(a + b) * (a - b)", lambda a, b: (a + b) * (a - b)),
        ("(a * b).tanh() + b ** 2", lambda a, b: (a * b).tanh() + b ** 2),
        ("(a - b).relu() * a + (-b)", lambda a, b: (a - b).relu() * a + (-b)),
        ("a * a * a + b * 3", lambda a, b: a * a * a + b * 3),
    ]
    for text, f in expressions:
        for _ in range(5):
            x, y = float(rng.normal()), float(rng.normal())
            a, b = m.Value(x), m.Value(y)
            out = f(a, b)
            out.backward()
            h = 1e-6

            def value(p: float, q: float) -> float:
                return float(f(m.Value(p), m.Value(q)).data)  # noqa: B023 (used within this iteration)

            for name, got, want in (("a", a.grad, (value(x + h, y) - value(x - h, y)) / (2 * h)),
                                    ("b", b.grad, (value(x, y + h) - value(x, y - h)) / (2 * h))):
                if not math.isclose(got, want, rel_tol=1e-4, abs_tol=1e-5):
                    raise Failure(f"{text} at a={x:.3f}, b={y:.3f}: d/d{name} is {got:.6g}, expected {want:.6g}")
    return 25


CHECKS: dict[str, Callable[[Remote, np.random.Generator], int]] = {
    "one-hot": one_hot, "tf-idf": tf_idf, "jaccard": jaccard, "minhash": minhash,
    "linear-regression-gd": linear_regression_gd, "softmax-cross-entropy": softmax_cross_entropy, "k-means": k_means,
    "bm25": bm25, "cosine-top-k": cosine_top_k, "tiny-autograd": tiny_autograd,
}


def _message(exc: BaseException) -> str:
    where = getattr(exc, "remote_where", None)
    kind = getattr(exc, "remote_type", type(exc).__name__)
    text = str(exc).removeprefix(f"{kind}: ")
    if where is None:
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        where = [Path(frame.filename).name, frame.lineno]
    return f"{kind}: {text} (in {where[0]}, line {where[1]})"


def run(name: str, path: str, output: str) -> dict[str, Any]:
    """The verdict on the user's file, computed here: the user's code runs in another process."""
    host = Host(path, output)
    try:
        first = host.receive()
        if "error" in first:
            error = first["error"]
            line = f" (line {error['where'][1]})" if error.get("where") else ""
            return {"ok": False, "message": f"your file does not import: {error['type']}: {error['message']}{line}"}
        try:
            cases = CHECKS[name](Remote(host, None), np.random.default_rng(20261123))
            return {"ok": True, "cases": cases, "message": f"all {cases} cases pass"}
        except Failure as exc:
            return {"ok": False, "message": str(exc)}
        except NotImplementedError:
            return {"ok": False, "message": "not implemented yet (the starter still raises NotImplementedError)"}
        except HostGone as exc:
            return {"ok": False, "message": str(exc)}
        except Exception as exc:
            if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
                return {"ok": False, "message": "stopped: your code printed or wrote more than the 4 MB output cap"}
            return {"ok": False, "message": _message(exc)}
    finally:
        host.close()


def main() -> None:
    """The checker process: the token comes on stdin (which the user's code never sees), the verdict leaves on
    stdout, with the token, so no other process can pass one off as the checker's."""
    name, path, output = sys.argv[1:4]
    token = sys.stdin.readline().strip()
    verdict = run(name, path, output)
    sys.stdout.write(json.dumps({"token": token, **verdict}) + "\n")


if __name__ == "__main__":
    main()
