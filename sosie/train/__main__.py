"""``python -m sosie.train NAME [flags]``: ``sosie train`` for ``accelerate launch -m sosie.train``.

The command line belongs to the CLI, the layer above training: this entry point only hands it
the arguments, so the flags (made from ``TrainSettings``) and their help stay in one place.
"""

import sys


def main(argv: list[str] | None = None) -> None:
    from sosie.cli import app  # the public command, imported only when run as a program

    app(["train", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
