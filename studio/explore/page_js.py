"""The Explore page's own scripts (JavaScript run by the browser), in one place.

Each is a Gradio ``js=`` function: CLICK hands a prepared file to a hidden download button,
AFTER_PICTURE holds a follow-up event until the design's picture is on the page and the
visitor paused, FAST_PREVIEW_JS is the live picture path of every control (studio.explore.fast),
SKETCH_PAD_* are the sketch pad (studio.explore.sketch).
"""
from __future__ import annotations

from .moves import SETTLE_MS

# the hidden download button gets its file from the event before; click it once the page has it
CLICK = "() => setTimeout(() => (document.querySelector('#{id} button') || document.querySelector('#{id}'))?.click(), 60)"
# ``follow`` starts once the browser has the new picture (at most half a second later) and the
# visitor paused for SETTLE_MS: its SVG trace holds the GIL, and the server would otherwise serve
# the picture only after it; one that comes while the visitor is still moving is skipped (moves.py)
AFTER_PICTURE = """(...args) => new Promise(done => setTimeout(() => {
  const img = document.querySelector('#design img');
  const go = () => setTimeout(() => done(args.slice(0, 3)), %d);
  if (!img || img.complete) return go();
  const timer = setTimeout(go, 500);
  img.addEventListener('load', () => { clearTimeout(timer); go(); }, {once: true});
}, 40))""" % SETTLE_MS
# The page's fast picture path (``studio.explore.fast``): installed once per page. Each input of a
# live control asks the server for the picture it will show, through Gradio's own HTTP route for
# unqueued events (/run/predict, this page's session), one request at a time, always the latest,
# and puts it (a data: URL) in the design's <img> as soon as it comes. The inputs: a slider's
# ``input`` (the seed, truncation, a steer direction) or its number box's (typing, arrow keys); a
# symmetry option pressed; a click on a tile of the variations, Breed's children or the board; the
# Random seed button (RANDOM_SEED asks through ``window.__studioAsk``). The input's own Gradio
# event runs as before and returns the same pixels: the page ends up in the same state, only sooner.
FAST_PREVIEW_JS = r"""() => {
  if (window.__studioFastPreview) return [];
  window.__studioFastPreview = true;
  const FN = %d, STATES = %d, CONTROLS = '#seed, #truncation, [id^="direction_"]';
  const TILES = {variations: 'variation', breed_children: 'child', board: 'board'};
  const cfg = window.gradio_config || {};
  const url = (cfg.root || '').replace(/\/+$/, '') + (cfg.api_prefix || '/gradio_api') + '/run/predict';
  let busy = false, next = null;
  window.__studioPreviewBusy = () => busy || next !== null;
  const ask = async (control, value) => {
    if (busy) { next = [control, value]; return; }
    busy = true;
    try {
      const r = await fetch(url, {method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({data: [control, String(value), ...Array(STATES).fill(null)], fn_index: FN,
                              session_hash: window.__gradio_session_hash__})});
      const src = r.ok ? (await r.json())?.data?.[0] : null;
      const img = document.querySelector('#design img');
      if (src && src.startsWith('data:image/png') && img && !next) {   // (a newer move is asked next: skip this one)
        await new Promise(ok => { img.addEventListener('load', ok, {once: true}); img.addEventListener('error', ok, {once: true});
                                  img.src = src; setTimeout(ok, 300); });
      }
    } catch (e) { /* the move's own event still shows the picture */ }
    busy = false;
    if (next) { const [c, v] = next; next = null; ask(c, v); }
  };
  window.__studioAsk = ask;
  document.addEventListener('input', e => {
    const t = e.target;
    if (!(t instanceof HTMLInputElement) || (t.type !== 'range' && t.type !== 'number') || t.value === '') return;
    const box = t.closest(CONTROLS);
    if (box && Number.isFinite(Number(t.value))) ask(box.id, Number(t.value));
  }, true);
  document.addEventListener('mousedown', e => {  // (the open list may sit outside #symmetry: its input has the focus)
    const option = e.target.closest && e.target.closest('[role=option]');
    const focus = document.activeElement;
    if (option && (option.closest('#symmetry') || (focus && focus.closest && focus.closest('#symmetry'))))
      ask('symmetry', option.textContent.replace(/^[\s\u2713]+/, '').trim());
  }, true);
  document.addEventListener('click', e => {
    const item = e.target.closest && e.target.closest('.thumbnail-item');
    const gallery = item && item.closest('#variations, #breed_children, #board');
    if (!gallery) return;
    const index = [...gallery.querySelectorAll('.thumbnail-item')].indexOf(item);
    if (index >= 0) ask(TILES[gallery.id], index);
  }, true);
  return [];
}"""
# Random seed: the page picks the seed (the slider's change event then makes it the current design)
# and asks the fast path for its picture at once
RANDOM_SEED = """() => { const seed = Math.floor(Math.random() * 1000000);
  if (window.__studioAsk) window.__studioAsk('seed', seed);
  return seed; }"""

# The slider moves' own Gradio events wait (at most 400 ms) until the fast path above has put
# its picture on the page: each Gradio event keeps the browser's script busy for ~70-100 ms
# (loading statuses), and started at once it would hold back the fast picture behind it.
AFTER_PREVIEW = """(...args) => new Promise(done => {
  const t0 = performance.now();
  const wait = () => (!window.__studioPreviewBusy || !window.__studioPreviewBusy() || performance.now() - t0 > 400)
    ? done(args) : setTimeout(wait, 8);
  setTimeout(wait, 8);
})"""

