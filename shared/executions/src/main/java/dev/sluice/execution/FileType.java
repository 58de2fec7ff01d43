package dev.sluice.execution;

import dev.sluice.core.SluiceException;

import java.util.List;
import java.util.Locale;

/** The file formats an execution reads and writes; a source file is taken when its name ends in one of the extensions. */
public enum FileType {
    CSV(List.of(".csv"), "text/csv"),
    PARQUET(List.of(".parquet"), "application/vnd.apache.parquet"),
    FEATHER(List.of(".feather", ".arrow"), "application/vnd.apache.arrow.file"),
    NDJSON(List.of(".ndjson", ".jsonl"), "application/x-ndjson");

    private final List<String> extensions;
    private final String contentType;

    FileType(List<String> extensions, String contentType) {
        this.extensions = extensions;
        this.contentType = contentType;
    }

    /** "csv", "CSV", "parquet" …; null gives CSV, the default. */
    public static FileType parse(String value, String field) {
        if (value == null || value.isBlank()) {
            return CSV;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw SluiceException.invalid("execution.bad_file_type",
                    field + " must be one of CSV, PARQUET, FEATHER, NDJSON (got \"" + value + "\")");
        }
    }

    /**
     * A hidden or marker file, never an input: a name (or a folder on its path) starting with "." or "_" — macOS
     * sidecars ({@code ._data.parquet}), Hadoop checksums ({@code .part-0.parquet.crc}), {@code _SUCCESS},
     * {@code _metadata}, {@code _temporary/} — and names ending in ".crc". pyarrow.dataset skips the same names
     * (its default {@code ignore_prefixes=['.', '_']}), and so do Spark's and Hadoop's file listings.
     */
    public static boolean isHidden(String name) {
        for (String part : name.split("/")) {
            if (part.startsWith(".") || part.startsWith("_")) {
                return true;
            }
        }
        return name.toLowerCase(Locale.ROOT).endsWith(".crc");
    }

    public boolean matches(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return extensions.stream().anyMatch(lower::endsWith);
    }

    /** The output name of a source file: the same base name (and subfolder) with this type's extension. */
    public String rename(String sourceName) {
        int slash = sourceName.lastIndexOf('/');
        int dot = sourceName.lastIndexOf('.');
        String base = dot > slash ? sourceName.substring(0, dot) : sourceName;
        return base + extensions.get(0);
    }

    public String contentType() {
        return contentType;
    }
}
