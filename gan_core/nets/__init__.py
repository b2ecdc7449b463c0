"""The networks: ``models`` holds generator G and critic D (DCGAN family, classic and compact),
their layers, and BatchNorm recalibration of a generator's statistics; ``eyes`` the optional frozen
feature network (trained on the base corpus) and the heads that read it beside D.

May import only the foundations (errors, config, checkpoint, device).
"""
