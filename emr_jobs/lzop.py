"""Read and write lzop files (the container the original `rawevents` data set used).

An lzop file is a magic number, a header (versions, method, flags, mode, mtime, name,
header checksum) and a sequence of blocks, each `uncompressed length, compressed length,
checksum of the uncompressed data [, checksum of the compressed data], data`, ended by a
zero length. Blocks whose compressed form is not smaller are stored as-is. All integers are
big-endian. This module writes what `lzop` 1.04 writes (LZO1X-1, adler32 checksums) and reads
any single-volume lzop file without filters (adler32 or crc32 checksums, extra header field,
several concatenated members).

The LZO1X codec comes from `lzallright` when it can be imported. Where it cannot (a Spark
executor without the wheel), decompression falls back to the pure-Python LZO1X decoder in
this module; compression needs `lzallright`. Standard library only otherwise: this module is
shipped to EMR inside the Spark job package.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Any

__all__ = ["LzopError", "compress", "decompress", "lzo1x_decompress_python"]

MAGIC = b"\x89LZO\x00\r\n\x1a\n"

# Header flags (lzop's conf.h).
F_ADLER32_D = 0x0000_0001
F_ADLER32_C = 0x0000_0002
F_H_EXTRA_FIELD = 0x0000_0040
F_CRC32_D = 0x0000_0100
F_CRC32_C = 0x0000_0200
F_MULTIPART = 0x0000_0400
F_H_FILTER = 0x0000_0800
F_H_CRC32 = 0x0000_1000
F_OS_UNIX = 0x0300_0000

# Methods lzop writes; all three are LZO1X streams and decode the same way.
M_LZO1X_1 = 1
M_LZO1X_1_15 = 2
M_LZO1X_999 = 3
_LZO1X_METHODS = {M_LZO1X_1, M_LZO1X_1_15, M_LZO1X_999}

LZOP_VERSION = 0x1040  # as lzop 1.04 writes it
LZO_LIB_VERSION = 0x20A0  # LZO 2.10
VERSION_NEEDED_TO_EXTRACT = 0x0940
BLOCK_SIZE = 256 * 1024  # lzop's default block size
MAX_BLOCK_SIZE = 64 * 1024 * 1024  # lzop refuses larger blocks
FILE_MODE = 0o100644


class LzopError(ValueError):
    """The bytes are not a readable lzop file; the message says what is wrong and where."""


def _lzallright() -> Any | None:
    try:
        import lzallright  # optional: imported lazily on purpose
    except ImportError:
        return None
    return lzallright


# --------------------------------------------------------------------------------------
# writing


def compress(data: bytes, *, filename: str = "", mtime: int = 0) -> bytes:
    """Return `data` as a complete lzop file (LZO1X-1, adler32 of data and compressed data).

    The output is deterministic for the same arguments: `mtime` (unix seconds) and
    `filename` (stored as the original name, at most 255 bytes) are the only variable header
    fields. Needs `lzallright`.
    """
    lib = _lzallright()
    if lib is None:
        raise LzopError(
            "writing lzop files needs the 'lzallright' package (pip install lzallright)"
        )
    name = filename.encode("utf-8")
    if len(name) > 255:
        raise LzopError(f"lzop file name is longer than 255 bytes: {filename!r}")
    if not 0 <= mtime < 2**64:
        raise LzopError(f"lzop mtime must be a non-negative unix time, got {mtime}")

    flags = F_OS_UNIX | F_ADLER32_D | F_ADLER32_C
    header = (
        struct.pack(
            ">HHHBBIIIIB",
            LZOP_VERSION,
            LZO_LIB_VERSION,
            VERSION_NEEDED_TO_EXTRACT,
            M_LZO1X_1,
            5,  # the level lzop records for its default LZO1X-1 method
            flags,
            FILE_MODE,
            mtime & 0xFFFF_FFFF,
            mtime >> 32,
            len(name),
        )
        + name
    )
    out = bytearray(MAGIC)
    out += header
    out += struct.pack(">I", zlib.adler32(header))

    compressor = lib.LZOCompressor()
    view = memoryview(data)
    for start in range(0, len(view), BLOCK_SIZE):
        block = view[start : start + BLOCK_SIZE]
        packed = compressor.compress(block)
        data_sum = zlib.adler32(block)
        if len(packed) < len(block):
            out += struct.pack(">IIII", len(block), len(packed), data_sum, zlib.adler32(packed))
            out += packed
        else:  # incompressible: stored, and lzop then omits the compressed checksum
            out += struct.pack(">III", len(block), len(block), data_sum)
            out += block
    out += b"\x00\x00\x00\x00"
    return bytes(out)


# --------------------------------------------------------------------------------------
# reading


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.pos = 0

    def take(self, n: int, what: str) -> memoryview:
        end = self.pos + n
        if end > len(self.data):
            raise LzopError(
                f"lzop data is truncated: needed {n} bytes for {what} at offset {self.pos}, "
                f"only {len(self.data) - self.pos} left"
            )
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return struct.unpack(">H", self.take(2, what))[0]

    def u32(self, what: str) -> int:
        return struct.unpack(">I", self.take(4, what))[0]


def _checksum_fn(flags: int, adler_flag: int, crc_flag: int) -> Callable[[Any], int] | None:
    if flags & crc_flag:
        return zlib.crc32
    if flags & adler_flag:
        return zlib.adler32
    return None


def _read_header(r: _Reader) -> int:
    """Check magic and header; return the flags."""
    start = r.pos
    if bytes(r.take(len(MAGIC), "the lzop magic")) != MAGIC:
        raise LzopError(f"not an lzop file: bad magic number at offset {start}")
    header_start = r.pos
    version = r.u16("the header version")
    if version < 0x0900:
        raise LzopError(f"lzop header version {version:#06x} is too old to read")
    r.u16("the library version")
    if version >= 0x0940:
        needed = r.u16("version needed to extract")
        if needed > LZOP_VERSION:
            raise LzopError(f"lzop file needs version {needed:#06x} to extract")
    method = r.u8("the method")
    if version >= 0x0940:
        r.u8("the level")
    if method not in _LZO1X_METHODS:
        raise LzopError(f"unsupported lzop method {method} (only LZO1X methods 1-3 are read)")
    flags = r.u32("the flags")
    if flags & F_H_FILTER:
        raise LzopError("lzop files written with a filter (lzop --filter) are not supported")
    if flags & F_MULTIPART:
        raise LzopError("multi-part lzop files are not supported")
    r.u32("the file mode")
    r.u32("the mtime")
    if version >= 0x0940:
        r.u32("the mtime high bits")
    name_len = r.u8("the file name length")
    r.take(name_len, "the file name")
    header_fn = zlib.crc32 if flags & F_H_CRC32 else zlib.adler32
    expected = header_fn(r.data[header_start : r.pos])
    stored = r.u32("the header checksum")
    if stored != expected:
        raise LzopError(
            f"lzop header checksum mismatch at offset {r.pos - 4}: "
            f"stored {stored:#010x}, computed {expected:#010x}"
        )
    if flags & F_H_EXTRA_FIELD:
        extra_len = r.u32("the extra field length")
        extra = r.take(extra_len, "the extra field")
        stored = r.u32("the extra field checksum")
        if stored != header_fn(struct.pack(">I", extra_len) + bytes(extra)):
            raise LzopError("lzop extra header field checksum mismatch")
    return flags


def _read_blocks(r: _Reader, flags: int, decode: Callable[[bytes, int], bytes]) -> bytearray:
    data_fn = _checksum_fn(flags, F_ADLER32_D, F_CRC32_D)
    comp_fn = _checksum_fn(flags, F_ADLER32_C, F_CRC32_C)
    out = bytearray()
    block_no = 0
    while True:
        offset = r.pos
        ulen = r.u32(f"the length of block {block_no}")
        if ulen == 0:
            return out
        if ulen > MAX_BLOCK_SIZE:
            raise LzopError(
                f"lzop block {block_no} at offset {offset} claims {ulen} bytes "
                f"(more than lzop's limit of {MAX_BLOCK_SIZE}): corrupt data"
            )
        clen = r.u32(f"the compressed length of block {block_no}")
        data_sum = r.u32(f"the checksum of block {block_no}") if data_fn else None
        comp_sum = None
        if comp_fn and clen < ulen:
            comp_sum = r.u32(f"the compressed checksum of block {block_no}")
        if clen > ulen:
            raise LzopError(
                f"lzop block {block_no} at offset {offset}: compressed length {clen} "
                f"exceeds uncompressed length {ulen}"
            )
        payload = bytes(r.take(clen, f"the data of block {block_no}"))
        if comp_sum is not None and comp_fn(payload) != comp_sum:
            raise LzopError(
                f"lzop block {block_no} at offset {offset}: compressed data checksum mismatch"
            )
        if clen == ulen:
            block = payload
        else:
            try:
                block = decode(payload, ulen)
            except LzopError as exc:
                raise LzopError(f"lzop block {block_no} at offset {offset}: {exc}") from None
            if len(block) != ulen:
                raise LzopError(
                    f"lzop block {block_no} at offset {offset}: decompressed to "
                    f"{len(block)} bytes, expected {ulen}"
                )
        if data_sum is not None and data_fn(block) != data_sum:
            raise LzopError(f"lzop block {block_no} at offset {offset}: data checksum mismatch")
        out += block
        block_no += 1


def _lzallright_decoder(lib: Any) -> Callable[[bytes, int], bytes]:
    def decode(payload: bytes, ulen: int) -> bytes:
        try:
            return lib.LZOCompressor.decompress(payload, output_size_hint=ulen)
        except lib.LZOError as exc:
            raise LzopError(f"corrupt LZO1X data ({exc.args[0]})") from None

    return decode


def decompress(data: bytes, *, pure_python: bool = False) -> bytes:
    """Return the content of an lzop file (several concatenated members are joined).

    Uses `lzallright` when importable, else (or with `pure_python=True`) the pure-Python
    LZO1X decoder. Raises `LzopError` naming what is wrong and the offset.
    """
    lib = None if pure_python else _lzallright()
    decode = _lzallright_decoder(lib) if lib is not None else lzo1x_decompress_python
    r = _Reader(data)
    if len(data) == 0:
        raise LzopError("not an lzop file: the data is empty")
    out = bytearray()
    while True:
        flags = _read_header(r)
        out += _read_blocks(r, flags, decode)
        if r.pos == len(data):
            return bytes(out)
        if bytes(r.data[r.pos : r.pos + len(MAGIC)]) != MAGIC:
            raise LzopError(
                f"unexpected {len(data) - r.pos} trailing bytes after the lzop end marker "
                f"at offset {r.pos}"
            )


# --------------------------------------------------------------------------------------
# LZO1X decompression in pure Python (the format of lzo1x_decompress_safe)


def lzo1x_decompress_python(src: bytes, out_len: int) -> bytes:
    """Decode one raw LZO1X stream expected to produce `out_len` bytes.

    A straight reading of LZO's safe decoder: every input, output and look-behind access is
    checked, and any violation raises `LzopError` rather than producing wrong data.
    """
    ip = 0
    n = len(src)
    out = bytearray()

    def need_in(k: int) -> None:
        if ip + k > n:
            raise LzopError("corrupt LZO1X data (input overrun)")

    def need_out(k: int) -> None:
        if len(out) + k > out_len:
            raise LzopError("corrupt LZO1X data (output overrun)")

    def copy_match(dist: int, length: int) -> None:
        # dist: how far back the match starts (>= 1)
        start = len(out) - dist
        if start < 0:
            raise LzopError("corrupt LZO1X data (look-behind overrun)")
        need_out(length)
        if dist >= length:
            out.extend(out[start : start + length])
        else:  # overlapping copy repeats the last `dist` bytes
            pattern = bytes(out[start:])
            reps, rest = divmod(length, dist)
            out.extend(pattern * reps + pattern[:rest])

    def extended_length(base: int) -> int:
        nonlocal ip
        total = 0
        while True:
            need_in(1)
            b = src[ip]
            ip += 1
            if b:
                return total + base + b
            total += 255
            if total > out_len + 255:
                raise LzopError("corrupt LZO1X data (length runs past the block)")

    def literals(count: int) -> None:
        nonlocal ip
        need_in(count)
        need_out(count)
        out.extend(src[ip : ip + count])
        ip += count

    need_in(1)
    state = 0
    if src[0] > 17:
        t = src[0] - 17
        ip = 1
        literals(t)
        state = t if t < 4 else 4

    while True:
        need_in(1)
        t = src[ip]
        ip += 1
        if t < 16:
            if state == 0:
                # a run of literals
                length = extended_length(15) if t == 0 else t
                literals(length + 3)
                state = 4
                continue
            need_in(1)
            if state != 4:
                # 2-byte match right after a short literal run
                dist = 1 + (t >> 2) + (src[ip] << 2)
                ip += 1
                copy_match(dist, 2)
            else:
                # 3-byte match at distance 2049..3072
                dist = 1 + 0x0800 + (t >> 2) + (src[ip] << 2)
                ip += 1
                copy_match(dist, 3)
            nxt = t & 3
        elif t >= 64:
            need_in(1)
            dist = 1 + ((t >> 2) & 7) + (src[ip] << 3)
            ip += 1
            copy_match(dist, (t >> 5) + 1)
            nxt = t & 3
        elif t >= 32:
            length = t & 31
            length = extended_length(31) if length == 0 else length
            need_in(2)
            word = src[ip] | (src[ip + 1] << 8)
            ip += 2
            copy_match(1 + (word >> 2), length + 2)
            nxt = word & 3
        else:  # 16..31: far match, or the end-of-stream marker
            length = t & 7
            length = extended_length(7) if length == 0 else length
            need_in(2)
            word = src[ip] | (src[ip + 1] << 8)
            ip += 2
            dist = ((t & 8) << 11) + (word >> 2)
            if dist == 0:
                if length + 2 != 3:
                    raise LzopError("corrupt LZO1X data (bad end-of-stream marker)")
                if ip != n:
                    raise LzopError(f"corrupt LZO1X data ({n - ip} bytes after the end marker)")
                if len(out) != out_len:
                    raise LzopError(
                        f"corrupt LZO1X data (ended after {len(out)} of {out_len} bytes)"
                    )
                return bytes(out)
            copy_match(dist + 0x4000, length + 2)
            nxt = word & 3
        # 0-3 literals follow a match; the count is the low bits of its last opcode byte
        state = nxt
        if nxt:
            literals(nxt)
