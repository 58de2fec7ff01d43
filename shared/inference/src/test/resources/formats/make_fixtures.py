#!/usr/bin/env python3
"""Makes the image-format fixtures of ImageFormatsTest and their expected pixels, computed once by Pillow.

Run from anywhere: python3 make_fixtures.py   (needs Pillow with WebP and libtiff; jpegtran from libjpeg-turbo-progs
for the arithmetic-coded JPEG). The expected pixels of every fixture are Pillow's Image.open(f).convert("RGB")
(after ImageOps.exif_transpose for the orientation fixtures), written as raw interleaved RGB beside the file
(<file>.rgb) and listed in expected.tsv with the Pillow / libjpeg / libwebp versions that made them.

How each kind is made:
- JPEG baseline 4:2:0 / 4:4:4, progressive, greyscale, restart markers, CMYK (Adobe, inverted: Pillow always writes
  CMYK JPEGs with Adobe conventions): Pillow's encoder.
- JPEG arithmetic-coded: `jpegtran -arithmetic` (libjpeg-turbo) of the baseline fixture (Pillow cannot write it).
- JPEG Adobe CMYK from Photoshop and YCCK (Adobe transform 2): not writable by Pillow nor by libjpeg's tools; the two
  src_*.jpg files are copied from TwelveMonkeys' test resources (BSD-3-Clause, see PROVENANCE.md).
- PNG at every bit depth / colour type, with tRNS and Adam7 interlacing: written by the small PNG writer below
  (Pillow cannot write interlaced PNGs nor 2/4-bit greyscale), read back by Pillow.
- WebP lossy / lossless / with alpha, GIF (two frames; the first is expected), BMP, TIFF (none, LZW, Deflate, JPEG):
  Pillow's encoders (libwebp, libtiff).
"""
import hashlib
import os
import random
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import numpy
import PIL
from PIL import Image, ImageOps, features

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[5]
PHOTO = REPO / "samples" / "images" / "squirrel_cls.jpg"
W, H = 61, 47  # odd sizes: partial MCUs and partial bytes at every bit depth


def photo(size=(W, H)):
    return Image.open(PHOTO).convert("RGB").resize(size, Image.BILINEAR)


# ---- a minimal PNG writer: any bit depth and colour type, optional palette / tRNS / Adam7 -----------------------
ADAM7 = ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2))


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, n = bytearray(), 0, 0
    for s in samples:
        acc = (acc << depth) | s
        n += depth
        if n == 8:
            out.append(acc)
            acc, n = 0, 0
    if n:
        out.append(acc << (8 - n))
    return bytes(out)


def write_png(path, w, h, depth, color_type, pixels, palette=None, trns=None, interlace=False):
    """pixels[y][x] is a tuple of samples (1 for grey/palette, 2 grey+alpha, 3 RGB, 4 RGBA)."""
    raw = bytearray()
    passes = ADAM7 if interlace else ((0, 0, 1, 1),)
    for x0, y0, dx, dy in passes:
        xs = range(x0, w, dx)
        if not xs:
            continue
        for y in range(y0, h, dy):
            raw.append(0)
            raw += _pack_row([s for x in xs for s in pixels[y][x]], depth)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    if palette:
        png += _chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
    if trns is not None:
        png += _chunk(b"tRNS", trns)
    png += _chunk(b"IDAT", zlib.compress(bytes(raw), 9)) + _chunk(b"IEND", b"")
    path.write_bytes(png)


