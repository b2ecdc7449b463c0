"""The networks: generator G and critic D (``models``), BatchNorm recalibration.

Imports only gan_core's foundations (errors, config, checkpoint, device).
"""
