package dev.sluice.cli;

import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;

import dev.sluice.execution.FileType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whether an output folder of Parquet or Feather files reads as one table, as its users will read it: with python3 and
 * pyarrow when the machine has them ({@code pyarrow.dataset} of the folder, and {@code pandas.read_parquet} of a
 * Parquet folder); Parquet footers are also compared with parquet-java, which is what runs without python3.
 */
final class PyArrow {
    private PyArrow() {
    }

    /** rows: how many rows the files hold together. */
    static void assertOneDataset(Map<String, byte[]> files, FileType type, long rows, Path tmp) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "dataset");
        MessageType first = null;
        for (var f : files.entrySet()) {
            Path file = dir.resolve(f.getKey());
            Files.write(file, f.getValue());
            if (type != FileType.PARQUET) {
                continue;
            }
            try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file),
                    ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
                MessageType schema = reader.getFooter().getFileMetaData().getSchema();
                if (first == null) {
                    first = schema;
                }
                assertEquals(first, schema, f.getKey() + " has another schema than the first file");
            }
        }
        if (!hasPyArrow()) {
            return; // the caller compared the files' columns as Sluice reads them
        }
        String script = "import sys, pyarrow.dataset as ds, pandas as pd\n"
                + "t = ds.dataset(sys.argv[1], format=sys.argv[2]).to_table()\n"
                + "d = pd.read_parquet(sys.argv[1]) if sys.argv[2] == 'parquet' else t.to_pandas()\n"
                + "print(t.num_rows, len(d))\n";
        Process p = new ProcessBuilder("python3", "-c", script, dir.toString(),
                type == FileType.PARQUET ? "parquet" : "feather").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "python3 did not end");
        assertEquals(0, p.exitValue(), "pyarrow.dataset or pandas.read_parquet refused the folder: " + out);
        assertEquals(rows + " " + rows, out.strip(), out);
    }

    static boolean hasPyArrow() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import pyarrow, pandas").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
