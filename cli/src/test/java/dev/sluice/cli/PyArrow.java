package dev.sluice.cli;

import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.schema.MessageType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whether an output folder of Parquet files reads as one table, as its users will read it: with python3 and pyarrow
 * when the machine has them ({@code pyarrow.dataset} and {@code pandas.read_parquet} of the folder), else by comparing
 * every file's schema with parquet-java.
 */
final class PyArrow {
    private PyArrow() {
    }

    static void assertOneDataset(Map<String, byte[]> files, Path tmp) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "dataset");
        long rows = 0;
        MessageType first = null;
        for (var f : files.entrySet()) {
            Path file = dir.resolve(f.getKey());
            Files.write(file, f.getValue());
            try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file),
                    ParquetReadOptions.builder(new PlainParquetConfiguration()).build())) {
                MessageType schema = reader.getFooter().getFileMetaData().getSchema();
                rows += reader.getRecordCount();
                if (first == null) {
                    first = schema;
                }
                assertEquals(first, schema, f.getKey() + " has another schema than the first file");
            }
        }
        if (!hasPyArrow()) {
            return;
        }
        String script = "import sys, pyarrow.dataset as ds, pandas as pd\n"
                + "t = ds.dataset(sys.argv[1], format='parquet').to_table()\n"
                + "d = pd.read_parquet(sys.argv[1])\n"
                + "print(t.num_rows, len(d))\n";
        Process p = new ProcessBuilder("python3", "-c", script, dir.toString()).redirectErrorStream(true).start();
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
