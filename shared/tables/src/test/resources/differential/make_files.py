"""Writes the differential test's files with pandas and pyarrow, and pyarrow's (or pandas') reading of each.

Run from this folder: python3 make_files.py. It writes types.parquet (logical types only, store_schema=False),
decimals-as-integers.parquet, int96.parquet, types.feather (LZ4, pyarrow's default), types-uncompressed.feather, pandas-index.csv and
bom-crlf.csv, and expected.json: for every file, each column's name, type (str() of the pyarrow type) and cells in
canonical form:
  ints, decimals: str() (exact; a uint64 above 2^63 too); floats: JSON numbers (repr; "nan", "inf", "-inf" as text);
  bool: JSON booleans; strings: text; binary: Base64; date: ISO-8601 text; time and timestamp: the integer count of
  the type's unit (since midnight; since the epoch, UTC); null: null.
CSV files are read by pandas as text (dtype=str, only the empty cell missing), as DifferentialTest reads them.
The versions this ran with are recorded in expected.json ("versions").
"""
import base64, datetime, decimal, json, math
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.feather as feather
import pyarrow.parquet as pq

D = decimal.Decimal
utc = datetime.timezone.utc


def ts(*a):
    return datetime.datetime(*a)


columns = {
    "i8": pa.array([-128, 127, None, 0], pa.int8()),
    "i16": pa.array([-32768, 32767, 1, None], pa.int16()),
    "i32": pa.array([-2**31, 2**31 - 1, None, 7], pa.int32()),
    "i64": pa.array([-2**63, 2**63 - 1, 42, None], pa.int64()),
    "u8": pa.array([0, 200, 255, None], pa.uint8()),
    "u16": pa.array([0, 40000, 65535, None], pa.uint16()),
    "u32": pa.array([0, 3000000000, 2**32 - 1, None], pa.uint32()),
    "u64": pa.array([0, 2**63 + 1, 2**64 - 1, None], pa.uint64()),
    "f32": pa.array([3.7, -0.1, 3.4028234663852886e38, None], pa.float32()),
    "f64": pa.array([0.1, -1e300, float("nan"), None], pa.float64()),
    "dec9": pa.array([D("12.34"), D("-0.01"), D("9999999.99"), None], pa.decimal128(9, 2)),
    "dec18": pa.array([D("12345678901234.5678"), D("-1.0000"), D("0.0001"), None], pa.decimal128(18, 4)),
    "dec38": pa.array([D("1234567890123456789012345678.0123456789"), D("-0.0000000001"), D("0E-10"), None],
                      pa.decimal128(38, 10)),
    "dec256": pa.array([D("123456789012345678901234567890123456789012345.12345"), D("-1.00000"), None, D("0.00001")],
                       pa.decimal256(50, 5)),
    "flag": pa.array([True, False, None, True], pa.bool_()),
    "text": pa.array(["héllo, \"world\"", "", None, "line\nbreak"], pa.string()),
    "large_text": pa.array(["a", None, "ü", "zz"], pa.large_string()),
    "bin": pa.array([b"\x00\x01", b"", None, b"\xff"], pa.binary()),
    "large_bin": pa.array([b"x", None, b"\x00", b"yy"], pa.large_binary()),
    "fixed_bin": pa.array([b"abcd", b"\x00\x00\x00\x01", None, b"wxyz"], pa.binary(4)),
    "day": pa.array([datetime.date(1970, 1, 1), datetime.date(1969, 12, 31), datetime.date(2262, 4, 11), None],
                    pa.date32()),
    "t_s": pa.array([0, 86399, None, 3600], pa.time32("s")),
    "t_ms": pa.array([1, 86399999, None, 0], pa.time32("ms")),
    "t_us": pa.array([1, 86399999999, None, 0], pa.time64("us")),
    "t_ns": pa.array([1, 86399999999999, None, 0], pa.time64("ns")),
    "ts_s": pa.array([0, -1, 1700000000, None], pa.timestamp("s")),
    "ts_ms": pa.array([1, -1, 1700000000123, None], pa.timestamp("ms")),
    "ts_us": pa.array([1, -1, 1700000000123456, None], pa.timestamp("us")),
    "ts_ns": pa.array([1, -1, 1700000000123456789, None], pa.timestamp("ns")),
    "ts_us_utc": pa.array([1, -1, 1700000000123456, None], pa.timestamp("us", tz="UTC")),
    "ts_ns_paris": pa.array([1, -1, 1700000000123456789, None], pa.timestamp("ns", tz="Europe/Paris")),
    "cat8": pa.DictionaryArray.from_arrays(pa.array([1, 0, None, 1], pa.int8()), pa.array(["gold", "silver"])),
    "cat16": pa.DictionaryArray.from_arrays(pa.array([0, 2, 1, None], pa.int16()), pa.array(["a", "b", "c"])),
    "cat32": pa.DictionaryArray.from_arrays(pa.array([None, 0, 0, 1], pa.int32()), pa.array(["x", "y"])),
    "cat64": pa.DictionaryArray.from_arrays(pa.array([1, 1, 0, None], pa.int64()), pa.array(["p", "q"])),
    "nothing": pa.nulls(4),
}
columns["f16"] = pa.array(np.array([1.5, -0.0999755859375, 65504.0, 0.0], dtype=np.float16),
                          mask=np.array([False, False, False, True]))
