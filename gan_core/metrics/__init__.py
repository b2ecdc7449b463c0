"""Quality numbers for a generated set against the training set, with no downloads.

``quality`` (SWD, coverage/density, memorisation, ``evaluate`` and the report), ``features``
(palette distance, HOG descriptors), ``wasserstein`` (the exact 1-D W1 both use), ``atlas``
(pictures laid out on a grid so that similar ones sit together).

May import the foundations (errors, config, checkpoint, device) and ``data``.
"""
