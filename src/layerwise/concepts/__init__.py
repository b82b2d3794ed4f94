"""The concept map: ML-engineering fundamentals with typed links, and where the user stands on each."""
