import stat
import struct
import zipfile
from pathlib import Path

import pytest

from badfiles import zip_bytes
from gan_core.data.safezip import extract_zip
from gan_core.errors import UserError


def _all_files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def outside(tmp_path):
    """(zip folder, target) where target sits two levels deep so traversal has room."""
    target = tmp_path / "a" / "b" / "target"
    return tmp_path, target


def test_extracts_regular_files_and_skips_metadata(tmp_path):
    z = tmp_path / "ok.zip"
    z.write_bytes(zip_bytes({"one.png": b"1", "sub/two.png": b"22", "sub\\three.png": b"333",
                             "__MACOSX/._one.png": b"x", ".DS_Store": b"x", "sub/.hidden.png": b"x",
                             "emptydir/": b""}))
    result = extract_zip(z, tmp_path / "out")
    assert [p.relative_to(tmp_path / "out").as_posix() for p in result.files] == \
        ["one.png", "sub/two.png", "sub/three.png"]
    assert result.skipped == []
    assert (tmp_path / "out/sub/three.png").read_bytes() == b"333"
    assert _all_files(tmp_path / "out") == {"one.png", "sub/two.png", "sub/three.png"}


def test_traversal_and_absolute_entries_are_skipped(outside):
    root, target = outside
    z = root / "evil.zip"
    z.write_bytes(zip_bytes({"../evil.png": b"e", "/abs.png": b"a", "C:/drive.png": b"d",
                             "ok/../../up.png": b"u", "..\\win.png": b"w", "fine.png": b"f"}))
    result = extract_zip(z, target)
    assert [p.name for p in result.files] == ["fine.png"]
    reasons = {s.name: s.reason for s in result.skipped}
    assert set(reasons) == {"../evil.png", "/abs.png", "C:/drive.png", "ok/../../up.png", "..\\win.png"}
    assert "outside the extraction folder" in reasons["../evil.png"]
    assert "absolute path" in reasons["/abs.png"] and "absolute path" in reasons["C:/drive.png"]
    assert _all_files(root) == {"evil.zip", "a/b/target/fine.png"}


def test_symlink_entry_is_skipped(tmp_path):
    z = tmp_path / "link.zip"
    with zipfile.ZipFile(z, "w") as zf:
        info = zipfile.ZipInfo("passwd.png")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("real.png", b"r")
    result = extract_zip(z, tmp_path / "out")
    assert [p.name for p in result.files] == ["real.png"]
    assert result.skipped[0].name == "passwd.png" and "symbolic link" in result.skipped[0].reason
    assert not (tmp_path / "out" / "passwd.png").exists()


def _set_encrypted_flag(data: bytes) -> bytes:
    """Mark the first entry as encrypted (zipfile cannot write encrypted entries)."""
    data = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(sig) + offset
        data[i] |= 0x1
    return bytes(data)


def test_encrypted_and_duplicate_entries_are_skipped(tmp_path):
    z = tmp_path / "odd.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("secret.png", b"xxxxxxxxxxxxxxxx")
        zf.writestr("dup.png", b"first")
        with pytest.warns(UserWarning):
            zf.writestr("dup.png", b"second")
    z.write_bytes(_set_encrypted_flag(z.read_bytes()))
    result = extract_zip(z, tmp_path / "out")
    assert [p.name for p in result.files] == ["dup.png"]
    assert (tmp_path / "out/dup.png").read_bytes() == b"first"
    reasons = [s.reason for s in result.skipped]
    assert "password" in reasons[0] and "same name" in reasons[1]


def test_zip_bomb_with_honest_header_is_refused(tmp_path):
    z = tmp_path / "bomb.zip"
    z.write_bytes(zip_bytes({"small.png": b"s", "bomb.png": b"\0" * (2 << 20)}))
    assert z.stat().st_size < 20_000  # highly compressible
    with pytest.raises(UserError, match="bomb.png in bomb.zip is 2.0 MB, more than the 1.0 MB per-file"):
        extract_zip(z, tmp_path / "out", max_file_bytes=1 << 20)
    with pytest.raises(UserError, match=r"unpacks to 2.0 MB, more than the 1.0 MB limit"):
        extract_zip(z, tmp_path / "out", max_total_bytes=1 << 20)
    assert _all_files(tmp_path / "out") == set()


def _lie_about_size(data: bytes, declared: int) -> bytes:
    """Rewrite every local and central header to claim ``declared`` uncompressed bytes."""
    data = bytearray(data)
    i = data.find(b"PK\x03\x04")
    while i != -1:
        data[i + 22:i + 26] = struct.pack("<I", declared)
        i = data.find(b"PK\x03\x04", i + 4)
    i = data.find(b"PK\x01\x02")
    while i != -1:
        data[i + 24:i + 28] = struct.pack("<I", declared)
        i = data.find(b"PK\x01\x02", i + 4)
    return bytes(data)


def test_zip_bomb_with_lying_header_stops_and_leaves_nothing(tmp_path):
    z = tmp_path / "liar.zip"
    z.write_bytes(_lie_about_size(zip_bytes({"a.png": b"\0" * 100, "bomb.png": b"\0" * (4 << 20)}), 100))
    assert zipfile.ZipFile(z).getinfo("bomb.png").file_size == 100  # the header lies
    with pytest.raises(UserError, match="bomb.png in liar.zip"):
        extract_zip(z, tmp_path / "out")
    assert _all_files(tmp_path / "out") == set()  # a.png, written before, is removed too


def test_real_bytes_are_counted_against_the_total(tmp_path):
    z = tmp_path / "many.zip"
    z.write_bytes(zip_bytes({f"{i}.png": b"\0" * 1000 for i in range(5)}))
    with pytest.raises(UserError, match="limit"):
        extract_zip(z, tmp_path / "out", max_total_bytes=4000)
    assert len(extract_zip(z, tmp_path / "ok", max_total_bytes=5000).files) == 5


def test_too_many_files(tmp_path):
    z = tmp_path / "many.zip"
    z.write_bytes(zip_bytes({f"{i}.png": b"x" for i in range(5)}))
    with pytest.raises(UserError, match="many.zip holds 5 files; at most 3"):
        extract_zip(z, tmp_path / "out", max_files=3)


def test_not_a_zip_and_truncated_zip(tmp_path):
    bad = tmp_path / "photo.zip"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not a zip")
    with pytest.raises(UserError, match="photo.zip is not a valid zip file"):
        extract_zip(bad, tmp_path / "out")
    good = zip_bytes({"a.png": bytes(range(256)) * 400})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(UserError, match="cut.zip is not a valid zip file"):
        extract_zip(cut, tmp_path / "out")
    with pytest.raises(UserError, match="does not exist"):
        extract_zip(tmp_path / "missing.zip", tmp_path / "out")


def test_corrupt_entry_data(tmp_path):
    data = bytearray(zip_bytes({"a.png": bytes(range(256)) * 400}))
    start = data.find(b"PK\x03\x04") + 30 + len("a.png")
    data[start + 10:start + 60] = b"\xff" * 50  # scramble the deflate stream
    z = tmp_path / "scrambled.zip"
    z.write_bytes(bytes(data))
    with pytest.raises(UserError, match="a.png in scrambled.zip is corrupt"):
        extract_zip(z, tmp_path / "out")
    assert _all_files(tmp_path / "out") == set()
