package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVPrinter;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * naming the line and byte ({@link Encodings#notText}). Records are read on the file's {@link RowBudget}.
 */
final class CsvFiles {
    private static final CSVFormat READ = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();

    private CsvFiles() {
    }

    static Table read(Path file, RowBudget budget) throws IOException {
        List<String[]> texts = new ArrayList<>();
        List<String> header = null;
        try (BudgetReader reader = new BudgetReader(Encodings.reader(file), budget);
             CSVParser parser = CSVParser.builder().setReader(reader).setFormat(READ).get()) {
            for (CSVRecord record : parser) {
                reader.recordEnd();
                if (header == null) {
                    header = names(record.values());
                    continue;
                }
                if (record.size() != header.size()) {
                    throw new IOException("line " + parser.getCurrentLineNumber() + " has " + record.size()
                            + " fields, the header " + header.size());
                }
                String[] values = record.values();
                for (int i = 0; i < values.length; i++) {
                    if (values[i].isEmpty()) {
                        values[i] = null;
                    }
                }
                budget.charge(values);
                texts.add(values);
            }
        } catch (java.io.UncheckedIOException e) {
            if (e.getCause() instanceof java.nio.charset.CharacterCodingException bad) {
                throw Encodings.notText(file, bad);
            }
            throw e.getCause();
        } catch (java.nio.charset.CharacterCodingException bad) {
            throw Encodings.notText(file, bad);
        }
        if (header == null || header.isEmpty()) {
            throw new IOException("the file has no header row");
        }
        List<Table.Column> columns = new ArrayList<>();
        for (String name : header) {
            columns.add(new Table.Column(name, Table.Type.STRING));
        }
        return new Table(List.copyOf(columns), new ArrayList<>(texts));
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
    static void write(Table table, Path file) throws IOException {
        String[] header = table.columns().stream().map(Table.Column::name).toArray(String[]::new);
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter printer = new CSVPrinter(writer, CSVFormat.RFC4180.builder().setHeader(header).get())) {
            for (Object[] row : table.rows()) {
                Object[] text = new Object[row.length];
                for (int i = 0; i < row.length; i++) {
                    text[i] = Cells.text(row[i], table.columns().get(i).type());
                }
                if (row.length == 1 && text[0] == null) {
                    text[0] = ""; // written quoted: a blank line would be no row at all
                }
                printer.printRecord(text);
            }
        }
    }
}