# The sketch pad (studio.explore.sketch): a plain 2D canvas in a gr.HTML block, run by this script
# (the block's ``js_on_load``: ``element`` is the block, ``props.value`` its value, ``trigger`` fires
# its events). Pen and eraser by pointer events (mouse, pen, touch), undo (the canvas before each
# change), clear; the pen takes the model's ink from the hidden #sketch_ink box at each stroke. When
# a stroke ends (or undo, clear), the canvas as a PNG data URL goes to the fast picture path
# (``window.__studioAsk('sketch', url)``: the design's <img> shows the model's design of it), and
# becomes the block's value with an ``input`` event, whose handler makes that design current.
SKETCH_PAD_HTML = """<div class="pad-label">Sketch: the design follows each stroke</div>
<div class="pad-tools" role="toolbar" aria-label="Sketch tools">
<button type="button" data-tool="pen" aria-label="Pen" aria-pressed="true" title="Pen">Pen</button>
<button type="button" data-tool="eraser" aria-label="Eraser" aria-pressed="false" title="Eraser">Eraser</button>
<button type="button" data-act="undo" aria-label="Undo" title="Undo the last stroke">↶ Undo</button>
<button type="button" data-act="clear" aria-label="Clear" title="Clear the pad">✕ Clear</button></div>
<canvas width="%d" height="%d" aria-label="Sketch pad: draw with the mouse, a pen or a finger"></canvas>"""
SKETCH_PAD_CSS = """.pad-label { font-size: var(--block-label-text-size); font-weight: var(--block-label-text-weight);
  color: var(--block-label-text-color); margin-bottom: 4px; }
.pad-tools { display: flex; gap: 3px; margin-bottom: 4px; flex-wrap: wrap; }
.pad-tools button { padding: 2px 6px; border: 1px solid var(--border-color-primary); border-radius: 6px;
  background: var(--button-secondary-background-fill); font-size: var(--text-sm); cursor: pointer; }
.pad-tools button[aria-pressed=true] { border-color: var(--color-accent); box-shadow: 0 0 0 1px var(--color-accent); }
canvas { display: block; width: 100%%; max-width: %dpx; aspect-ratio: 1; background: #fff; touch-action: none;
  border: 1px solid var(--border-color-primary); border-radius: 6px; cursor: crosshair; }"""
SKETCH_PAD_JS = r"""
const canvas = element.querySelector('canvas'), ctx = canvas.getContext('2d', {willReadFrequently: true});
const W = canvas.width, H = canvas.height, PEN = %d, ERASER = %d, UNDO = %d;
let tool = 'pen', stroke = null;
const history = [];
const ink = () => { const box = document.querySelector('#sketch_ink textarea, #sketch_ink input');
  return (box && /^#[0-9a-f]{6}$/i.test(box.value.trim())) ? box.value.trim() : '#000000'; };
const at = e => { const r = canvas.getBoundingClientRect();
  return [(e.clientX - r.left) * W / r.width, (e.clientY - r.top) * H / r.height]; };
const remember = () => { history.push(ctx.getImageData(0, 0, W, H)); if (history.length > UNDO) history.shift(); };
const send = () => {
  const url = canvas.toDataURL('image/png');
  if (window.__studioAsk) window.__studioAsk('sketch', url);   // the fast path: the design's <img> at once
  props.value = url;
  trigger('input');                                            // its Gradio event makes that design current
};
canvas.addEventListener('pointerdown', e => {
  if (stroke || (e.pointerType === 'mouse' && e.button !== 0)) return;
  e.preventDefault();
  try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* a pointer already gone */ }
  remember();
  const [x, y] = at(e);
  stroke = {id: e.pointerId, x, y};
  ctx.globalCompositeOperation = tool === 'eraser' ? 'destination-out' : 'source-over';
  ctx.strokeStyle = ctx.fillStyle = ink();
  ctx.lineWidth = tool === 'eraser' ? ERASER : PEN;
  ctx.lineCap = ctx.lineJoin = 'round';
  ctx.beginPath(); ctx.arc(x, y, ctx.lineWidth / 2, 0, 2 * Math.PI); ctx.fill();   // a tap leaves a dot
});
canvas.addEventListener('pointermove', e => {
  if (!stroke || e.pointerId !== stroke.id) return;
  for (const p of (e.getCoalescedEvents ? e.getCoalescedEvents() : []).concat([e])) {
    const [x, y] = at(p);
    ctx.beginPath(); ctx.moveTo(stroke.x, stroke.y); ctx.lineTo(x, y); ctx.stroke();
    stroke.x = x; stroke.y = y;
  }
});
const end = e => { if (!stroke || e.pointerId !== stroke.id) return; stroke = null; send(); };
canvas.addEventListener('pointerup', end);
canvas.addEventListener('pointercancel', end);
element.querySelectorAll('[data-tool]').forEach(b => b.addEventListener('click', () => {
  tool = b.dataset.tool;
  element.querySelectorAll('[data-tool]').forEach(o => o.setAttribute('aria-pressed', String(o === b)));
}));
element.querySelector('[data-act=undo]').addEventListener('click', () => {
  if (!history.length) return;
  ctx.putImageData(history.pop(), 0, 0);
  send();
});
element.querySelector('[data-act=clear]').addEventListener('click', () => {
  remember();
  ctx.clearRect(0, 0, W, H);
  send();
});
"""
