package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.TableReader;
import dev.sluice.execution.TableWriter;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * CSV (RFC 4180; LF or CRLF line ends) whose first record is the header. Every column is text: each cell is kept as
 * it was written (leading zeros, 20-digit ids, spaces), an empty cell is a missing value; the execution decides which
 * columns are numbers ({@link dev.sluice.execution.RowMapping}). A UTF-8 byte-order mark before the header is not
 * part of the first name; an empty header cell is named as pandas names it ({@code Unnamed: i}, i its position), and a
 * repeated name gets pandas' suffix ({@code a}, {@code a.1}). Text that is not UTF-8 (a cp1252 file from Excel) fails
 * naming the line and byte ({@link Encodings#notText}). Read from one stream in chunks; the record being
 * parsed is charged to the file's {@link RowBudget} ({@code execution.line_too_long} past it).
 */
final class CsvFiles {
    private static final CSVFormat READ = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();

    private CsvFiles() {
    }

    /** The file's records in chunks, read from one stream; each record's text is charged while it is parsed. */
    static TableReader open(FolderStore.Source file, RowBudget budget) throws IOException {
        BudgetReader reader = new BudgetReader(Encodings.reader(file), budget, RowBudget.Held.RECORD);
        try {
            CSVParser parser = CSVParser.builder().setReader(reader).setFormat(READ).get();
            return new Records(file, reader, parser);
        } catch (IOException | RuntimeException e) {
            reader.close();
            throw e;
        }
    }

    private static final class Records implements TableReader {
        private final FolderStore.Source file;
        private final BudgetReader reader;
        private final CSVParser parser;
        private final java.util.Iterator<CSVRecord> records;
        private List<Table.Column> columns;
        private boolean given;

        Records(FolderStore.Source file, BudgetReader reader, CSVParser parser) {
            this.file = file;
            this.reader = reader;
            this.parser = parser;
            this.records = parser.iterator();
        }

        @Override
        public Table next(Limit limit) throws IOException {
            try {
                if (columns == null) {
                    if (!records.hasNext()) {
                        throw new IOException("the file has no header row");
                    }
                    List<String> header = names(records.next().values());
                    reader.recordEnd();
                    if (header.isEmpty()) {
                        throw new IOException("the file has no header row");
                    }
                    columns = header.stream().map(name -> new Table.Column(name, Table.Type.STRING)).toList();
                }
                List<Object[]> texts = new ArrayList<>();
                long bytes = 0;
                while (texts.size() < limit.rows() && bytes < limit.bytes() && records.hasNext()) {
                    CSVRecord record = records.next();
                    reader.recordEnd();
                    if (record.size() != columns.size()) {
                        throw new IOException("line " + parser.getCurrentLineNumber() + " has " + record.size()
                                + " fields, the header " + columns.size());
                    }
                    String[] values = record.values();
                    for (int i = 0; i < values.length; i++) {
                        if (values[i].isEmpty()) {
                            values[i] = null;
                        }
                    }
                    bytes += RowBudget.cost(values);
                    texts.add(values);
                }
                if (texts.isEmpty() && given) {
                    return null;
                }
                given = true;
                return new Table(columns, texts);
            } catch (java.io.UncheckedIOException e) {
                if (e.getCause() instanceof java.nio.charset.CharacterCodingException bad) {
                    throw Encodings.notText(file, bad);
                }
                throw e.getCause();
            } catch (java.nio.charset.CharacterCodingException bad) {
                throw Encodings.notText(file, bad);
            }
        }

        @Override
        public void close() throws IOException {
            reader.recordEnd();
            parser.close();
        }
    }

    /** The header as pandas reads it: an empty name becomes "Unnamed: i", a repeated one "name.1", "name.2" … */
    private static List<String> names(String[] cells) {
        List<String> names = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < cells.length; i++) {
            String name = cells[i].isEmpty() ? "Unnamed: " + i : cells[i];
            String unique = name;
            for (int k = 1; seen.contains(unique); k++) {
                unique = name + "." + k;
            }
            seen.add(unique);
            names.add(unique);
        }
        return names;
    }

    /** Values as text (see {@link Cells#text}); a missing value is an empty cell. Lines end with CRLF (RFC 4180). */
    static TableWriter create(List<Table.Column> columns, OutputStream out) throws IOException {
        String[] header = columns.stream().map(Table.Column::name).toArray(String[]::new);
        Writer writer = new java.io.BufferedWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8));
        CSVPrinter printer = new CSVPrinter(writer, CSVFormat.RFC4180.builder().setHeader(header).get());
        return new TableWriter() {
            @Override
            public void write(Table table) throws IOException {
                for (Object[] row : table.rows()) {
                    Object[] text = new Object[row.length];
                    for (int i = 0; i < row.length; i++) {
                        text[i] = Cells.text(row[i], columns.get(i).type());
                    }
                    if (row.length == 1 && text[0] == null) {
                        text[0] = ""; // written quoted: a blank line would be no row at all
                    }
                    printer.printRecord(text);
                }
            }

            @Override
            public void finish() throws IOException {
                printer.flush();
            }
        };
    }
}
