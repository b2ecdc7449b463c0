"""A one-page contact sheet of designs with captions, for showing a client (Pillow only).

An A4 landscape page at 150 dpi (1754 x 1240 px): a title line, then the designs in a grid
as large as the page allows, each captioned with its name, its model and where it came from
(seed or origin). Saved as PNG and as a one-page PDF.
"""
from __future__ import annotations

import io
import math
import time

import numpy as np
from PIL import Image, ImageDraw, ImageFont

PAGE_W, PAGE_H, DPI = 1754, 1240, 150
MARGIN, GAP, TITLE_H = 60, 24, 70


def _font(size: int):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[:-1]
    return text + "..."


def caption(design) -> list[str]:
    """The caption lines of a design: name, model, seed or origin (+ symmetry when set)."""
    where = f"seed {design.seed}" if design.seed is not None else design.origin
    if design.symmetry != "none":
        where += f", {design.symmetry}"
    return [design.name or design.id, design.model, where + (" *" if design.star else "")]


def contact_sheet(designs: list, pictures: list, title: str | None = None) -> Image.Image:
    """The page (RGB) for designs and their pictures (uint8 (H, W[, 3]), same order)."""
    n = len(designs)
    page = Image.new("RGB", (PAGE_W, PAGE_H), "white")
    draw = ImageDraw.Draw(page)
    title = title or f"Design Studio - {n} design{'s' * (n != 1)} - {time.strftime('%Y-%m-%d')}"
    draw.text((MARGIN, MARGIN // 2), title, fill="black", font=_font(32))
    area_w, area_h = PAGE_W - 2 * MARGIN, PAGE_H - MARGIN - TITLE_H - MARGIN // 2
    best = None  # the column count that gives the largest thumbnails
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        cell_w = (area_w - GAP * (cols - 1)) / cols
        text_h = max(10, min(18, int(cell_w / 12))) * 3 + 12
        thumb = min(cell_w, (area_h - GAP * (rows - 1)) / rows - text_h)
        if best is None or thumb > best[0]:
            best = (thumb, cols, cell_w, text_h)
    thumb, cols, cell_w, text_h = best
    thumb = max(8, int(thumb))
    font_size = (text_h - 12) // 3
    font = _font(font_size)
    for i, (d, pic) in enumerate(zip(designs, pictures)):
        r, c = divmod(i, cols)
        x = int(MARGIN + c * (cell_w + GAP))
        y = int(MARGIN + TITLE_H + r * (thumb + text_h + GAP))
        img = Image.fromarray(np.asarray(pic)).convert("RGB")
        img = img.resize((thumb, thumb), Image.LANCZOS if thumb >= img.width else Image.BOX)
        page.paste(img, (x + int((cell_w - thumb) / 2), y))
        draw.rectangle([x + int((cell_w - thumb) / 2) - 1, y - 1, x + int((cell_w - thumb) / 2) + thumb,
                        y + thumb], outline=(200, 200, 200))
        for k, line in enumerate(caption(d)):
            draw.text((x, y + thumb + 6 + k * (font_size + 2)), _fit(draw, line, font, int(cell_w)),
                      fill="black" if k == 0 else (90, 90, 90), font=font)
    return page


def sheet_png(page: Image.Image) -> bytes:
    buf = io.BytesIO()
    page.save(buf, format="PNG", dpi=(DPI, DPI))
    return buf.getvalue()


def sheet_pdf(page: Image.Image) -> bytes:
    buf = io.BytesIO()
    page.save(buf, format="PDF", resolution=DPI)
    return buf.getvalue()
