#!/usr/bin/env python3
"""The shared case jpeg-grey (issue 26 item 4): a greyscale camera photo, and the tensors Pillow gives for it.

Run from the repository root: python3 shared/inference/src/test/resources/cases/jpeg-grey/make_case.py
(needs ImageMagick's `convert`, Pillow, NumPy and onnx).

- ladybird_gray.jpg: samples/large/LadyBird.jpg (2560x1600, provenance there) through ImageMagick
  `convert -resize 1024x640 -colorspace Gray -quality 90`: a one-component (greyscale) baseline JPEG, 1024x640.
- exact.pb / fast.pb: the ImageNet input tensors [1, 3, 224, 224] (TensorProto) of Pillow's
  Image.open(f).convert("RGB"), torchvision's standard preprocessing (resize the short side to 256 bilinear,
  centre-crop 224, mean/std): exact.pb without draft, fast.pb after Image.draft("RGB", ...) picks libjpeg's DCT
  scaling by 1/2 (640 / 2 = 320 >= 256), as bench/python/pillow_draft.py does.
"""
import subprocess
from pathlib import Path

import numpy as np
import PIL
from onnx import numpy_helper
from PIL import Image

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[6]
PHOTO = HERE / "ladybird_gray.jpg"


def tensor(draft):
    im = Image.open(PHOTO)
    assert im.mode == "L", im.mode
    if draft:
        w, h = im.size
        scale = 256 / min(w, h)
        im.draft("RGB", (int(w * scale) + 1, int(h * scale) + 1))
    im = im.convert("RGB")
    w, h = im.size
    nw, nh = (256, int(256 * h / w)) if w <= h else (int(256 * w / h), 256)
    im = im.resize((nw, nh), Image.BILINEAR)
    left, top = round((nw - 224) / 2), round((nh - 224) / 2)
    im = im.crop((left, top, left + 224, top + 224))
    x = np.asarray(im, dtype=np.float32) / 255.0
    x = (x - np.array([0.485, 0.456, 0.406], dtype=np.float32)) / np.array([0.229, 0.224, 0.225], dtype=np.float32)
    return x.transpose(2, 0, 1)[None].astype(np.float32), im.size


subprocess.run(["convert", str(REPO / "samples/large/LadyBird.jpg"), "-resize", "1024x640", "-colorspace", "Gray",
                "-quality", "90", str(PHOTO)], check=True)
for name, draft in (("exact", False), ("fast", True)):
    x, _ = tensor(draft)
    (HERE / f"{name}.pb").write_bytes(numpy_helper.from_array(x, "input").SerializeToString())
version = subprocess.run(["convert", "-version"], capture_output=True, text=True).stdout.splitlines()[0]
print("Pillow", PIL.__version__, "|", version)
