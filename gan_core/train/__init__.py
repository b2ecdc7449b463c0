"""Training: the loop and everything it needs.

``presets`` (named settings chosen by measurement), ``trainer`` (``train``, the loop) with its
parts ``trainer_step`` (one step: losses, EMA), ``trainer_state`` (checkpoints, NaN/inf
recovery) and ``trainer_report`` (progress reports, grids, training pictures, metrics);
``losses``, ``augment`` (DiffAugment), ``recipe`` (LeCam, adaptive augmentation), ``runfolder``
(the run folder's layout), ``resume`` (what a budget means on resume), ``bases`` (start points,
fine-tuning), ``distributed`` and ``launch`` (data-parallel training, the studio's launcher), ``designmap`` (the cached map of a
model's designs: it needs both design and metrics, so it sits here).

May import the foundations (errors, config, checkpoint, device), ``data``, ``nets``, ``design``, ``export``, ``metrics`` and ``hub``: the trainer
draws its progress grids from seeds (design), writes the progress GIF (export) and measures the
result (metrics).
"""
