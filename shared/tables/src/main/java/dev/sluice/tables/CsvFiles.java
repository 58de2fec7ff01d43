package dev.sluice.tables;

import dev.sluice.core.execution.Table;
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
import java.util.List;

/** CSV with a header row (RFC 4180); column types are inferred from the values: whole numbers, numbers, text. */
final class CsvFiles {
    private static final CSVFormat READ = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
            .setIgnoreSurroundingSpaces(true).get();

    private CsvFiles() {
    }

    static Table read(Path file) throws IOException {
        List<String[]> texts = new ArrayList<>();
        List<String> header;
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser parser = CSVParser.builder().setReader(reader).setFormat(READ).get()) {
            header = parser.getHeaderNames();
            for (CSVRecord record : parser) {
                if (record.size() != header.size()) {
                    throw new IOException("line " + parser.getCurrentLineNumber() + " has " + record.size()
                            + " fields, the header " + header.size());
                }
                texts.add(record.values());
            }
        } catch (java.io.UncheckedIOException e) {
            throw e.getCause();
        }
        if (header.isEmpty()) {
            throw new IOException("the file has no header row");
        }
        Table.Type[] types = new Table.Type[header.size()];
        for (String[] row : texts) {
            for (int i = 0; i < row.length; i++) {
                types[i] = ColumnTypes.join(types[i], ColumnTypes.ofText(row[i]));
            }
        }
        List<Table.Column> columns = new ArrayList<>();
        for (int i = 0; i < header.size(); i++) {
            columns.add(new Table.Column(header.get(i), types[i] == null ? Table.Type.STRING : types[i]));
        }
        List<Object[]> rows = new ArrayList<>(texts.size());
        for (String[] text : texts) {
            Object[] row = new Object[text.length];
            for (int i = 0; i < text.length; i++) {
                row[i] = ColumnTypes.parse(text[i], columns.get(i).type());
            }
            rows.add(row);
        }
        return new Table(List.copyOf(columns), rows);
    }

    static void write(Table table, Path file) throws IOException {
        String[] header = table.columns().stream().map(Table.Column::name).toArray(String[]::new);
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
             CSVPrinter printer = new CSVPrinter(writer, CSVFormat.RFC4180.builder().setHeader(header).get())) {
            for (Object[] row : table.rows()) {
                Object[] text = new Object[row.length];
                for (int i = 0; i < row.length; i++) {
                    text[i] = row[i] instanceof Double d ? Double.toString(d) : row[i];
                }
                printer.printRecord(text);
            }
        }
    }
}
