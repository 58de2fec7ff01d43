#!/usr/bin/env python3
"""Makes the container-semantics fixtures of ContainerSemanticsTest (issue 21 items 2, 3, 7) with the real tools, and
their expected pixels as Pillow reads them.

Run from anywhere: python3 make_fixtures.py   (needs Pillow, ImageMagick's `convert`, `exiftool`, and the ICC profiles
Ghostscript ships in /usr/share/color/icc/ghostscript: rommrgb.icc is ROMM RGB = ProPhoto, a98.icc Adobe RGB 1998).
The picture is samples/images/squirrel_cls.jpg (OpenCV samples, Apache-2.0 / BSD) resized.

- tiff_cmyk_magick_lzw.tif: ImageMagick `-colorspace CMYK -compress LZW` (CMYK TIFF: samples are ink, 0 = no ink).
- tiff_cmyk_pillow.tif: Pillow's convert("CMYK") saved as an uncompressed TIFF.
- jpeg_prophoto.jpg / jpeg_adobergb.jpg: ImageMagick `-profile` assigning the ICC profile to an untagged picture (the
  samples stay; the profile says they are ProPhoto / Adobe RGB); 160x120.
- jpeg_no_dht.jpg: a Pillow baseline JPEG (standard Huffman tables) with its DHT segments removed, as MJPEG webcam
  frames come (the decoder must use the standard tables of JPEG Annex K.3, as libjpeg-turbo and browsers do).

expected.tsv and <file>.rgb: Pillow's Image.open(f).convert("RGB") (colour profiles ignored). <file>.half.rgb for the
JPEGs with a profile: the same after Image.draft("RGB", (w // 2, h // 2)), libjpeg's DCT scaling by 1/2.
"""
import hashlib
import subprocess
from pathlib import Path

import PIL
from PIL import Image, features

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[5]
PHOTO = REPO / "samples" / "images" / "squirrel_cls.jpg"
ICC = Path("/usr/share/color/icc/ghostscript")


def run(*cmd):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True).stdout.strip()


def strip_dht(jpeg):
    out, i = bytearray(jpeg[:2]), 2
    while True:
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2:i + 4], "big")
        if marker == 0xDA:
            return bytes(out + jpeg[i:])
        if marker != 0xC4:
            out += jpeg[i:i + 2 + length]
        i += 2 + length


def make():
    small = HERE / "_small.png"
    Image.open(PHOTO).convert("RGB").resize((61, 47), Image.BILINEAR).save(small)
    run("convert", small, "-colorspace", "CMYK", "-compress", "LZW", HERE / "tiff_cmyk_magick_lzw.tif")
    Image.open(small).convert("CMYK").save(HERE / "tiff_cmyk_pillow.tif")
    medium = HERE / "_medium.png"
    Image.open(PHOTO).convert("RGB").resize((160, 120), Image.BILINEAR).save(medium)
    run("convert", medium, "-profile", ICC / "rommrgb.icc", "-quality", "90", HERE / "jpeg_prophoto.jpg")
    run("convert", medium, "-profile", ICC / "a98.icc", "-quality", "90", HERE / "jpeg_adobergb.jpg")
    Image.open(small).save(HERE / "_baseline.jpg", quality=90)
    (HERE / "jpeg_no_dht.jpg").write_bytes(strip_dht((HERE / "_baseline.jpg").read_bytes()))
    for tmp in HERE.glob("_*"):
        tmp.unlink()


def main():
    make()
    lines = [f"# Pillow {PIL.__version__} (libjpeg-turbo {features.version('jpg')}, libtiff {features.version('libtiff')}),"
             f" {run('convert', '-version').splitlines()[0]}, exiftool {run('exiftool', '-ver')}:"
             " Image.open(f).convert('RGB'); <file>.rgb holds the raw RGB bytes",
             "file\twidth\theight\tsha256_of_rgb\tpillow_mode"]
    for p in sorted(HERE.glob("*.*")):
        if p.suffix not in (".tif", ".jpg"):
            continue
        with Image.open(p) as im:
            mode = im.mode
            data = im.convert("RGB").tobytes()
            lines.append(f"{p.name}\t{im.width}\t{im.height}\t{hashlib.sha256(data).hexdigest()}\t{mode}")
            (HERE / (p.name + ".rgb")).write_bytes(data)
        if p.name in ("jpeg_prophoto.jpg", "jpeg_adobergb.jpg"):
            with Image.open(p) as im:
                im.draft("RGB", (im.width // 2, im.height // 2))
                (HERE / (p.name + ".half.rgb")).write_bytes(im.convert("RGB").tobytes())
    (HERE / "expected.tsv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
