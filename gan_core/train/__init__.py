"""The training loop and what it needs: presets, losses, augmentation, checkpoints, the run folder.

Imports the foundations and every earlier stage (``data``, ``nets``, ``design``, ``export``,
``metrics``).
"""
