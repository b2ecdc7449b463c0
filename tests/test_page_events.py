"""The page's event wiring, read from the app's own Gradio config (the real app, built as it runs)."""
from __future__ import annotations


def _by_elem_id(demo, elem_id):
    return next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == elem_id)


def test_a_pick_before_the_first_design_arrives_cancels_it(studio_app):
    """On a busy machine the page's first design (default model, strips, neighbours) can arrive seconds
    after the visitor picked another model, and painted the default model over the pick (seen in the
    browser with the 128 px bases). Every control a visitor moves first must cancel it."""
    demo = studio_app.demo
    first = [i for i, f in demo.fns.items() if getattr(f.fn, "__name__", "") == "first_design"]
    assert len(first) == 1
    deps = demo.get_config_file()["dependencies"]
    cancelling = [d for d in deps if first[0] in (d.get("cancels") or [])]
    triggers = {t for d in cancelling for t in map(tuple, d["targets"])}
    for elem_id in ("model", "seed", "truncation", "symmetry"):
        assert (_by_elem_id(demo, elem_id)._id, "input") in triggers, f"moving {elem_id} does not cancel it"
    # not on .change: the page's own load sets the model's value and would cancel its first design
    assert (_by_elem_id(demo, "model")._id, "change") not in triggers
