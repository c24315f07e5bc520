"""``python -m sosie.train NAME [flags]``: ``sosie train`` for ``accelerate launch -m sosie.train``."""

import sys

from sosie.cli import app

if __name__ == "__main__":
    app(["train", *sys.argv[1:]])
