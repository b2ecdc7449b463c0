"""Small helpers the steer, projection and breeding panels share (page side only)."""
from __future__ import annotations

import json

import numpy as np
from PIL import Image

from gan_core.design import Design
from gan_core.errors import UserError
from gan_core.images import upscale

DISPLAY = 256   # the current design is shown about this big (as in the Explore tab)
TILE = 96       # gallery tiles (children, training pictures)


def design_of(value, what: str = "design") -> Design | None:
    """A Design from the Explore state (a dict), an API argument (JSON text) or None.
    Empty -> None; anything else that is not a design -> UserError naming ``what``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise UserError(f"{what} is not JSON; pass a design as saved (its design.json).") from None
    if isinstance(value, Design):
        return value
    try:
        return Design.from_dict(value)
    except UserError as e:
        raise UserError(f"{what}: {str(e).removeprefix('design: ')}") from None


def factor(resolution: int, target: int) -> int:
    """The whole upscale factor that shows a ``resolution`` px picture about ``target`` px big."""
    return max(1, min(32, target // max(1, int(resolution))))


def shown(picture: np.ndarray, target: int = DISPLAY, smooth: bool = True) -> Image.Image:
    """A design picture scaled up for the page (about ``target`` px)."""
    return upscale(picture, factor(picture.shape[0], target), smooth=smooth)
