def jaccard(a, b):
    union = a | b
    return len(a & b) / len(union) if union else 0.0
