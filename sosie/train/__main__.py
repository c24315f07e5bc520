"""``python -m sosie.train NAME [flags]``: ``sosie train`` for ``accelerate launch -m sosie.train``.

The command line belongs to the CLI, the layer above training, so this entry point does not
import it: it runs the installed ``sosie`` command (its ``console_scripts`` entry point, found by
name as the registry finds engines) with ``train`` in front of the arguments. The flags (made
from ``TrainSettings``) and their help stay in one place.
"""

import sys
from importlib.metadata import entry_points

from sosie.errors import SosieError


def main(argv: list[str] | None = None) -> None:
    found = entry_points(group="console_scripts", name="sosie")
    if not found:
        raise SosieError("the sosie command is not installed; reinstall sosie (pip install -e .)")
    command = next(iter(found)).load()
    command(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
