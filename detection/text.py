"""Text normalisation shared by the detectors: lower case, plain apostrophes, common chat spellings,
and one-typo correction of the words the detectors look for."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:()]")
APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})

CHAT_SPELLINGS = {
    "u": "you",
    "ur": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plase": "please",
    "wanna": "want to",
    "gonna": "going to",
    "gimme": "give me",
    "lemme": "let me",
    "wont": "won't",
    "dont": "don't",
    "cant": "can't",
    "im": "i'm",
    "id": "i'd",
    "ive": "i've",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "didnt": "didn't",
    "arent": "aren't",
    "youre": "you're",
    "thats": "that's",
    "ppl": "people",
    "sb": "somebody",
    "smb": "somebody",
    "sum1": "someone",
    "some1": "someone",
    "any1": "anyone",
    "rep": "representative",
    "reps": "representatives",
    "mgr": "manager",
    "cust": "customer",
    "acn": "can",
    "ahve": "have",
    "hte": "the",
    "teh": "the",
    "waht": "what",
    "wnat": "want",
    "2": "to",
    "tlk": "talk",
    "cn": "can",
    "hooman": "human",
    "sux": "sucks",
    "suxx": "sucks",
    "evr": "ever",
    "eva": "ever",
    "nvr": "never",
    "nothin": "nothing",
    "agian": "again",
    "agn": "again",
    "srvice": "service",
    "srvc": "service",
    "svc": "service",
    "dis": "this",
    "da": "the",
    "wat": "what",
    "rly": "really",
    "cuz": "because",
    "coz": "because",
}


def _one_edit_variants(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | transposes | replaces | inserts


def _transposes_and_inserts(word: str) -> set[str]:
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    doubled = {a + b[0] + b for a, b in splits if b}
    return transposes | doubled


@lru_cache(maxsize=16)
def _typo_table(vocabulary: frozenset[str], protected: frozenset[str]) -> dict[str, str]:
    """Every one-edit misspelling of a vocabulary word mapped to the word (four-letter words: swapped or
    doubled letters only).

    A misspelling that is itself a common word (`protected`), or that two vocabulary words share, is left
    alone.
    """
    table: dict[str, str] = {}
    ambiguous: set[str] = set()
    for word in vocabulary:
        if len(word) < 4:
            continue
        variants = _one_edit_variants(word) if len(word) >= 5 else _transposes_and_inserts(word)
        for variant in variants:
            if variant in vocabulary or variant in protected or len(variant) < 4:
                continue
            if variant in table and table[variant] != word:
                ambiguous.add(variant)
            table[variant] = word
    for variant in ambiguous:
        del table[variant]
    return table


def typo_table(vocabulary: frozenset[str], protected: frozenset[str]) -> dict[str, str]:
    """Every one-edit misspelling of a vocabulary word mapped to the word (a copy: the table is cached)."""
    return dict(_typo_table(vocabulary, protected))


@lru_cache(maxsize=16)
def _run_together(words: frozenset[str]) -> dict[str, str]:
    return {a + b: f"{a} {b}" for a in words for b in words if len(a + b) >= 4}


def run_together(words: frozenset[str]) -> dict[str, str]:
    """Two words typed without the space between them ("withsomeone"), mapped to the pair."""
    return dict(_run_together(words))


def normalise(text: str, typos: dict[str, str] | None = None) -> str:
    """Lower-cased words and punctuation, separated by single spaces, with chat spellings expanded."""
    tokens = WORD.findall(text.lower().translate(APOSTROPHES))
    out: list[str] = []
    for token in tokens:
        token = CHAT_SPELLINGS.get(token, token)
        if typos is not None:
            token = typos.get(token, token)
        out.append(token)
    return " ".join(out)


def clauses(normalised: str) -> Iterable[str]:
    """The text split at sentence and clause punctuation."""
    for clause in re.split(r" ?[.,!?;:()] ?", normalised):
        if clause.strip():
            yield clause.strip()
