"""Writes linear.onnx: the tabular model of test_local.py's execution (scores = features · W + bias, 3 features → 2
scores, labels neg/pos), and prints ONNX Runtime's scores of the test rows. Made with onnx 1.23.1 and checked with
onnxruntime 1.23 / Python 3.11: `python3 make_linear_onnx.py` in this folder."""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

W = np.array([[0.5, -1.25], [2.0, 0.75], [-0.3, 0.1]], dtype=np.float32)
BIAS = np.array([0.1, -0.2], dtype=np.float32)

graph = helper.make_graph(
    [helper.make_node("MatMul", ["features", "W"], ["xw"]), helper.make_node("Add", ["xw", "bias"], ["scores"])],
    "linear",
    [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["rows", 3])],
    [helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["rows", 2])],
    [numpy_helper.from_array(W, "W"), numpy_helper.from_array(BIAS, "bias")])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="sluice-python-tests")
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, "linear.onnx")

if __name__ == "__main__":
    import onnxruntime as ort
    rows = np.array([[1, 2, 3], [0.5, -1, 4]], dtype=np.float32)
    print(ort.InferenceSession("linear.onnx").run(None, {"features": rows})[0])
