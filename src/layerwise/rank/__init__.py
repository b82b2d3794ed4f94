"""Ranking: representations of items (lexical and dense), similarity, and (later) the weekly plan."""
