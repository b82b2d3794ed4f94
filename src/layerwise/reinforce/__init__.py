"""Reinforce: spaced repetition of the user's own cards (FSRS) with Anki interop, the weekly digest, and katas."""
