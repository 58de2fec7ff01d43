package dev.sluice.execution;

import dev.sluice.core.SluiceException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FolderAndFileTypeTest {
    static String code(Runnable r) {
        return assertThrows(SluiceException.class, r::run).code();
    }

    @Test
    void foldersAreNormalised_andBadOnesRefusedWithCodes() {
        assertEquals(new Folder("my-data", "in/2026"), Folder.of("my-data", "/in/2026/", "sourceFolder", false));
        assertEquals(new Folder("my-data", ""), Folder.of("my-data", "", "sourceFolder", false));
        assertEquals("in/2026/a.csv", new Folder("b", "in/2026").keyOf("a.csv"));
        assertEquals("a.csv", new Folder("b", "").keyOf("a.csv"));
        assertEquals(new Folder(null, "/data/in"), Folder.of(null, "file:///data/in/", "sourceFolder", true));
        assertTrue(Folder.of(null, "file:///data/in", "sourceFolder", true).isLocal());

        assertEquals("execution.local_folder_refused", code(() -> Folder.of(null, "file:///data/in", "sourceFolder", false)));
        assertEquals("execution.bad_folder", code(() -> Folder.of("b-b-b", "file:///data", "sourceFolder", true)));
        assertEquals("execution.bad_folder", code(() -> Folder.of(null, "file:relative/path", "sourceFolder", true)));
        assertEquals("execution.bad_bucket", code(() -> Folder.of(null, "in", "sourceFolder", false)));
        assertEquals("execution.bad_bucket", code(() -> Folder.of("Not_A_Bucket", "in", "sourceFolder", false)));
        assertEquals("execution.bad_folder", code(() -> Folder.of("my-data", "in/../secrets", "sourceFolder", false)));
        assertEquals("execution.bad_folder", code(() -> Folder.of("my-data", "in//x", "sourceFolder", false)));
        // a "." segment: a server that normalizes dot segments reads ./proj_a/out as proj_a/out (another project's)
        for (String dotted : List.of("./proj_a/out", ".", "in/./x", "in/.", "/./proj_a/")) {
            assertEquals("execution.bad_folder", code(() -> Folder.of("my-data", dotted, "destinationFolder", false)),
                    dotted);
        }
        assertEquals(new Folder("my-data", ".hidden/in.d/x."), Folder.of("my-data", ".hidden/in.d/x.", "sourceFolder",
                false), "dots inside a name are names");
    }

    @Test
    void fileTypesPickFilesByExtension_andNameOutputsAfterTheirSource() {
        assertEquals(FileType.CSV, FileType.parse(null, "inputFileType"));
        assertEquals(FileType.PARQUET, FileType.parse("parquet", "inputFileType"));
        assertEquals(FileType.FEATHER, FileType.parse(" Feather ", "inputFileType"));
        assertEquals("execution.bad_file_type", code(() -> FileType.parse("xlsx", "inputFileType")));
        assertTrue(FileType.CSV.matches("a/B.CSV"));
        assertTrue(FileType.FEATHER.matches("x.arrow"));
        assertTrue(FileType.NDJSON.matches("x.jsonl"));
        assertFalse(FileType.CSV.matches("x.csv.gz"));
        assertEquals("sub/part-1.parquet", FileType.PARQUET.rename("sub/part-1.csv"));
        assertEquals("sub.d/noext.csv", FileType.CSV.rename("sub.d/noext"));
    }
}
