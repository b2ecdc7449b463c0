"""The networks: ``models`` holds generator G and critic D (DCGAN family, classic and compact),
their layers, and BatchNorm recalibration of a generator's statistics.

May import only the foundations (errors, config, checkpoint, device).
"""
