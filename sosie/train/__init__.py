"""Fine-tune a double on the person: the dataset (:mod:`.dataset`), LoRA training
(:mod:`.trainer`) and export for other runtimes (:mod:`.export`).

Training needs the ``train`` extra (``pip install 'sosie[train]'``: peft)."""
