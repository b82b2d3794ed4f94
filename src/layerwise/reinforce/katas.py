"""Katas: small from-scratch implementations that prove a concept was understood. Each has a statement, a
starter file and a checker that compares the user's code with a reference (NumPy, SciPy, scikit-learn, or
the formula itself) on generated inputs and reports the first failing case. The checker runs the user's file
in a separate process (kata_runner) with a timeout and an output cap; passing moves the concept to *built*.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from layerwise.concepts.progress import layers, mark
from layerwise.errors import NotFound
from layerwise.vocab import at_least

if TYPE_CHECKING:
    from layerwise.library import Library

TIMEOUT = 30.0  # seconds for a whole check


@dataclass(frozen=True)
class Kata:
    name: str
    concept: str
    title: str
    statement: str
    starter: str


def _starter(signature: str, doc: str) -> str:
    return f'"""{doc}"""\n\nimport numpy as np\n\n\n{signature}\n    raise NotImplementedError\n'


KATAS = {k.name: k for k in [
    Kata("one-hot", "one-hot-encoding", "One-hot encoding",
         "one_hot(labels, num_classes) returns a float array of shape (len(labels), num_classes) with a 1 in each "
         "row at the label's column. Raise ValueError for a label outside 0..num_classes-1.",
         _starter("def one_hot(labels: list[int], num_classes: int) -> np.ndarray:", "One-hot encoding from scratch.")),
    Kata("tf-idf", "tf-idf", "tf-idf",
         "tfidf(docs) takes documents as lists of tokens and returns (vocabulary, matrix): the sorted vocabulary and a "
         "(documents x terms) array with raw counts times smooth idf = ln((1 + n) / (1 + df)) + 1, each row L2-normalised "
         "(scikit-learn's TfidfVectorizer defaults).",
         _starter("def tfidf(docs: list[list[str]]) -> tuple[list[str], np.ndarray]:", "tf-idf from scratch.")),
    Kata("jaccard", "jaccard-similarity", "Jaccard similarity",
         "jaccard(a, b) returns |a & b| / |a | b| for two sets, and 0.0 when both are empty.",
         _starter("def jaccard(a: set, b: set) -> float:", "Jaccard similarity from scratch.")),
    Kata("minhash", "minhash", "MinHash",
         "signature(tokens, num_perm, seed) returns num_perm integers (the minimum of num_perm different hash "
         "functions over the tokens), the same for the same input and seed; estimate(sig_a, sig_b) returns the "
         "share of positions where two signatures agree, an estimate of their sets' Jaccard similarity.",
         '"""MinHash from scratch."""\n\n\ndef signature(tokens: set[str], num_perm: int = 128, seed: int = 1) -> list[int]:\n'
         '    raise NotImplementedError\n\n\ndef estimate(sig_a: list[int], sig_b: list[int]) -> float:\n'
         '    raise NotImplementedError\n'),
    Kata("linear-regression-gd", "gradient-descent", "Gradient descent for linear regression",
         "fit(X, y, lr=0.1, epochs=2000) learns weights w and bias b minimising the mean squared error by batch "
         "gradient descent and returns (w, b); on standardised features it must match least squares.",
         _starter("def fit(X: np.ndarray, y: np.ndarray, lr: float = 0.1, epochs: int = 2000) -> tuple[np.ndarray, float]:",
                  "Linear regression by gradient descent, from scratch.")),
    Kata("softmax-cross-entropy", "cross-entropy", "Softmax with cross-entropy",
         "softmax(z) turns each row of logits into probabilities without overflowing on logits like 1000; "
         "cross_entropy(z, y) is the mean negative log-probability of the true classes y; grad(z, y) is its "
         "gradient with respect to z.",
         '"""Softmax and cross-entropy from scratch."""\n\nimport numpy as np\n\n\n'
         'def softmax(z: np.ndarray) -> np.ndarray:\n    raise NotImplementedError\n\n\n'
         'def cross_entropy(z: np.ndarray, y: np.ndarray) -> float:\n    raise NotImplementedError\n\n\n'
         'def grad(z: np.ndarray, y: np.ndarray) -> np.ndarray:\n    raise NotImplementedError\n'),
    Kata("k-means", "k-means", "k-means",
         "kmeans(X, k, seed=0) returns (centroids, labels) after Lloyd's iterations; every point's label is its "
         "nearest centroid, and on well-separated blobs the inertia is within 5% of scikit-learn's KMeans.",
         _starter("def kmeans(X: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:", "k-means from scratch.")),
    Kata("bm25", "bm25", "BM25",
         "bm25(query, docs, k1=1.5, b=0.75) returns one score per document (lists of tokens): the sum over query "
         "terms of idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len)), with idf = ln((N - df + 0.5) / "
         "(df + 0.5) + 1).",
         _starter("def bm25(query: list[str], docs: list[list[str]], k1: float = 1.5, b: float = 0.75) -> list[float]:",
                  "BM25 from scratch.")),
    Kata("cosine-top-k", "top-k-search", "Cosine top-k search",
         "top_k(query, matrix, k) returns the indices of the k rows most cosine-similar to query, best first, "
         "without sorting all rows (np.argpartition is allowed).",
         _starter("def top_k(query: np.ndarray, matrix: np.ndarray, k: int) -> list[int]:", "Exact cosine top-k from scratch.")),
    Kata("tiny-autograd", "autograd-graph", "A tiny autograd",
         "A class Value(data) supporting +, *, - (binary and unary), ** with a number, tanh() and relu(), that records "
         "the graph and fills .grad of every Value on backward() by the chain rule in reverse topological order.",
         '"""A scalar autograd engine from scratch (in the spirit of micrograd)."""\n\n\nclass Value:\n'
         '    def __init__(self, data: float) -> None:\n        self.data = data\n        self.grad = 0.0\n\n'
         '    def backward(self) -> None:\n        raise NotImplementedError\n'),
]}


def get(name: str) -> Kata:
    if name not in KATAS:
        raise NotFound(f"no kata {name!r}; `layerwise kata list` shows them: {', '.join(KATAS)}")
    return KATAS[name]


def workspace(library: Library) -> Path:
    path = library.desk.path / "katas"
    path.mkdir(parents=True, exist_ok=True)
    return path


def start(library: Library, name: str, directory: Path | None = None) -> Path:
    """Write the starter file; an existing file (the user's work) is never replaced."""
    kata = get(name)
    path = (directory or workspace(library)) / f"{name.replace('-', '_')}.py"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as f:
        f.write(f"# {kata.title}: {kata.statement}\n# Check it with: layerwise kata check {name}\n\n{kata.starter}")
    return path


def check(library: Library, name: str, file: Path | None = None, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Run the checker on the user's file in a subprocess; on success the concept becomes *built*."""
    kata = get(name)
    # resolved here: the checker runs in a scratch folder, where a path relative to the user's folder means nothing
    path = (file or workspace(library) / f"{name.replace('-', '_')}.py").expanduser().resolve()
    if not path.exists():
        raise NotFound(f"no file {path}; `layerwise kata start {name}` writes the starter")
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "output.txt"
        with open(output, "wb") as errors:
            # its own session (process group), so a timeout stops the user's code and whatever it started too
            proc = subprocess.Popen([sys.executable, "-m", "layerwise.reinforce.kata_runner", name, str(path), str(output)],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors, cwd=tmp,
                                    start_new_session=True)
            try:
                said, _ = proc.communicate(input=f"{token}\n".encode(), timeout=timeout)
            except subprocess.TimeoutExpired:
                return {"kata": name, "ok": False, "message": f"stopped after {timeout:g} s: an endless loop, or far too slow"}
            finally:
                _stop_group(proc)
        printed = output.read_bytes()[:2000].decode(errors="replace")
        result = _verdict(said, token)
        if result is None:
            return {"kata": name, "ok": False, "message": f"the checker did not finish (exit code {proc.returncode})",
                    "output": printed}
    result["kata"] = name
    if printed.strip():
        result["output"] = printed
    if result["ok"] and not at_least(layers(library).get(kata.concept, "none"), "built"):
        mark(library, kata.concept, "built", source=f"kata {name}")
        result["built"] = kata.concept
    return result


def _verdict(said: bytes, token: str) -> dict[str, Any] | None:
    """The checker's verdict: its last line, carrying the token only the checker was given."""
    lines = said.decode(errors="replace").strip().splitlines()
    try:
        verdict = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    if not isinstance(verdict, dict) or verdict.pop("token", None) != token:
        return None
    return verdict


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """End the checker and anything its code started (a fork, a subprocess), then reap the checker."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    elif proc.poll() is None:
        proc.kill()
    proc.wait()


def statuses(library: Library) -> list[dict[str, Any]]:
    current = layers(library)
    root = workspace(library)
    return [{"name": k.name, "title": k.title, "concept": k.concept, "started": (root / f"{k.name.replace('-', '_')}.py").exists(),
             "built": current.get(k.concept) == "built", "statement": k.statement} for k in KATAS.values()]
