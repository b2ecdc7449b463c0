"""A generator and what it draws: seeds and latents, a generator's folder, the design record.

``latent`` (a seed is the latent API; truncation, slerp, morph paths), ``generate`` (a
generator's folder: save, load, ``DesignModel``), ``record`` (the design record and its file),
``render`` (a design -> pixels, morphs, direction strips), ``directions`` (SeFa/GANSpace
steering), ``project`` (a picture -> the closest design), ``encoder`` (instant projection),
``sketch`` (a sketch -> a design), ``breed``, ``symmetry``, ``tones``
(background, ink, two-tone: what a design picture is made of).

May import the foundations (errors, config, checkpoint, device), ``data`` and ``nets``.
"""
