"""Turning a reader's search text into terms, and those into FTS5 queries that always parse."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rejoinder.search.terms import MAX_TERMS, Term, fts5_query, parse


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("asyncio", [Term("asyncio")]),
        ("  two   words ", [Term("two"), Term("words")]),
        ('"event loop" asyncio', [Term("event loop", True), Term("asyncio")]),
        ('"single"', [Term("single")]),
        ('"Mixed CASE, punct!"', [Term("mixed case punct", True)]),
        ("AND OR NOT", [Term("AND"), Term("OR"), Term("NOT")]),
        ("* ^ ( ) - : \" '", []),
        ('"unbalanced', [Term('"unbalanced')]),
        ("NEAR(", [Term("NEAR(")]),
        ("dup dup", [Term("dup")]),
        ("example.com", [Term("example.com")]),
        ("", []),
        ("x" * 101, []),
    ],
)
def test_parse(text, terms):
    assert list(parse(text).terms) == terms


def test_terms_are_capped():
    assert len(parse(" ".join(f"w{i}" for i in range(50))).terms) == MAX_TERMS


def test_words_for_highlighting_are_lowercased_and_unique():
    assert parse('Foo "foo bar" x_y').words == ("foo", "bar", "x", "y")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a b", '"a" "b"'),
        ('"a b" c', '"a b" "c"'),
        ('x"y', '"x""y"'),
        ("NEAR(", '"NEAR("'),
    ],
)
def test_fts5_query(text, expected):
    assert fts5_query(parse(text)) == expected


@pytest.fixture(scope="module")
def fts():
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61 remove_diacritics 2')")
    db.executemany(
        "INSERT INTO t(body) VALUES (?)",
        [("red apple and green pear",), ("see example.com for more",), ("café au lait",)],
    )
    yield db
    db.close()


def _match(db, text):
    query = fts5_query(parse(text))
    return [row[0] for row in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (query,))]


@pytest.mark.parametrize(
    ("text", "rowids"),
    [
        ("apple pear", [1]),
        ("APPLE", [1]),
        ('"green pear"', [1]),
        ('"pear green"', []),
        ("and", [1]),
        ("example.com", [2]),
        ("cafe", [3]),
        ("NEAR(apple", []),
    ],
)
def test_fts5_matches(fts, text, rowids):
    assert _match(fts, text) == rowids


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_makes_a_valid_fts5_query(text):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(body)")
    db.execute("INSERT INTO t(body) VALUES ('some words here')")
    terms = parse(text)
    if terms:
        db.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_query(terms),)).fetchall()
    db.close()
