"""Studying: timeboxed sessions in layers, the notes vault, the glossary of recurring terms, the journal and stats."""
