"""Pictures in: cleanup, reading files, datasets, the uint8 training store, sample sets.

``preprocess`` (photo cleanup; ``colour_cleanup`` for colour photos), ``datasets`` (a folder, zip
or uploads -> a Dataset; saved datasets), ``datastore`` (the training pictures as uint8, on the
device or memory-mapped), ``samples`` (synthetic rim photos), ``safezip`` (a user's zip,
extracted without trust), ``images`` (the one place that converts tensors and pictures).

The first stage: imports only gan_core's foundations (errors, config, checkpoint, device).
"""
