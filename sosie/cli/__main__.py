"""``python -m sosie.cli``: the ``sosie`` command."""

from sosie.cli import main

main()
