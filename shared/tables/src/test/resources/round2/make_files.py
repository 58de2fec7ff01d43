"""Writes round 2's table test files with pandas and pyarrow (issue 21 items 4, 5, 6, 8), and the reference's reading
of each into expected.json, with the versions this ran with ("versions").

Run from this folder: python3 make_files.py. Files:
  na-spellings.csv      pandas to_csv of text cells holding every spelling of pandas' default na_values, a boolean
                        target column and a name column; expected: which cells pandas.read_csv reads as missing.
  bad-row.csv           the row `3,00003,NaN,1,1` among good ones (item 6), written by pandas.
  cp1252.csv            pandas to_csv(encoding="cp1252"): "café" is byte 0xE9, not UTF-8 (item 8).
  deltas.feather        pyarrow IPC file, emit_dictionary_deltas=True: batch 2 adds "bronze" as a delta (item 5).
  replacement.arrow     pyarrow IPC stream: batch 2 replaces the dictionary (["x", "y"] then ["bronze", "gold"]).
  codec-<name>.parquet  pandas to_parquet(compression=name) for snappy, gzip, zstd, brotli, lz4 (Parquet's LZ4, in
                        the Hadoop framing as Arrow writes it) and pyarrow's lz4_raw (item 8).
expected.json: per file, column names and cells as pyarrow/pandas read them (numbers as JSON numbers, missing: null).
"""
import json
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

NA = ['', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan', '1.#IND', '1.#QNAN', '<NA>', 'N/A',
      'NA', 'NULL', 'NaN', 'None', 'n/a', 'nan', 'null']
expected = {"versions": {"pandas": pd.__version__, "pyarrow": pa.__version__}, "files": {}}


def cells(df):
    return {c: [None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in df[c]] for c in df.columns}


# item 4: every default NA spelling in a numeric column, a True/False target, a numeric feature that has none
n = len(NA)
pd.DataFrame({
    "name": [f"r{i}" for i in range(n + 2)],
    "tenure": [str(i + 1) for i in range(n)] + ["4.5", "7"],
    "spend": NA + ["2.0", "3.0"],
    "visits": [str(i % 3) for i in range(n + 2)],
    "churned": ["True" if i % 2 else "False" for i in range(n + 2)],
}).to_csv("na-spellings.csv", index=False)
expected["files"]["na-spellings.csv"] = cells(pd.read_csv("na-spellings.csv"))

# item 6: a bad row's input values come back in every output format
pd.DataFrame({"id": ["1", "2", "3"], "key": ["00001", "00002", "00003"], "tenure": ["1.0", "2.0", "NaN"],
              "spend": ["1", "2", "1"], "visits": ["1", "0", "1"]}).to_csv("bad-row.csv", index=False)
expected["files"]["bad-row.csv"] = cells(pd.read_csv("bad-row.csv", dtype={"key": str}))

# item 8: a cp1252 CSV (Excel's "CSV" on Western Windows)
pd.DataFrame({"name": ["plain", "café"], "x": [1, 2]}).to_csv("cp1252.csv", index=False, encoding="cp1252")

# item 5: dictionary deltas (IPC file) and a replacement dictionary (IPC stream)
medal = pa.dictionary(pa.int8(), pa.string())
schema = pa.schema([("medal", medal), ("x", pa.float64())])
b1 = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1, 0], pa.int8()), pa.array(["gold", "silver"])),
                      pa.array([1.0, 2.0, 3.0])], schema=schema)
b2 = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([2, 0, None], pa.int8()),
                                                     pa.array(["gold", "silver", "bronze"])),
                      pa.array([4.0, 5.0, 6.0])], schema=schema)
with ipc.new_file("deltas.feather", schema, options=ipc.IpcWriteOptions(emit_dictionary_deltas=True)) as w:
    w.write_batch(b1)
    w.write_batch(b2)
b3 = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([1, 0], pa.int8()), pa.array(["bronze", "gold"])),
                      pa.array([7.0, 8.0])], schema=schema)
b0 = pa.record_batch([pa.DictionaryArray.from_arrays(pa.array([0, 1], pa.int8()), pa.array(["x", "y"])),
                      pa.array([9.0, 10.0])], schema=schema)
with ipc.new_stream("replacement.arrow", schema) as w:
    w.write_batch(b0)
    w.write_batch(b3)
for name, table in [("deltas.feather", ipc.open_file("deltas.feather").read_all()),
                    ("replacement.arrow", ipc.open_stream("replacement.arrow").read_all())]:
    expected["files"][name] = {c: table.column(c).to_pylist() for c in table.column_names}

# item 8: every codec pyarrow writes
frame = pd.DataFrame({"x": [1.5, None, -2.25, 1e10], "s": ["a", "bb", None, "é"], "i": [1, 2, 3, 4]})
for codec in ["snappy", "gzip", "zstd", "brotli", "lz4", "lz4_raw"]:
    name = f"codec-{codec}.parquet"
    if codec == "lz4_raw":
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), name, compression="lz4_raw")
    else:
        frame.to_parquet(name, compression=codec, index=False)
    meta = pq.ParquetFile(name).metadata.row_group(0).column(0)
    expected["files"][name] = dict(cells(pd.read_parquet(name)), codec=meta.compression)

with open("expected.json", "w") as f:
    json.dump(expected, f, ensure_ascii=False)
    f.write("\n")
