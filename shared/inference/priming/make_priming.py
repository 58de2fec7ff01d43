"""Makes the priming inputs of OnnxPredictor.prime() (SnapStart, issue 26): a tiny classifier and a small JPEG.

Run from the repository root: python3 shared/inference/priming/make_priming.py
Writes shared/inference/src/main/resources/dev/sluice/inference/priming/{classifier.onnx,photo.jpg} and prints the
top-1 class that Pillow's preprocessing (draft + resize 40 + centre crop 32 + ImageNet normalisation) and ONNX Runtime
give, which OnnxPredictorPrimingTest expects from Sluice's own pipeline.

The model: input [N, 3, 32, 32] float -> Conv 3x3 (8) -> Relu -> GlobalAveragePool -> Flatten -> Gemm (4 classes),
fixed weights (seeded); it exercises the session, the intra-op pool and the tensor path, not any accuracy.
The photo: samples/large/LadyBird.jpg scaled to 320x200 with Pillow, JPEG quality 85, 4:2:0 (a DCT-scaled decode).
"""
import io
import pathlib

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[3]
OUT = ROOT / "shared/inference/src/main/resources/dev/sluice/inference/priming"

rng = np.random.default_rng(26)
w = rng.normal(0, 0.5, (8, 3, 3, 3)).astype(np.float32)
b = rng.normal(0, 0.1, (8,)).astype(np.float32)
g = rng.normal(0, 1.0, (4, 8)).astype(np.float32)
gb = np.zeros((4,), np.float32)
graph = helper.make_graph(
    [helper.make_node("Conv", ["input", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
     helper.make_node("Relu", ["c"], ["r"]),
     helper.make_node("GlobalAveragePool", ["r"], ["p"]),
     helper.make_node("Flatten", ["p"], ["f"]),
     helper.make_node("Gemm", ["f", "g", "gb"], ["output"], transB=1)],
    "sluice-priming",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
    [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", 4])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"), numpy_helper.from_array(g, "g"),
     numpy_helper.from_array(gb, "gb")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="sluice")
model.ir_version = 8
onnx.checker.check_model(model)
OUT.mkdir(parents=True, exist_ok=True)
(OUT / "classifier.onnx").write_bytes(model.SerializeToString())

photo = Image.open(ROOT / "samples/large/LadyBird.jpg").convert("RGB").resize((320, 200), Image.LANCZOS)
buf = io.BytesIO()
photo.save(buf, "JPEG", quality=85, subsampling=2)
(OUT / "photo.jpg").write_bytes(buf.getvalue())

im = Image.open(io.BytesIO(buf.getvalue()))
im.draft("RGB", (40, 40))
im = im.convert("RGB")
wd, ht = im.size
s = 40 / min(wd, ht)
im = im.resize((round(wd * s), round(ht * s)), Image.BILINEAR)
left, top = (im.size[0] - 32) // 2, (im.size[1] - 32) // 2
x = np.asarray(im.crop((left, top, left + 32, top + 32)), np.float32) / 255.0
x = (x - np.array([0.485, 0.456, 0.406], np.float32)) / np.array([0.229, 0.224, 0.225], np.float32)
x = x.transpose(2, 0, 1)[None]
logits = ort.InferenceSession(model.SerializeToString()).run(None, {"input": x})[0][0]
order = np.argsort(-logits)
print("logits", logits, "top-1", int(order[0]), "margin", float(logits[order[0]] - logits[order[1]]),
      "photo bytes", len(buf.getvalue()))