def canon(value, type_):
    if value is None:
        return None
    if pa.types.is_dictionary(type_):
        return canon(value, type_.value_type)
    if pa.types.is_integer(type_) or pa.types.is_decimal(type_):
        return str(value)
    if pa.types.is_floating(type_):
        f = float(value)
        return f if math.isfinite(f) else ("nan" if math.isnan(f) else ("inf" if f > 0 else "-inf"))
    if pa.types.is_boolean(type_) or pa.types.is_string(type_) or pa.types.is_large_string(type_):
        return value
    if pa.types.is_binary(type_) or pa.types.is_large_binary(type_) or pa.types.is_fixed_size_binary(type_):
        return base64.b64encode(value).decode()
    if pa.types.is_date(type_):
        return value.isoformat()
    raise ValueError(type_)


def column_json(name, col):
    t = col.type
    if pa.types.is_time(t) or pa.types.is_timestamp(t):
        ints = pc.cast(col, pa.int64() if t.bit_width == 64 else pa.int32())
        cells = [None if v is None else str(v) for v in ints.to_pylist()]
    elif pa.types.is_date(t):
        cells = [None if v is None else v.isoformat() for v in col.to_pylist()]
    elif pa.types.is_null(t):
        cells = [None] * len(col)
    else:
        cells = [canon(v, t) for v in col.to_pylist()]
    return {"name": name, "type": str(t), "values": cells}


def table_json(t):
    return [column_json(n, t.column(n)) for n in t.column_names]


def csv_json(path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    return [{"name": n, "type": "string", "values": [None if pd.isna(v) else v for v in frame[n]]}
            for n in frame.columns]


def main():
    table = pa.table(columns)
    feather.write_feather(table.append_column("date64", pa.array(
        [datetime.date(2024, 2, 29), None, datetime.date(1, 1, 1), datetime.date(9999, 12, 31)], pa.date64())),
        "types.feather")
    feather.write_feather(table, "types-uncompressed.feather", compression="uncompressed")
    # Parquet as its logical types alone say (no ARROW:schema): what any Parquet reader must get from the file
    pq.write_table(table, "types.parquet", store_schema=False)
    decimals = table.select(["dec9", "dec18", "dec38", "dec256"])
    pq.write_table(decimals, "decimals-as-integers.parquet", store_decimal_as_integer=True, store_schema=False)
    pq.write_table(table.select(["ts_ns", "ts_us"]), "int96.parquet", use_deprecated_int96_timestamps=True,
                   store_schema=False)

    frame = pd.DataFrame({
        "id": ["00042", "12345678901234567890", "7", None],
        "zip": ["02134", "94105", "10001", "00501"],
        "tenure": [1.0, float("nan"), 3.0, 4.5],
        "spend": [2, 0, 1, 3],
        "note": ["a, \"quoted\" one", "line\nbreak", "", "ü"],
    })
    frame.to_csv("pandas-index.csv", na_rep="NaN")
    frame.to_csv("bom-crlf.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")

    expected = {
        "versions": {"pandas": pd.__version__, "pyarrow": pa.__version__, "numpy": np.__version__},
        "files": {
            "types.feather": table_json(feather.read_table("types.feather")),
            "types-uncompressed.feather": table_json(feather.read_table("types-uncompressed.feather")),
            "types.parquet": table_json(pq.read_table("types.parquet")),
            "decimals-as-integers.parquet": table_json(pq.read_table("decimals-as-integers.parquet")),
            "int96.parquet": table_json(pq.read_table("int96.parquet")),
            "pandas-index.csv": csv_json("pandas-index.csv"),
            "bom-crlf.csv": csv_json("bom-crlf.csv"),
        },
    }
    with open("expected.json", "w") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)


if __name__ == "__main__":
    main()
