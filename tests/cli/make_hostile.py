#!/usr/bin/env python3
"""polish tests: hostile and unusual inputs, made here rather than stored.

  make_hostile.py wide-png OUT              a 178956970x1 RGB PNG that really decodes (521 KB)
  make_hostile.py big-tile-tiff OUT         a 64x64 TIFF with one 30000x30000 deflate tile
  make_hostile.py many-scans IN.jpg OUT N   a progressive JPEG whose last scan is repeated N times
  make_hostile.py apng OUT                  a 2-frame animated PNG (8x8)
"""
import struct
import sys
import zlib


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def deflate_zeros(n, prefix=b"", row=None):
    """zlib stream of n zero bytes (row: bytes per row, a 0 filter byte before each)."""
    c = zlib.compressobj(9)
    out = [c.compress(prefix)]
    block = bytes(1 << 20)
    left = n
    while left:
        k = min(left, len(block))
        out.append(c.compress(block[:k]))
        left -= k
    out.append(c.flush())
    return b"".join(out)


def wide_png(path):
    w, h = 178956970, 1
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    idat = deflate_zeros(w * 3 + 1)  # filter byte 0 then the row
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))


def big_tile_tiff(path):
    w = h = 64
    tw = th = 30000
    data = deflate_zeros(tw * th)
    entries = [  # tag, type, count, value
        (256, 3, 1, w), (257, 3, 1, h), (258, 3, 1, 8), (259, 3, 1, 8), (262, 3, 1, 1),
        (277, 3, 1, 1), (322, 3, 1, tw), (323, 3, 1, th), (324, 4, 1, None), (325, 4, 1, len(data)),
    ]
    ifd_off = 8
    data_off = ifd_off + 2 + 12 * len(entries) + 4
    ifd = struct.pack("<H", len(entries))
    for tag, typ, count, val in entries:
        if val is None:
            val = data_off
        if typ == 3:
            ifd += struct.pack("<HHIHH", tag, typ, count, val, 0)
        else:
            ifd += struct.pack("<HHII", tag, typ, count, val)
    ifd += struct.pack("<I", 0)
    with open(path, "wb") as f:
        f.write(b"II*\x00" + struct.pack("<I", ifd_off) + ifd + data)


def segments(jpg):
    """(marker, bytes) of every segment; an SOS segment carries its entropy-coded data."""
    i, out = 2, []
    while i < len(jpg):
        assert jpg[i] == 0xFF
        m = jpg[i + 1]
        if m == 0xD9:
            out.append((m, jpg[i:i + 2]))
            break
        n = struct.unpack(">H", jpg[i + 2:i + 4])[0]
        j = i + 2 + n
        if m == 0xDA:
            while not (jpg[j] == 0xFF and jpg[j + 1] not in (0x00,) and not 0xD0 <= jpg[j + 1] <= 0xD7):
                j += 1
        out.append((m, jpg[i:j]))
        i = j
    return out


def many_scans(src, path, n):
    jpg = open(src, "rb").read()
    segs = segments(jpg)
    sos = [k for k, (m, _) in enumerate(segs) if m == 0xDA]
    last = segs[sos[-1]][1]
    body = b"".join(s for _, s in segs[:-1])
    with open(path, "wb") as f:
        f.write(b"\xff\xd8" + body + last * n + b"\xff\xd9")


def apng(path):
    w = h = 8
    raw = b"".join(b"\x00" + bytes([200, 30, 30]) * w for _ in range(h))
    raw2 = b"".join(b"\x00" + bytes([30, 30, 200]) * w for _ in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    actl = struct.pack(">II", 2, 0)
    fctl0 = struct.pack(">IIIIIHHBB", 0, w, h, 0, 0, 1, 10, 0, 0)
    fctl1 = struct.pack(">IIIIIHHBB", 1, w, h, 0, 0, 1, 10, 0, 0)
    fdat = struct.pack(">I", 2) + zlib.compress(raw2)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"acTL", actl) + chunk(b"fcTL", fctl0)
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"fcTL", fctl1) + chunk(b"fdAT", fdat)
                + chunk(b"IEND", b""))


if __name__ == "__main__":
    kind = sys.argv[1]
    if kind == "wide-png":
        wide_png(sys.argv[2])
    elif kind == "big-tile-tiff":
        big_tile_tiff(sys.argv[2])
    elif kind == "many-scans":
        many_scans(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif kind == "apng":
        apng(sys.argv[2])
    else:
        sys.exit("unknown kind " + kind)
