"""Breeding: deterministic for its seed, children between their parents, bad parents named."""
import numpy as np
import pytest

from gan_core.design.breed import breed
from gan_core.design.generate import load_generator
from gan_core.design.record import Design
from gan_core.design.render import effective_latent
from gan_core.errors import UserError

from conftest import make_tiny_model


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return load_generator(make_tiny_model(tmp_path_factory.mktemp("tiny"), resolution=16))


@pytest.fixture(scope="module")
def parents(tiny):
    return [Design.from_seed("tiny", s, tiny.z_dim) for s in (1, 2)]


def test_breeding_is_deterministic_for_its_seed(tiny, parents):
    a = breed(parents, tiny, seed=7)
    b = breed(parents, tiny, seed=7)
    c = breed(parents, tiny, seed=8)
    assert len(a) == 8 and all(k.origin == "breed" for k in a)
    assert all(np.array_equal(x.latent, y.latent) for x, y in zip(a, b))
    assert not np.array_equal(a[0].latent, c[0].latent)


@pytest.mark.parametrize("crossover", ["slerp", "mask"])
def test_children_lie_between_their_parents(tiny, parents, crossover):
    za, zb = (effective_latent(p, tiny).numpy() for p in parents)
    span = np.linalg.norm(za - zb)
    for kid in breed(parents, tiny, children=16, mutation=0.1, seed=3, crossover=crossover):
        assert np.linalg.norm(kid.latent - za) < span and np.linalg.norm(kid.latent - zb) < span


def test_children_inherit_the_edited_latents(tiny, parents):
    edited = [parents[0].replace(edits={0: 3.0}, truncation=0.7), parents[1]]
    kid = breed(edited, tiny, children=1, mutation=0.0, seed=0, crossover="mask")[0]
    za, zb = (effective_latent(p, tiny).numpy() for p in edited)
    assert np.all((kid.latent == za) | (kid.latent == zb))


@pytest.mark.parametrize("make,message", [
    (lambda p: p[:1], "at least two parent designs; got 1"),
    (lambda p: [], "at least two parent designs; got 0"),
    (lambda p: [p[0], p[1].replace(model="other")], "different models"),
])
def test_bad_parents_are_refused(tiny, parents, make, message):
    with pytest.raises(UserError, match=message):
        breed(make(parents), tiny)


@pytest.mark.parametrize("mutation", [-0.1, 1.5, float("nan"), "a"])
def test_mutation_out_of_range_is_refused(tiny, parents, mutation):
    with pytest.raises(UserError, match="mutation must be a number between 0 and 1"):
        breed(parents, tiny, mutation=mutation)
