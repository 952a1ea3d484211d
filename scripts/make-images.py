#!/usr/bin/env python3
"""Draws the sample document images idenfy-mock serves as fileUrls.

Plain PNGs written with zlib only, so no imaging library is needed:
  assets/front.png  an ID card front (photo box, text lines)
  assets/back.png   an ID card back (machine-readable-zone stripes)
  assets/face.png   a selfie (a face on a plain background)
Run from the repository root: python3 scripts/make-images.py
"""
import struct
import zlib

W, H = 240, 150


def png(path, pixels, w, h):
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def canvas(w, h, color):
    return [[color for _ in range(w)] for _ in range(h)]


def rect(p, x0, y0, x1, y1, color):
    for y in range(y0, y1):
        for x in range(x0, x1):
            p[y][x] = color


def ellipse(p, cx, cy, rx, ry, color):
    for y in range(cy - ry, cy + ry + 1):
        for x in range(cx - rx, cx + rx + 1):
            if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 and 0 <= y < len(p) and 0 <= x < len(p[0]):
                p[y][x] = color


card, ink, photo, skin = (214, 232, 245), (40, 60, 90), (160, 180, 200), (236, 196, 164)

front = canvas(W, H, card)
rect(front, 0, 0, W, 22, (30, 90, 160))
rect(front, 14, 34, 84, 124, photo)
ellipse(front, 49, 70, 18, 22, skin)
rect(front, 27, 100, 71, 124, ink)
for i, width in enumerate([110, 90, 120, 70, 100]):
    rect(front, 100, 40 + i * 17, 100 + width, 47 + i * 17, ink)
png("assets/front.png", front, W, H)

back = canvas(W, H, card)
rect(back, 14, 20, 226, 60, photo)
for i in range(3):
    for j in range(30):
        rect(back, 14 + j * 7, 90 + i * 18, 19 + j * 7, 102 + i * 18, ink)
png("assets/back.png", back, W, H)

face = canvas(160, 200, (200, 210, 220))
rect(face, 40, 150, 120, 200, (60, 80, 120))
ellipse(face, 80, 90, 42, 55, skin)
ellipse(face, 64, 80, 6, 4, ink)
ellipse(face, 96, 80, 6, 4, ink)
rect(face, 66, 118, 94, 122, (170, 90, 90))
png("assets/face.png", face, 160, 200)
