#!/usr/bin/env python3
"""Makes the detection fixtures of DetectionScalesTest and their reference boxes (Pillow + ONNX Runtime).

Run from anywhere: python3 make_reference.py   (needs ImageMagick's `convert`, `exiftool`, Pillow, numpy and
onnxruntime; the versions that made the committed files are written into reference.json).

Photos: samples/images/dog.jpg (darknet, public domain) enlarged by ImageMagick (Triangle filter) so that Sluice
decodes it reduced:
- dog_3456.jpg (3456x2592): decoded at 1/1, 1/2, 1/4 and 1/8 (decode "fast" picks 1/8 for inputSize 416);
- dog_1536_o6.jpg / dog_1536_o8.jpg (stored turned, 1152x1536, EXIF orientation 6 / 8 set by exiftool): upright
  1536x1152,
  decoded at 1/1 and 1/2;
- dog_5760.jpg (5760x4320, 24.9 MP): over the 24 MP full-decode limit, so decoded at 1/2 even with decode "exact".

The reference for a photo at scale s is what a Pillow user gets by decoding the same reduced picture and mapping the
boxes back to the original: Image.open(f); draft("RGB", (W // s, H // s)) (libjpeg's DCT scaling, as Sluice's
libjpeg-turbo decode); convert("RGB"); ImageOps.exif_transpose; YOLOX letterbox (bilinear with half-pixel centres,
the formula of ObjectDetector.preprocess); ONNX Runtime on samples/models/yolox_nano.onnx; grid decoding, score =
objectness x best class > 0.3, class-wise NMS at IoU 0.45; boxes / ratio x (full size / decoded size).
"""
import json
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import onnxruntime
import PIL
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[5]
DOG = REPO / "samples" / "images" / "dog.jpg"
MODEL = REPO / "samples" / "models" / "yolox_nano.onnx"
SIZE = 416
STRIDES = (8, 16, 32)
SCORE, NMS = 0.3, 0.45


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def make_photos():
    run("convert", str(DOG), "-filter", "Triangle", "-resize", "3456x2592!", "-quality", "75", str(HERE / "dog_3456.jpg"))
    run("convert", str(DOG), "-filter", "Triangle", "-resize", "5760x4320!", "-quality", "60", str(HERE / "dog_5760.jpg"))
    # stored rotated so that the EXIF orientation turns it upright again
    for v, rotate in ((6, "-90"), (8, "90")):
        out = HERE / f"dog_1536_o{v}.jpg"
        run("convert", str(DOG), "-filter", "Triangle", "-resize", "1536x1152!", "-rotate", rotate, "-quality", "85",
            str(out))
        run("exiftool", "-q", "-overwrite_original", f"-Orientation#={v}", str(out))


def decode(path, scale):
    im = Image.open(path)
    full = im.size
    if scale > 1:
        im.draft("RGB", (full[0] // scale, full[1] // scale))
    decoded = im.size
    orientation = im.getexif().get(0x0112, 1)
    im = ImageOps.exif_transpose(im.convert("RGB"))
    if orientation >= 5:
        full = (full[1], full[0])
    return np.asarray(im), full, decoded


def letterbox(rgb):
    h, w, _ = rgb.shape
    r = min(SIZE / h, SIZE / w)
    nw, nh = int(w * r), int(h * r)
    fy = np.maximum(0, (np.arange(nh) + 0.5) * (h / nh) - 0.5)
    fx = np.maximum(0, (np.arange(nw) + 0.5) * (w / nw) - 0.5)
    y0 = np.minimum(fy.astype(np.int64), h - 1)
    x0 = np.minimum(fx.astype(np.int64), w - 1)
    y1 = np.minimum(y0 + 1, h - 1)
    x1 = np.minimum(x0 + 1, w - 1)
    dy = (fy - y0)[:, None, None]
    dx = (fx - x0)[None, :, None]
    p = rgb.astype(np.float64)
    v = (1 - dy) * ((1 - dx) * p[y0][:, x0] + dx * p[y0][:, x1]) + dy * ((1 - dx) * p[y1][:, x0] + dx * p[y1][:, x1])
    canvas = np.full((SIZE, SIZE, 3), 114.0)
    canvas[:nh, :nw] = np.clip(np.rint(v), 0, 255)
    bgr = canvas[:, :, ::-1]
    return np.ascontiguousarray(bgr.transpose(2, 0, 1)[None].astype(np.float32)), r


def iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return 0.0 if union <= 0 else inter / union


def detect(session, tensor, r, to_x, to_y):
    out = session.run(None, {session.get_inputs()[0].name: tensor})[0][0]
    boxes, anchor = [], 0
    for stride in STRIDES:
        cells = SIZE // stride
        for gy in range(cells):
            for gx in range(cells):
                a = out[anchor]
                anchor += 1
                best = 5 + int(np.argmax(a[5:]))
                score = float(np.float32(a[4]) * np.float32(a[best]))
                if score <= SCORE:
                    continue
                cx, cy = (float(a[0]) + gx) * stride, (float(a[1]) + gy) * stride
                bw, bh = math.exp(float(a[2])) * stride, math.exp(float(a[3])) * stride
                boxes.append([(cx - bw / 2) / r * to_x, (cy - bh / 2) / r * to_y, (cx + bw / 2) / r * to_x,
                              (cy + bh / 2) / r * to_y, score, best - 5])
    boxes.sort(key=lambda b: -b[4])
    kept = []
    for b in boxes:
        if not any(k[5] == b[5] and iou(k, b) > NMS for k in kept):
            kept.append(b)
    return [{"classId": k[5], "score": round(k[4], 4), "box": [round(v, 2) for v in k[:4]]} for k in kept]


def main():
    make_photos()
    session = onnxruntime.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    cases = []
    for name, scales in (("dog_3456.jpg", (1, 2, 4, 8)), ("dog_1536_o6.jpg", (1, 2)), ("dog_1536_o8.jpg", (1, 2)),
                         ("dog_5760.jpg", (2,))):
        for s in scales:
            rgb, full, decoded = decode(HERE / name, s)
            tensor, r = letterbox(rgb)
            h, w, _ = rgb.shape
            objects = detect(session, tensor, r, full[0] / w, full[1] / h)
            cases.append({"file": name, "scale": s, "fullWidth": full[0], "fullHeight": full[1],
                          "decodedWidth": w, "decodedHeight": h, "objects": objects})
            print(name, s, full, (w, h), [(o["classId"], o["box"]) for o in objects])
    versions = {"pillow": PIL.__version__, "onnxruntime": onnxruntime.__version__, "numpy": np.__version__,
                "imagemagick": run("convert", "-version").splitlines()[0], "exiftool": run("exiftool", "-ver")}
    (HERE / "reference.json").write_text(json.dumps({"tools": versions, "cases": cases}, indent=1) + "\n")


if __name__ == "__main__":
    main()
