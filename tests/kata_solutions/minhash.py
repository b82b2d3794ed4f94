import hashlib
import random

PRIME = (1 << 61) - 1


def _hash(token):
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "big")


def signature(tokens, num_perm=128, seed=1):
    rng = random.Random(seed)
    params = [(rng.randrange(1, PRIME), rng.randrange(0, PRIME)) for _ in range(num_perm)]
    hashes = [_hash(t) for t in tokens]
    return [min(((a * h + b) % PRIME) for h in hashes) for a, b in params]


def estimate(sig_a, sig_b):
    return sum(x == y for x, y in zip(sig_a, sig_b)) / len(sig_a)
