"""A generator and what it draws: seeds and latents, loading generators, the design record.

``latent`` (a seed is the latent API; truncation, slerp, morph paths), ``generate`` (a
generator's folder: save, load, DesignModel), ``record`` (the design record and render),
``directions`` (SeFa/GANSpace steering), ``project`` (projection: a picture -> a latent),
``breed``, ``symmetry``, ``tones`` (background, ink, two-tone: what a design picture is made of).

Imports the foundations, ``data`` and ``nets``.
"""
