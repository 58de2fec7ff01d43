package dev.sluice.tables;

import dev.sluice.core.execution.Table;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.SmallIntVector;
import org.apache.arrow.vector.TinyIntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Feather v2, which is the Arrow IPC file format, through Apache Arrow's Java library; compressed files (pandas
 * writes LZ4 by default) are read. Integers, floats, booleans and strings; other types are read as their text.
 * Arrow needs {@code --add-opens=java.base/java.nio=ALL-UNNAMED} on JDK 17+ (set for the functions and tests).
 */
final class FeatherFiles {
    private static final int ROWS_PER_BATCH = 65_536;

    private FeatherFiles() {
    }

    static Table read(Path file) throws IOException {
        try (BufferAllocator allocator = new RootAllocator();
             FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
             ArrowFileReader reader = new ArrowFileReader(channel, allocator, CommonsCompressionFactory.INSTANCE)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            List<Table.Column> columns = new ArrayList<>();
            for (Field field : root.getSchema().getFields()) {
                columns.add(new Table.Column(field.getName(), typeOf(field.getType())));
            }
            List<Object[]> rows = new ArrayList<>();
            for (ArrowBlock block : reader.getRecordBlocks()) {
                reader.loadRecordBatch(block);
                int n = root.getRowCount();
                List<FieldVector> vectors = root.getFieldVectors();
                for (int r = 0; r < n; r++) {
                    Object[] row = new Object[columns.size()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = value(vectors.get(c), r, columns.get(c).type());
                    }
                    rows.add(row);
                }
            }
            return new Table(List.copyOf(columns), rows);
        } catch (RuntimeException e) {
            throw new IOException("not a Feather v2 (Arrow IPC) file: " + e.getMessage(), e);
        }
    }

    private static Table.Type typeOf(ArrowType type) {
        return switch (type.getTypeID()) {
            case Int -> Table.Type.LONG;
            case FloatingPoint -> Table.Type.DOUBLE;
            case Bool -> Table.Type.BOOLEAN;
            default -> Table.Type.STRING;
        };
    }

    private static Object value(FieldVector vector, int r, Table.Type type) {
        if (vector.isNull(r)) {
            return null;
        }
        return switch (vector) {
            case BigIntVector v -> v.get(r);
            case IntVector v -> (long) v.get(r);
            case SmallIntVector v -> (long) v.get(r);
            case TinyIntVector v -> (long) v.get(r);
            case Float8Vector v -> v.get(r);
            case Float4Vector v -> (double) v.get(r);
            case BitVector v -> v.get(r) == 1;
            case VarCharVector v -> new String(v.get(r), StandardCharsets.UTF_8);
            default -> type == Table.Type.LONG ? ((Number) vector.getObject(r)).longValue()
                    : type == Table.Type.DOUBLE ? ((Number) vector.getObject(r)).doubleValue()
                    : String.valueOf(vector.getObject(r));
        };
    }

    static void write(Table table, Path file) throws IOException {
        List<Field> fields = new ArrayList<>();
        for (Table.Column column : table.columns()) {
            ArrowType type = switch (column.type()) {
                case LONG -> new ArrowType.Int(64, true);
                case DOUBLE -> new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
                case BOOLEAN -> ArrowType.Bool.INSTANCE;
                case STRING -> ArrowType.Utf8.INSTANCE;
            };
            fields.add(new Field(column.name(), FieldType.nullable(type), null));
        }
        try (BufferAllocator allocator = new RootAllocator();
             VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator);
             FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.TRUNCATE_EXISTING);
             ArrowFileWriter writer = new ArrowFileWriter(root, null, channel)) {
            writer.start();
            List<Object[]> rows = table.rows();
            for (int from = 0; from < rows.size() || from == 0; from += ROWS_PER_BATCH) {
                int n = Math.min(ROWS_PER_BATCH, rows.size() - from);
                root.allocateNew();
                for (int c = 0; c < fields.size(); c++) {
                    FieldVector vector = root.getVector(c);
                    for (int r = 0; r < n; r++) {
                        set(vector, r, rows.get(from + r)[c]);
                    }
                    vector.setValueCount(n);
                }
                root.setRowCount(n);
                writer.writeBatch();
                if (rows.isEmpty()) {
                    break;
                }
            }
            writer.end();
        }
    }

    private static void set(FieldVector vector, int r, Object v) {
        switch (vector) {
            case BigIntVector b -> {
                if (v == null) b.setNull(r); else b.setSafe(r, ((Number) v).longValue());
            }
            case Float8Vector f -> {
                if (v == null) f.setNull(r); else f.setSafe(r, ((Number) v).doubleValue());
            }
            case BitVector b -> {
                if (v == null) b.setNull(r); else b.setSafe(r, (Boolean) v ? 1 : 0);
            }
            case VarCharVector s -> {
                if (v == null) s.setNull(r); else s.setSafe(r, v.toString().getBytes(StandardCharsets.UTF_8));
            }
            default -> throw new IllegalStateException("no writer for " + vector.getClass().getSimpleName());
        }
    }
}
