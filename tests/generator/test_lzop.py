"""The lzop container: interoperates with Debian's `lzop` tool both ways, both decoders agree,
and damaged input raises LzopError (never a wrong result or a stray IndexError)."""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import lzallright
import pytest

from emr_jobs import lzop
from emr_jobs.lzop import LzopError

LZOP = shutil.which("lzop")
needs_lzop = pytest.mark.skipif(
    LZOP is None, reason="Debian's lzop tool is not installed (apt-get install lzop)"
)


def _json_lines(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    return b"".join(
        b'{"arrival_ts":%d,"data":{"category":"design","event_id":"x:%d"},"v":%d}\n'
        % (1_700_000_000 + rng.randrange(86_400), rng.randrange(40), rng.randrange(3))
        for _ in range(n)
    )


SAMPLES = {
    "empty": b"",
    "one_byte": b"x",
    "short_text": b"hello hello hello hello world\n",
    "incompressible": random.Random(3).randbytes(5_000),
    # larger than one 256 KiB block, so several blocks are written
    "json_lines_multi_block": _json_lines(12_000),
    "long_run": b"\x00" * 300_000 + b"tail",
}


@needs_lzop
@pytest.mark.parametrize("name", list(SAMPLES))
def test_lzop_tool_reads_what_we_write(name: str, tmp_path: Path) -> None:
    data = SAMPLES[name]
    path = tmp_path / "events.json.lzo"
    path.write_bytes(lzop.compress(data, filename="events.json", mtime=1_700_000_000))
    subprocess.run([LZOP, "-t", "-q", str(path)], check=True)  # verifies every checksum
    out = subprocess.run([LZOP, "-dc", str(path)], check=True, capture_output=True).stdout
    assert out == data


@needs_lzop
@pytest.mark.parametrize("level", ["-1", "-3", "-9"])
@pytest.mark.parametrize("checksum", ["adler32", "crc32"])
@pytest.mark.parametrize("pure_python", [False, True])
def test_we_read_what_lzop_tool_writes(
    level: str, checksum: str, pure_python: bool, tmp_path: Path
) -> None:
    data = SAMPLES["json_lines_multi_block"]
    src = tmp_path / "events.json"
    src.write_bytes(data)
    args = [LZOP, "-q", level, "-o", str(tmp_path / "events.json.lzo"), str(src)]
    if checksum == "crc32":
        args.insert(2, "--crc32")
    subprocess.run(args, check=True)
    packed = (tmp_path / "events.json.lzo").read_bytes()
    assert lzop.decompress(packed, pure_python=pure_python) == data


@needs_lzop
def test_concatenated_lzop_members_are_joined(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"first\n")
    first = subprocess.run([LZOP, "-c", str(tmp_path / "a")], check=True, capture_output=True)
    second = lzop.compress(b"second\n")
    assert lzop.decompress(first.stdout + second) == b"first\nsecond\n"


def test_header_matches_lzop_layout() -> None:
    packed = lzop.compress(b"abc", filename="a.json", mtime=0x1_0000_0005)
    assert packed[:9] == b"\x89LZO\x00\r\n\x1a\n"
    version, _lib, needed, method, _level, flags, mode, mlow, mhigh, nlen = struct.unpack(
        ">HHHBBIIIIB", packed[9:34]
    )
    assert (version, needed, method) == (0x1040, 0x0940, 1)
    assert flags == 0x0300_0003  # unix, adler32 of data and of compressed data
    assert mode == 0o100644
    assert (mlow, mhigh) == (5, 1)
    assert packed[34 : 34 + nlen] == b"a.json"
    (checksum,) = struct.unpack(">I", packed[34 + nlen : 38 + nlen])
    assert checksum == zlib.adler32(packed[9 : 34 + nlen])


def test_output_is_deterministic() -> None:
    data = SAMPLES["json_lines_multi_block"]
    assert lzop.compress(data) == lzop.compress(data)
    assert lzop.compress(data, mtime=1) != lzop.compress(data, mtime=2)


@pytest.mark.parametrize("name", list(SAMPLES))
def test_pure_python_decoder_matches_lzallright(name: str) -> None:
    data = SAMPLES[name]
    raw = lzallright.LZOCompressor().compress(data)
    assert lzop.lzo1x_decompress_python(raw, len(data)) == data
    assert lzallright.LZOCompressor.decompress(raw) == data
    packed = lzop.compress(data)
    assert lzop.decompress(packed, pure_python=True) == lzop.decompress(packed) == data


def test_pure_python_fallback_is_used_without_lzallright(monkeypatch: pytest.MonkeyPatch) -> None:
    data = SAMPLES["json_lines_multi_block"]
    packed = lzop.compress(data)
    monkeypatch.setattr(lzop, "_lzallright", lambda: None)
    assert lzop.decompress(packed) == data
    with pytest.raises(LzopError, match="lzallright"):
        lzop.compress(data)


def _first_block_offset(packed: bytes) -> int:
    nlen = packed[33]
    return 34 + nlen + 4


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b"", "empty"),
        (lambda b: b"GZIP" + b[4:], "bad magic"),
        (lambda b: b[:20], "truncated"),
        (lambda b: b[:-4], "truncated"),
        (lambda b: b[:-30], "truncated"),
        (lambda b: b[:12] + bytes([b[12] ^ 0xFF]) + b[13:], "header checksum"),
        (lambda b: b + b"junk", "trailing bytes"),
    ],
)
def test_damaged_files_raise_lzop_error(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    packed = lzop.compress(SAMPLES["json_lines_multi_block"], filename="e.json")
    for pure in (False, True):
        with pytest.raises(LzopError, match=message):
            lzop.decompress(mutate(packed), pure_python=pure)


@pytest.mark.parametrize("pure_python", [False, True])
def test_flipped_data_byte_is_detected(pure_python: bool) -> None:
    packed = bytearray(lzop.compress(SAMPLES["json_lines_multi_block"]))
    packed[_first_block_offset(packed) + 16 + 500] ^= 0x55  # inside block 0's payload
    with pytest.raises(LzopError, match="block 0"):
        lzop.decompress(bytes(packed), pure_python=pure_python)


def test_pure_python_decoder_never_fails_with_anything_but_lzop_error() -> None:
    data = SAMPLES["json_lines_multi_block"][:20_000]
    raw = lzallright.LZOCompressor().compress(data)
    rng = random.Random(11)
    for _ in range(300):
        broken = bytearray(raw)
        for _ in range(rng.randrange(1, 4)):
            broken[rng.randrange(len(broken))] = rng.randrange(256)
        cut = rng.choice([len(broken), rng.randrange(1, len(broken))])
        try:
            out = lzop.lzo1x_decompress_python(bytes(broken[:cut]), len(data))
        except LzopError:
            continue
        assert len(out) == len(data)  # a mutation that still decodes keeps the length