def pngs():
    rnd = random.Random(12)
    rgb = photo()
    px = rgb.load()
    for depth in (1, 2, 4, 8, 16):
        top = (1 << depth) - 1
        grey = [[(rnd.randint(0, top),) for _ in range(W)] for _ in range(H)]
        write_png(HERE / f"png_grey{depth}.png", W, H, depth, 0, grey)
    write_png(HERE / "png_grey8_trns.png", W, H, 8, 0, [[(x * 4 % 256,) for x in range(W)] for _ in range(H)],
              trns=struct.pack(">H", 8))
    for depth in (8, 16):
        scale = 256 if depth == 16 else 1
        la = [[(rnd.randint(0, 255) * scale + (rnd.randint(0, 255) if depth == 16 else 0), rnd.randint(0, 255) * scale)
               for _ in range(W)] for _ in range(H)]
        write_png(HERE / f"png_greyalpha{depth}.png", W, H, depth, 4, la)
        # 16 bits: high byte = the 8-bit value, low byte random, so only a decoder that takes the high byte (as Pillow) matches
        colour = [[tuple(c * scale + (rnd.randint(0, 255) if depth == 16 else 0) for c in px[x, y]) for x in range(W)]
                  for y in range(H)]
        write_png(HERE / f"png_rgb{depth}.png", W, H, depth, 2, colour)
        rgba = [[c + (rnd.randint(0, 255) * scale,) for c in row] for row in colour]
        write_png(HERE / f"png_rgba{depth}.png", W, H, depth, 6, rgba)
    for depth in (1, 2, 4, 8):
        n = 1 << depth
        palette = [(rnd.randint(0, 255), rnd.randint(0, 255), rnd.randint(0, 255)) for _ in range(n)]
        idx = [[(rnd.randint(0, n - 1),) for _ in range(W)] for _ in range(H)]
        write_png(HERE / f"png_palette{depth}_trns.png", W, H, depth, 3, idx, palette=palette,
                  trns=bytes(rnd.randint(0, 255) for _ in range(n // 2 or 1)))
    colour8 = [[px[x, y] for x in range(W)] for y in range(H)]
    write_png(HERE / "png_rgb8_interlaced.png", W, H, 8, 2, colour8, interlace=True)
    grey16 = [[(rnd.randint(0, 65535),) for _ in range(W)] for _ in range(H)]
    write_png(HERE / "png_grey16_interlaced.png", W, H, 16, 0, grey16, interlace=True)
    idx4 = [[(rnd.randint(0, 15),) for _ in range(W)] for _ in range(H)]
    write_png(HERE / "png_palette4_interlaced.png", W, H, 4, 3, idx4,
              palette=[(i * 16, 255 - i * 16, i * 7) for i in range(16)], trns=b"\x00\x80")


def jpegs():
    im = photo((64, 48))
    im.save(HERE / "jpeg_baseline420.jpg", quality=90)
    im.save(HERE / "jpeg_baseline444.jpg", quality=90, subsampling=0)
    im.save(HERE / "jpeg_progressive.jpg", quality=90, progressive=True)
    im.save(HERE / "jpeg_restart.jpg", quality=90, restart_marker_rows=1)
    im.convert("L").save(HERE / "jpeg_grey.jpg", quality=90)
    im.convert("CMYK").save(HERE / "jpeg_cmyk_pillow.jpg", quality=95)
    jpegtran = shutil.which("jpegtran")
    target = HERE / "jpeg_arithmetic.jpg"
    if jpegtran:
        with open(target, "wb") as out:
            subprocess.run([jpegtran, "-arithmetic", str(HERE / "jpeg_baseline420.jpg")], stdout=out, check=True)
    elif not target.exists():
        raise SystemExit("jpegtran (libjpeg-turbo-progs) is needed to make jpeg_arithmetic.jpg")
    shutil.copyfile(HERE / "src_cmyk_adobe.jpg", HERE / "jpeg_cmyk_adobe.jpg")
    shutil.copyfile(HERE / "src_ycck_adobe.jpg", HERE / "jpeg_ycck_adobe.jpg")


def others():
    im = photo()
    rgba = im.convert("RGBA")
    rgba.putalpha(Image.linear_gradient("L").resize(im.size))
    im.save(HERE / "webp_lossy.webp", quality=80)
    im.save(HERE / "webp_lossless.webp", lossless=True)
    rgba.save(HERE / "webp_lossy_alpha.webp", quality=80)
    rgba.save(HERE / "webp_lossless_alpha.webp", lossless=True)
    frames = [im.quantize(64), ImageOps.invert(im).quantize(64)]
    frames[0].save(HERE / "gif_animated.gif", save_all=True, append_images=frames[1:], duration=100, loop=0)
    im.save(HERE / "bmp_rgb24.bmp")
    im.quantize(200).save(HERE / "bmp_palette8.bmp")
    rgba.save(HERE / "bmp_rgba32.bmp")
    im.save(HERE / "tiff_none.tif", compression="raw")
    im.save(HERE / "tiff_lzw.tif", compression="tiff_lzw")
    im.save(HERE / "tiff_deflate.tif", compression="tiff_adobe_deflate")
    photo((64, 48)).save(HERE / "tiff_jpeg.tif", compression="jpeg", quality=90)


def orientation():
    """Stored frames of one upright picture for each EXIF orientation: orientation v applied to stored_v gives the
    upright picture (Pillow's ImageOps.exif_transpose). Small ones for pixels, full-size ones for classification."""
    inverse = {1: None, 2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
               4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90,
               7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_270}
    folder = HERE.parent / "orientation"
    folder.mkdir(exist_ok=True)
    for name, upright, small in (("squirrel", Image.open(PHOTO).convert("RGB"), False),
                                 ("small", photo((40, 24)), True),
                                 ("dog", Image.open(REPO / "samples" / "images" / "dog.jpg").convert("RGB"), False)):
        for v, t in inverse.items():
            if name == "dog" and v not in (1, 6):
                continue
            stored = upright if t is None else upright.transpose(t)
            exif = Image.Exif()
            exif[0x0112] = v
            stored.save(folder / f"{name}_o{v}.jpg", quality=95, exif=exif.tobytes())
    return folder


def expected(paths, folder, transpose=False):
    lines = [f"# Pillow {PIL.__version__}, libjpeg {features.version('jpg')}, libwebp {features.version('webp')}, "
             f"libtiff {features.version('libtiff')}: Image.open(f){'.exif_transpose' if transpose else ''}"
             f".convert('RGB') (16-bit grey: the high byte); <file>.rgb holds the raw RGB bytes",
             "file\twidth\theight\tsha256_of_rgb\tpillow_mode"]
    for p in sorted(paths):
        with Image.open(p) as im:
            mode = im.mode
            rgb = (ImageOps.exif_transpose(im) if transpose else im).convert("RGB")
            if mode.startswith("I;16"):
                # Pillow's convert("RGB") clips 16-bit grey at 255 (every sample above 255 turns white: the bug of
                # shared case png-grey16). Pillow reads 16-bit RGB, RGBA and grey+alpha PNGs by their high byte; 16-bit
                # grey is expected the same way, so it matches its 8-bit twin.
                high = (numpy.asarray(im, dtype=numpy.uint16) >> 8).astype(numpy.uint8)
                rgb = Image.fromarray(numpy.stack([high] * 3, axis=-1), "RGB")
        data = rgb.tobytes()
        (folder / (p.name + ".rgb")).write_bytes(data)
        lines.append(f"{p.name}\t{rgb.width}\t{rgb.height}\t{hashlib.sha256(data).hexdigest()}\t{mode}")
    (folder / "expected.tsv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    for old in HERE.glob("*.rgb"):
        old.unlink()
    pngs()
    jpegs()
    others()
    expected([p for p in HERE.iterdir() if p.suffix in (".png", ".jpg", ".webp", ".gif", ".bmp", ".tif")
              and not p.name.startswith("src_")], HERE)
    o = orientation()
    for old in o.glob("*.rgb"):
        old.unlink()
    expected(list(o.glob("small_o*.jpg")), o, transpose=True)
    print("fixtures written under", HERE, "and", o)
