"""Designs out: SVG, print-size PNG, grids and animations, the contact sheet, the board.

``vector`` (SVG tracing), ``printpng`` (print-size PNG), ``animation`` (sample grids, GIF, MP4),
``contactsheet`` (a one-page PNG/PDF), ``board`` (a visitor's saved designs; export/import),
``designmap`` (the map of designs: ~400 of a model's designs as one clickable atlas picture, laid out
by ``metrics.atlas``, cached per model).

May import the foundations (errors, config, checkpoint, device), ``data``, ``design`` and ``metrics``.
"""
