"""The site config written back (host_bridge/toml_writer.py) reads back the same."""
from __future__ import annotations

import tomllib

from hypothesis import given
from hypothesis import strategies as st

from host_bridge.site_config import read_toml
from host_bridge.toml_writer import dumps
from support import EXAMPLE

keys = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
scalars = st.one_of(st.booleans(), st.integers(-2**63, 2**63 - 1),
                    st.floats(allow_nan=False, allow_infinity=False),
                    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30))
values = st.one_of(scalars, st.lists(st.text(max_size=10), max_size=4))
tables = st.recursive(st.dictionaries(keys, values, max_size=5),
                      lambda inner: st.dictionaries(keys, st.one_of(values, inner,
                                                                    st.lists(inner, min_size=1, max_size=3)),
                                                    max_size=5), max_leaves=20)


def test_the_example_site_reads_back_the_same():
    doc = read_toml(EXAMPLE)
    text = dumps(doc, "written by the administration page")
    assert tomllib.loads(text) == doc
    assert text.startswith("# written by the administration page\n")
    assert "[[services]]" in text and "[[services.faq]]" in text  # as people write them


@given(tables)
def test_any_document_reads_back_the_same(doc):
    assert tomllib.loads(dumps(doc)) == doc
