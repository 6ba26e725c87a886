"""Catalogue search text: the same normalisation for what is stored and what is searched."""

import unicodedata


def normalise_search_text(text: str) -> str:
    """Lower case without accents, so "Demenagement" finds "Déménagement" in SQL on SQLite
    and PostgreSQL alike (SQLite's LIKE only folds ASCII case)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_terms(query: str) -> list[str]:
    """The words of a search, normalised (at most 8 are used)."""
    return [term for term in normalise_search_text(query).split() if term][:8]
