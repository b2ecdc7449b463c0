"""The Hugging Face Hub: ``transfer`` (download a generator, push a finished run), ``modelcard``.

May import the foundations (errors, config, checkpoint, device), ``data``, ``design`` and ``export``.
"""
