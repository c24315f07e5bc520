"""The examples in the docstrings run: a docstring that shows ``input -> output`` must stay true.

Every module of ``sosie`` is imported and its doctests run (``doctest.testmod``); a module whose
examples need something only a live run has marks them ``# doctest: +SKIP``. Imports here are
light (no model loads), so this belongs to the unit tier.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import sosie

MODULES = sorted(m.name for m in pkgutil.walk_packages(sosie.__path__, "sosie.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_the_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
