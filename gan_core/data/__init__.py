"""Pictures in: reading files, cleanup, datasets, the uint8 training store, sample sets.

``imagefile`` (one file read defensively), ``collect`` (the files of a folder, zip or upload,
on every core when there are many), ``safezip`` (a user's zip, extracted without trust),
``preprocess`` (photo cleanup; ``colour_cleanup`` for colour photos), ``datasets`` (a source ->
a Dataset; saved datasets), ``datastore`` (the training pictures as uint8, on the device or
memory-mapped), ``samples`` (synthetic rim photos), ``images`` (the one place that converts
between tensors and pictures).

The first stage: may import only the foundations (errors, config, checkpoint, device).
"""
