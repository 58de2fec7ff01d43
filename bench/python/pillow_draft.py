#!/usr/bin/env python3
"""The Pillow side of Sluice's photo benchmarks (bench/PhotoBench.java runs it; nothing here is timed by tests).

  pillow_draft.py decode PHOTO...            per photo: decode + preprocess with JPEG draft mode, one thread, best of 15
  pillow_draft.py job MODEL THREADS N PHOTO...  N items cycled over the photos: draft decode + preprocess and
                                               ONNX Runtime (batches of 32, THREADS intra-op threads, decoding on
                                               THREADS threads), the 30-line script a user would write
  pillow_draft.py savvy MODEL THREADS N PHOTO...  the same, with decoding in THREADS worker processes that prepare
                                               the next batch while ONNX Runtime runs this one (what a savvy user
                                               or Ray Data does)

Preprocessing is torchvision's standard (resize short side 256 bilinear, centre-crop 224, ImageNet mean/std), as
Sluice's default. Prints one JSON object on stdout. Needs Pillow (and onnxruntime + numpy for `job`); when they are
missing it prints {"skipped": "why"}.
"""
import json
import sys
import time


def preprocess(path, draft=True):
    from PIL import Image
    import numpy as np
    im = Image.open(path)
    if draft:
        # the largest of 1/2, 1/4, 1/8 that keeps the short side >= 256 (libjpeg DCT scaling)
        w, h = im.size
        scale = 256 / min(w, h)
        im.draft("RGB", (int(w * scale) + 1, int(h * scale) + 1))
    im = im.convert("RGB")
    w, h = im.size
    if w <= h:
        nw, nh = 256, int(256 * h / w)
    else:
        nw, nh = int(256 * w / h), 256
    im = im.resize((nw, nh), Image.BILINEAR)
    left, top = round((nw - 224) / 2), round((nh - 224) / 2)
    im = im.crop((left, top, left + 224, top + 224))
    x = np.asarray(im, dtype=np.float32) / 255.0
    x = (x - np.array([0.485, 0.456, 0.406], dtype=np.float32)) / np.array([0.229, 0.224, 0.225], dtype=np.float32)
    return x.transpose(2, 0, 1)


def decode(photos):
    import PIL
    out = {"pillow": PIL.__version__, "photos": {}}
    for p in photos:
        for _ in range(3):
            preprocess(p)
        times = []
        for _ in range(15):
            t = time.perf_counter()
            preprocess(p)
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out["photos"][p.rsplit("/", 1)[-1]] = times[0]  # the fastest run: the least disturbed on a shared machine
    return out


def job(model, threads, n, photos):
    import numpy as np
    import onnxruntime as ort
    from concurrent.futures import ThreadPoolExecutor
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    items = [photos[i % len(photos)] for i in range(n)]
    pool = ThreadPoolExecutor(threads)
    session.run(None, {name: np.stack(list(pool.map(preprocess, items[:32])))})  # warm-up
    start = time.perf_counter()
    top1 = []
    for b in range(0, n, 32):
        batch = np.stack(list(pool.map(preprocess, items[b:b + 32])))
        logits = session.run(None, {name: batch})[0]
        top1 += logits.argmax(axis=1).tolist()
    seconds = time.perf_counter() - start
    return {"onnxruntime": ort.__version__, "items": n, "seconds": seconds, "items_per_second": n / seconds,
            "top1": top1[:len(photos)]}


def savvy(model, threads, n, photos):
    import numpy as np
    import onnxruntime as ort
    from concurrent.futures import ProcessPoolExecutor
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    items = [photos[i % len(photos)] for i in range(n)]
    with ProcessPoolExecutor(threads) as pool:
        session.run(None, {name: np.stack(list(pool.map(preprocess, items[:32])))})  # warm-up (and the workers)
        start = time.perf_counter()
        top1 = []
        batches = [items[b:b + 32] for b in range(0, n, 32)]
        pending = [pool.submit(preprocess, p) for p in batches[0]]
        for k in range(len(batches)):
            batch = np.stack([f.result() for f in pending])
            pending = [pool.submit(preprocess, p) for p in batches[k + 1]] if k + 1 < len(batches) else []
            top1 += session.run(None, {name: batch})[0].argmax(axis=1).tolist()
        seconds = time.perf_counter() - start
    return {"onnxruntime": ort.__version__, "items": n, "seconds": seconds, "items_per_second": n / seconds,
            "top1": top1[:len(photos)]}


if __name__ == "__main__":
    try:
        if sys.argv[1] == "decode":
            result = decode(sys.argv[2:])
        elif sys.argv[1] == "savvy":
            result = savvy(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
        else:
            result = job(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5:])
    except ImportError as e:
        result = {"skipped": "python3 lacks " + e.name}
    print(json.dumps(result))
