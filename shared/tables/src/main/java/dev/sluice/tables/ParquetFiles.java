package dev.sluice.tables;

import dev.sluice.core.execution.Table;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.example.data.simple.convert.GroupRecordConverter;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.ColumnIOFactory;
import org.apache.parquet.io.LocalInputFile;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parquet through parquet-hadoop's own reader and writer, on local files (no Hadoop file system): flat schemas of
 * integers, floats, booleans and strings; written Snappy-compressed, every column optional.
 */
final class ParquetFiles {
    private ParquetFiles() {
    }

    static Table read(Path file) throws IOException {
        PlainParquetConfiguration conf = new PlainParquetConfiguration();
        try (ParquetFileReader reader = ParquetFileReader.open(new LocalInputFile(file),
                ParquetReadOptions.builder(conf).withCodecFactory(ParquetCodecs.INSTANCE).build())) {
            MessageType schema = reader.getFooter().getFileMetaData().getSchema();
            List<Table.Column> columns = new ArrayList<>();
            for (Type field : schema.getFields()) {
                if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                    throw new IOException("column " + field.getName() + " is nested or repeated; only flat columns are read");
                }
                columns.add(new Table.Column(field.getName(), typeOf(field.asPrimitiveType())));
            }
            List<Object[]> rows = new ArrayList<>();
            PageReadStore pages;
            while ((pages = reader.readNextRowGroup()) != null) {
                RecordReader<Group> records = new ColumnIOFactory().getColumnIO(schema)
                        .getRecordReader(pages, new GroupRecordConverter(schema));
                for (long r = 0; r < pages.getRowCount(); r++) {
                    Group g = records.read();
                    Object[] row = new Object[columns.size()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = g.getFieldRepetitionCount(c) == 0 ? null : value(g, c, schema.getType(c).asPrimitiveType());
                    }
                    rows.add(row);
                }
            }
            return new Table(List.copyOf(columns), rows);
        } catch (RuntimeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static Table.Type typeOf(PrimitiveType type) {
        return switch (type.getPrimitiveTypeName()) {
            case INT32, INT64 -> Table.Type.LONG;
            case FLOAT, DOUBLE -> Table.Type.DOUBLE;
            case BOOLEAN -> Table.Type.BOOLEAN;
            default -> Table.Type.STRING;
        };
    }

    private static Object value(Group g, int c, PrimitiveType type) {
        return switch (type.getPrimitiveTypeName()) {
            case INT32 -> (long) g.getInteger(c, 0);
            case INT64 -> g.getLong(c, 0);
            case FLOAT -> (double) g.getFloat(c, 0);
            case DOUBLE -> g.getDouble(c, 0);
            case BOOLEAN -> g.getBoolean(c, 0);
            default -> g.getValueToString(c, 0);
        };
    }

    static void write(Table table, Path file) throws IOException {
        Types.MessageTypeBuilder builder = Types.buildMessage();
        for (Table.Column column : table.columns()) {
            switch (column.type()) {
                case LONG -> builder.optional(PrimitiveType.PrimitiveTypeName.INT64).named(column.name());
                case DOUBLE -> builder.optional(PrimitiveType.PrimitiveTypeName.DOUBLE).named(column.name());
                case BOOLEAN -> builder.optional(PrimitiveType.PrimitiveTypeName.BOOLEAN).named(column.name());
                case STRING -> builder.optional(PrimitiveType.PrimitiveTypeName.BINARY)
                        .as(LogicalTypeAnnotation.stringType()).named(column.name());
            }
        }
        MessageType schema = builder.named("rows");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        try (ParquetWriter<Group> writer = ExampleParquetWriter.builder(new LocalOutputFile(file))
                .withConf(new PlainParquetConfiguration()).withType(schema)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCodecFactory(ParquetCodecs.INSTANCE).withCompressionCodec(CompressionCodecName.SNAPPY).build()) {
            for (Object[] row : table.rows()) {
                Group g = groups.newGroup();
                for (int c = 0; c < row.length; c++) {
                    Object v = row[c];
                    if (v == null) {
                        continue;
                    }
                    String name = table.columns().get(c).name();
                    switch (table.columns().get(c).type()) {
                        case LONG -> g.append(name, ((Number) v).longValue());
                        case DOUBLE -> g.append(name, ((Number) v).doubleValue());
                        case BOOLEAN -> g.append(name, (Boolean) v);
                        case STRING -> g.append(name, v.toString());
                    }
                }
                writer.write(g);
            }
        }
    }
}
