"""Quality numbers for a generated set against the training set, with no downloads.

``quality`` (SWD, coverage/density, memorisation, ``evaluate`` and the report), ``features``
(palette distance, HOG descriptors).

Imports the foundations and ``data``.
"""
