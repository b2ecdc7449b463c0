"""The Hugging Face Hub: ``transfer`` (download a generator, push a finished run), ``modelcard``.

Imports the foundations and every earlier stage.
"""
