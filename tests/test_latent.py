import pytest
import torch

from gan_core.design.latent import check_seed, morph_path, slerp, truncate, z_from_seed
from gan_core.errors import UserError


def test_same_seed_same_latent_and_different_seeds_differ():
    assert torch.equal(z_from_seed(7, 64), z_from_seed(7, 64))
    assert not torch.equal(z_from_seed(7, 64), z_from_seed(8, 64))
    assert z_from_seed(7, 64).device.type == "cpu"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_same_latent_on_gpu():
    assert torch.equal(z_from_seed(7, 64, "cuda").cpu(), z_from_seed(7, 64))


@pytest.mark.parametrize("bad", [-1, 2**31, "x", 1.5, None, True])
def test_bad_seeds_are_refused(bad):
    with pytest.raises(UserError, match="seed"):
        check_seed(bad)


def test_seed_from_text_or_float():
    assert check_seed("12") == 12 and check_seed(12.0) == 12


def test_slerp_endpoints_and_norms():
    a, b = z_from_seed(1, 128), z_from_seed(2, 128)
    assert torch.allclose(slerp(a, b, 0.0), a, atol=1e-5)
    assert torch.allclose(slerp(a, b, 1.0), b, atol=1e-5)
    ua, ub = a / a.norm(), b / b.norm()
    for t in (0.25, 0.5, 0.75):  # unit vectors stay on the sphere (lerp would shrink them)
        assert slerp(ua, ub, t).norm() == pytest.approx(1.0, abs=1e-5)
    assert (0.5 * (ua + ub)).norm() < 0.9


def test_slerp_parallel_and_antiparallel_are_finite():
    a = z_from_seed(3, 32)
    for b in (a.clone(), a * 2, a + 1e-9):
        out = slerp(a, b, 0.5)
        assert torch.isfinite(out).all()
        assert torch.allclose(out, 0.5 * (a + b), atol=1e-5)  # falls back to lerp
    assert torch.isfinite(slerp(a, -a, 0.5)).all()


def test_morph_path_visits_keyframes():
    keys = torch.stack([z_from_seed(s, 16) for s in (3, 7, 11)])
    path = morph_path(keys, frames=9)
    assert path.shape == (9, 16)
    assert torch.allclose(path[0], keys[0], atol=1e-5)
    assert torch.allclose(path[4], keys[1], atol=1e-5)
    assert torch.allclose(path[-1], keys[2], atol=1e-5)


def test_morph_loop_returns_towards_the_start_and_easing():
    keys = torch.stack([z_from_seed(s, 16) for s in (1, 2)])
    loop = morph_path(keys, frames=8, loop=True)
    assert torch.allclose(loop[0], keys[0], atol=1e-5) and torch.allclose(loop[4], keys[1], atol=1e-5)
    assert (loop[-1] - keys[0]).norm() < (loop[4] - keys[0]).norm()
    eased = morph_path(keys, frames=5, easing="ease")
    linear = morph_path(keys, frames=5)
    assert torch.allclose(eased[2], linear[2], atol=1e-5)  # both halfway at the middle
    assert (eased[1] - keys[0]).norm() < (linear[1] - keys[0]).norm()  # ease lingers at the start


def test_morph_and_truncation_validation():
    keys = torch.stack([z_from_seed(1, 8)])
    with pytest.raises(UserError, match="two keyframe"):
        morph_path(keys, 10)
    with pytest.raises(UserError, match="frames"):
        morph_path(torch.stack([keys[0], keys[0]]), 1)
    z = z_from_seed(1, 8)
    assert torch.equal(truncate(z, 1.0), z)
    assert torch.allclose(truncate(z, 0.5), z * 0.5)
    with pytest.raises(UserError, match="truncation"):
        truncate(z, 5)
