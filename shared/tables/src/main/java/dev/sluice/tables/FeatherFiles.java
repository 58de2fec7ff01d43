package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.TableReader;
import dev.sluice.execution.TableWriter;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.BaseIntVector;
import org.apache.arrow.vector.BitVector;
import org.apache.arrow.vector.DateDayVector;
import org.apache.arrow.vector.DateMilliVector;
import org.apache.arrow.vector.Decimal256Vector;
import org.apache.arrow.vector.DecimalVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.FixedSizeBinaryVector;
import org.apache.arrow.vector.Float2Vector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.LargeVarBinaryVector;
import org.apache.arrow.vector.LargeVarCharVector;
import org.apache.arrow.vector.TimeMicroVector;
import org.apache.arrow.vector.TimeMilliVector;
import org.apache.arrow.vector.TimeNanoVector;
import org.apache.arrow.vector.TimeSecVector;
import org.apache.arrow.vector.TimeStampVector;
import org.apache.arrow.vector.ValueVector;
import org.apache.arrow.vector.VarBinaryVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ViewVarBinaryVector;
import org.apache.arrow.vector.ViewVarCharVector;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.dictionary.DictionaryProvider;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.DictionaryEncoding;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.io.OutputStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Feather v2, which is the Arrow IPC file format, through Apache Arrow's Java library; compressed files (pandas writes
 * LZ4 by default) are read. Each column keeps its Arrow type: signed and unsigned integers of 8–64 bits, float16/32/64,
 * decimal128/256, bool, string and large_string (and string_view), binary (large, fixed-size, view), date32/64,
 * time32/64, timestamps of every unit with or without a zone, null; a dictionary-encoded column (pandas categorical)
 * of any index width is decoded index by index against its dictionary's values as they stand for that batch (deltas
 * and a stream's replacements applied; an index outside the dictionary fails the file) and written back
 * dictionary-encoded (the library's {@link DictionaryEncoder}) with the same index width. Columns of other types (lists, structs, durations …) are refused, naming the column.
 * Arrow needs {@code --add-opens=java.base/java.nio=ALL-UNNAMED} on JDK 17+ (set for the functions and tests).
 */
final class FeatherFiles {
    private static final int ROWS_PER_BATCH = 65_536;

    private FeatherFiles() {
    }

    /**
     * The rows of an Arrow IPC file (Feather v2) or stream, record batch by record batch, read where the file is
     * (the file format's footer and each block by ranged reads, a stream front to back): Arrow's buffers come from an
     * allocator limited to the budget (off-heap; one batch, and the file's dictionaries, at a time), and a batch is
     * given in chunks of rows. Every dictionary batch is applied in file order: a delta (pyarrow's
     * {@code emit_dictionary_deltas}) appends to its dictionary, and in a stream a replacement dictionary replaces
     * it for the batches after it; each record batch is decoded with the dictionary in force for it, as pyarrow
     * reads them.
     */
    static TableReader open(FolderStore.Source file, RowBudget budget) throws IOException {
        long arrowBytes = Math.max(0, budget.maxBytes() - budget.usedBytes());
        BufferAllocator allocator = new RootAllocator(arrowBytes);
        SourceChannel channel = new SourceChannel(new SourceReads(file));
        try {
            ArrowReader reader = isFileFormat(channel)
                    ? new EveryDictionaryFileReader(channel, allocator)
                    : new ArrowStreamReader(channel, allocator, CommonsCompressionFactory.INSTANCE);
            return new Batches(allocator, reader, budget);
        } catch (dev.sluice.execution.FileProblem | IOException e) {
            channel.close();
            allocator.close();
            throw e;
        } catch (org.apache.arrow.memory.OutOfMemoryException e) {
            channel.close();
            allocator.close();
            throw budget.tooLarge(RowBudget.Held.RECORD_BATCH, -1);
        } catch (RuntimeException e) {
            channel.close();
            allocator.close();
            throw new IOException("not a Feather v2 (Arrow IPC) file: " + e.getMessage(), e);
        }
    }

    private static final class Batches implements TableReader {
        private final BufferAllocator allocator;
        private final ArrowReader reader;
        private final RowBudget budget;
        private final List<Table.Column> columns = new ArrayList<>();
        /** Each dictionary's values as they stand, by id. */
        private final Map<Long, List<Object>> values = new java.util.HashMap<>();
        private final boolean stream;
        private VectorSchemaRoot root;
        private int row;
        private int rowsInBatch;
        private boolean given;

        Batches(BufferAllocator allocator, ArrowReader reader, RowBudget budget) throws IOException {
            this.allocator = allocator;
            this.reader = reader;
            this.budget = budget;
            try {
                root = reader.getVectorSchemaRoot();
                Schema schema = root.getSchema();
                Set<String> index = PandasMetadata.indexColumns(schema.getCustomMetadata() == null ? null
                        : schema.getCustomMetadata().get("pandas"));
                Map<Long, Dictionary> dictionaries = reader.getDictionaryVectors();
                for (Field field : schema.getFields()) {
                    DictionaryEncoding encoding = field.getDictionary();
                    Table.Type type = encoding == null ? typeOf(field.getName(), field.getType())
                            : typeOf(field.getName(), dictionaries.get(encoding.getId()).getVectorType())
                            .withDictionary(encoding.getIndexType().getBitWidth());
                    columns.add(new Table.Column(field.getName(), type, index.contains(field.getName())));
                }
                // a file's deltas appended up front, a stream's dictionaries taken again after every batch (the
                // reader applies replacements as it meets them)
                stream = !(reader instanceof EveryDictionaryFileReader);
                if (reader instanceof EveryDictionaryFileReader files) {
                    dictionaries.forEach((id, d) -> values.put(id, valuesOf(d.getVector(), columnType(columns, schema, id))));
                    files.appendDeltas(values, columns, schema);
                }
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public Table next(Limit limit) throws IOException {
            try {
                List<Object[]> rows = new ArrayList<>();
                long bytes = 0;
                while (rows.size() < limit.rows() && bytes < limit.bytes()) {
                    if (row == rowsInBatch) {
                        if (!reader.loadNextBatch()) {
                            break;
                        }
                        row = 0;
                        rowsInBatch = root.getRowCount();
                        if (stream) {
                            for (int c = 0; c < columns.size(); c++) {
                                DictionaryEncoding encoding = root.getVector(c).getField().getDictionary();
                                if (encoding != null) {
                                    values.put(encoding.getId(), valuesOf(reader.getDictionaryVectors()
                                            .get(encoding.getId()).getVector(), columns.get(c).type()));
                                }
                            }
                        }
                        continue;
                    }
                    Object[] cells = new Object[columns.size()];
                    for (int c = 0; c < cells.length; c++) {
                        cells[c] = cell(c, row);
                    }
                    row++;
                    bytes += RowBudget.cost(cells);
                    rows.add(cells);
                }
                if (rows.isEmpty() && given) {
                    return null;
                }
                given = true;
                return new Table(List.copyOf(columns), rows);
            } catch (dev.sluice.execution.FileProblem | IOException e) {
                throw e;
            } catch (org.apache.arrow.memory.OutOfMemoryException e) {
                throw budget.tooLarge(RowBudget.Held.RECORD_BATCH, -1);
            } catch (RuntimeException e) {
                throw new IOException("not a Feather v2 (Arrow IPC) file: " + e.getMessage(), e);
            }
        }

        private Object cell(int c, int r) throws IOException {
            FieldVector vector = root.getVector(c);
            if (vector.isNull(r)) {
                return null;
            }
            DictionaryEncoding encoding = vector.getField().getDictionary();
            if (encoding == null) {
                return value(vector, r, columns.get(c).type());
            }
            List<Object> dictionary = values.get(encoding.getId());
            long i = ((BaseIntVector) vector).getValueAsLong(r);
            if (i < 0 || i >= dictionary.size()) {
                throw new IOException("column " + columns.get(c).name() + " has dictionary index " + i
                        + ", but its dictionary holds " + dictionary.size() + " values");
            }
            return dictionary.get((int) i);
        }

        @Override
        public void close() throws IOException {
            try {
                reader.close();
            } finally {
                allocator.close();
            }
        }
    }

    /** The type of the values of dictionary id (the first column encoded with it). */
    private static Table.Type columnType(List<Table.Column> columns, Schema schema, long id) {
        for (int c = 0; c < columns.size(); c++) {
            DictionaryEncoding e = schema.getFields().get(c).getDictionary();
            if (e != null && e.getId() == id) {
                return columns.get(c).type();
            }
        }
        return Table.Type.STRING;
    }

    /** A dictionary vector's values as cells (null where the dictionary holds a null). */
    private static List<Object> valuesOf(ValueVector vector, Table.Type type) {
        List<Object> out = new ArrayList<>(vector.getValueCount());
        for (int r = 0; r < vector.getValueCount(); r++) {
            out.add(vector.isNull(r) ? null : value(vector, r, type));
        }
        return out;
    }

    /** The IPC file format starts with "ARROW1"; else the bytes are an IPC stream. */
    private static boolean isFileFormat(SourceChannel channel) throws IOException {
        java.nio.ByteBuffer magic = java.nio.ByteBuffer.allocate(6);
        channel.position(0);
        while (magic.hasRemaining() && channel.read(magic) > 0) {
            // a short read goes on
        }
        channel.position(0);
        return new String(magic.array(), 0, magic.position(), StandardCharsets.US_ASCII).equals("ARROW1");
    }

    /**
     * Arrow Java's file reader loads one dictionary batch per dictionary id when it opens a file and never the
     * deltas after it (arrow-java 19: ArrowFileReader.initialize reads {@code dictionaries.size()} batches), so a
     * delta's new values would decode as nothing. This reader reads the footer's further dictionary batches, in
     * order, and appends each delta's values to its dictionary's. The file format allows no replacement dictionaries
     * (Arrow columnar format, "IPC File Format"): one is refused. The dictionaries after all deltas then decode every
     * record batch (a delta only appends, so earlier indexes keep their values).
     */
    private static final class EveryDictionaryFileReader extends ArrowFileReader {
        EveryDictionaryFileReader(SourceChannel channel, BufferAllocator allocator) {
            super(channel, allocator, CommonsCompressionFactory.INSTANCE);
        }

        void appendDeltas(Map<Long, List<Object>> values, List<Table.Column> columns, Schema schema) throws IOException {
            if (getRecordBlocks().isEmpty()) {
                return; // the reader read no dictionary at all
            }
            for (int i = getDictionaryIds().size(); i < getDictionaryBlocks().size(); i++) {
                try (org.apache.arrow.vector.ipc.message.ArrowDictionaryBatch batch = readDictionary()) {
                    long id = batch.getDictionaryId();
                    if (!batch.isDelta()) {
                        throw new IOException("the file replaces dictionary " + id + ", which the Arrow IPC file"
                                + " format does not allow");
                    }
                    FieldVector base = getDictionaryVectors().get(id).getVector();
                    try (FieldVector delta = base.getField().createVector(allocator);
                         VectorSchemaRoot one = new VectorSchemaRoot(List.of(delta.getField()), List.of(delta), 0)) {
                        new org.apache.arrow.vector.VectorLoader(one, CommonsCompressionFactory.INSTANCE)
                                .load(batch.getDictionary());
                        values.get(id).addAll(valuesOf(delta, columnType(columns, schema, id)));
                    }
                }
            }
        }
    }

    private static Table.Type typeOf(String name, ArrowType type) throws IOException {
        return switch (type) {
            case ArrowType.Int i -> Table.Type.integer(i.getBitWidth(), i.getIsSigned());
            case ArrowType.FloatingPoint f -> Table.Type.floating(switch (f.getPrecision()) {
                case HALF -> 16;
                case SINGLE -> 32;
                case DOUBLE -> 64;
            });
            case ArrowType.Decimal d -> Table.Type.decimal(d.getPrecision(), d.getScale());
            case ArrowType.Bool b -> Table.Type.BOOLEAN;
            case ArrowType.Utf8 s -> Table.Type.STRING;
            case ArrowType.Utf8View s -> Table.Type.STRING;
            case ArrowType.LargeUtf8 s -> Table.Type.STRING.withLarge(true);
            case ArrowType.Binary b -> Table.Type.BINARY;
            case ArrowType.BinaryView b -> Table.Type.BINARY;
            case ArrowType.LargeBinary b -> Table.Type.BINARY.withLarge(true);
            case ArrowType.FixedSizeBinary b -> Table.Type.fixedBinary(b.getByteWidth());
            case ArrowType.Date d -> Table.Type.DATE;
            case ArrowType.Time t -> Table.Type.time(unit(t.getUnit()));
            case ArrowType.Timestamp t -> Table.Type.timestamp(unit(t.getUnit()), t.getTimezone());
            case ArrowType.Null n -> Table.Type.NULL;
            default -> throw new IOException("column " + name + " has the Arrow type " + type
                    + ", which is not read (flat columns of numbers, text, binary, dates and times only)");
        };
    }

    private static Table.Unit unit(TimeUnit unit) {
        return switch (unit) {
            case SECOND -> Table.Unit.SECOND;
            case MILLISECOND -> Table.Unit.MILLI;
            case MICROSECOND -> Table.Unit.MICRO;
            case NANOSECOND -> Table.Unit.NANO;
        };
    }

    private static Object value(ValueVector vector, int r, Table.Type type) {
        return switch (vector) {
            case Float2Vector v -> v.getValueAsFloat(r);
            case Float4Vector v -> v.get(r);
            case Float8Vector v -> v.get(r);
            case DecimalVector v -> v.getObject(r);
            case Decimal256Vector v -> v.getObject(r);
            case BitVector v -> v.get(r) == 1;
            case VarCharVector v -> new String(v.get(r), StandardCharsets.UTF_8);
            case LargeVarCharVector v -> new String(v.get(r), StandardCharsets.UTF_8);
            case ViewVarCharVector v -> new String(v.get(r), StandardCharsets.UTF_8);
            case VarBinaryVector v -> v.get(r);
            case LargeVarBinaryVector v -> v.get(r);
            case ViewVarBinaryVector v -> v.get(r);
            case FixedSizeBinaryVector v -> v.get(r);
            case DateDayVector v -> LocalDate.ofEpochDay(v.get(r));
            case DateMilliVector v -> LocalDate.ofEpochDay(Math.floorDiv(v.get(r), 86_400_000L));
            case TimeSecVector v -> LocalTime.ofSecondOfDay(v.get(r));
            case TimeMilliVector v -> LocalTime.ofNanoOfDay(v.get(r) * 1_000_000L);
            case TimeMicroVector v -> LocalTime.ofNanoOfDay(v.get(r) * 1_000L);
            case TimeNanoVector v -> LocalTime.ofNanoOfDay(v.get(r));
            case TimeStampVector v -> timestamp(v.get(r), type);
            // every integer vector; the unsigned ones give their value without overflow (UInt8: its bits)
            case BaseIntVector v -> type.bits() == 64 && !type.signed() ? Cells.unsigned64(v.getValueAsLong(r))
                    : (Object) v.getValueAsLong(r);
            default -> throw new IllegalStateException("no reader for " + vector.getClass().getSimpleName());
        };
    }

    private static Object timestamp(long v, Table.Type type) {
        long per = ParquetFiles.nanosPer(type.unit());
        long perSecond = 1_000_000_000L / per;
        long seconds = Math.floorDiv(v, perSecond);
        long nanos = Math.floorMod(v, perSecond) * per;
        return type.zone() == null ? LocalDateTime.ofEpochSecond(seconds, (int) nanos, ZoneOffset.UTC)
                : Instant.ofEpochSecond(seconds, nanos);
    }

    /** The Arrow type that holds a column's type: the same type it was read as. */
    static ArrowType arrowType(Table.Type t) {
        return switch (t.kind()) {
            case INT -> new ArrowType.Int(t.bits(), t.signed());
            case FLOAT -> new ArrowType.FloatingPoint(t.bits() == 16 ? FloatingPointPrecision.HALF
                    : t.bits() == 32 ? FloatingPointPrecision.SINGLE : FloatingPointPrecision.DOUBLE);
            case DECIMAL -> new ArrowType.Decimal(t.precision(), t.scale(), t.precision() > 38 ? 256 : 128);
            case BOOLEAN -> ArrowType.Bool.INSTANCE;
            case STRING -> t.large() ? ArrowType.LargeUtf8.INSTANCE : ArrowType.Utf8.INSTANCE;
            case BINARY -> t.bits() > 0 ? new ArrowType.FixedSizeBinary(t.bits())
                    : t.large() ? ArrowType.LargeBinary.INSTANCE : ArrowType.Binary.INSTANCE;
            case DATE -> new ArrowType.Date(DateUnit.DAY);
            case TIME -> switch (t.unit()) {
                case SECOND -> new ArrowType.Time(TimeUnit.SECOND, 32);
                case MILLI -> new ArrowType.Time(TimeUnit.MILLISECOND, 32);
                case MICRO -> new ArrowType.Time(TimeUnit.MICROSECOND, 64);
                case NANO -> new ArrowType.Time(TimeUnit.NANOSECOND, 64);
            };
            case TIMESTAMP -> new ArrowType.Timestamp(switch (t.unit()) {
                case SECOND -> TimeUnit.SECOND;
                case MILLI -> TimeUnit.MILLISECOND;
                case MICRO -> TimeUnit.MICROSECOND;
                case NANO -> TimeUnit.NANOSECOND;
            }, t.zone());
            case NULL -> ArrowType.Null.INSTANCE;
        };
    }

    /**
     * A writer of the columns onto the stream (the Arrow IPC file format), record batches of at most
     * {@link #ROWS_PER_BATCH} rows written as chunks come. A dictionary-encoded column's dictionary is the distinct
     * values of the first chunk (the file format writes dictionaries before the first batch and this writer writes
     * no deltas): a later value outside it fails the file with {@code execution.dictionary_grew}.
     */
    static TableWriter create(List<Table.Column> columns, OutputStream out) {
        return new TableWriter() {
            private BufferAllocator allocator;
            private final List<Dictionary> dictionaries = new ArrayList<>();
            private VectorSchemaRoot root;
            private ArrowFileWriter writer;
            private boolean wroteBatch;

            private void start(Table first) throws IOException {
                allocator = new RootAllocator();
                DictionaryProvider.MapDictionaryProvider provider = new DictionaryProvider.MapDictionaryProvider();
                List<Field> fields = new ArrayList<>();
                for (int c = 0; c < columns.size(); c++) {
                    Table.Column column = columns.get(c);
                    Table.Type t = column.type();
                    ArrowType values = arrowType(t);
                    if (t.dictionaryBits() == 0) {
                        fields.add(new Field(column.name(), FieldType.nullable(values), null));
                        dictionaries.add(null);
                        continue;
                    }
                    ArrowType.Int indexType = new ArrowType.Int(t.dictionaryBits(), true);
                    DictionaryEncoding encoding = new DictionaryEncoding(c, false, indexType);
                    Dictionary dictionary = new Dictionary(distinct(first, c, values, allocator), encoding);
                    provider.put(dictionary);
                    dictionaries.add(dictionary);
                    fields.add(new Field(column.name(), new FieldType(true, indexType, encoding), null));
                }
                root = VectorSchemaRoot.create(new Schema(fields), allocator);
                writer = new ArrowFileWriter(root, provider, java.nio.channels.Channels.newChannel(new java.io.FilterOutputStream(out) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        out.flush(); // the caller's stream stays open
                    }
                }));
                writer.start();
            }

            @Override
            public void write(Table table) throws IOException {
                if (writer == null) {
                    start(table);
                }
                List<Object[]> rows = table.rows();
                for (int from = 0; from < rows.size() || !wroteBatch; from += ROWS_PER_BATCH) {
                    int n = Math.min(ROWS_PER_BATCH, rows.size() - from);
                    for (int c = 0; c < columns.size(); c++) {
                        FieldVector vector = root.getVector(c);
                        Table.Type t = columns.get(c).type();
                        Dictionary dictionary = dictionaries.get(c);
                        if (dictionary == null) {
                            fill(vector, t, rows, from, n, c);
                            continue;
                        }
                        try (FieldVector plain = new Field("values", FieldType.nullable(dictionary.getVectorType()), null)
                                .createVector(allocator)) {
                            fill(plain, t, rows, from, n, c);
                            try (ValueVector encoded = DictionaryEncoder.encode(plain, dictionary)) {
                                encoded.makeTransferPair(vector).transfer();
                            } catch (IllegalArgumentException e) {
                                throw new dev.sluice.execution.FileProblem("execution.dictionary_grew", "column \""
                                        + columns.get(c).name() + "\" is dictionary-encoded (categorical) and a value"
                                        + " first seen after the file's first " + ROWS_PER_BATCH + " rows is not in the"
                                        + " dictionary the Feather output started with; write the output as Parquet or"
                                        + " CSV, or make the column plain text");
                            }
                        }
                    }
                    root.setRowCount(n);
                    writer.writeBatch();
                    wroteBatch = true;
                    if (rows.isEmpty()) {
                        break;
                    }
                }
            }

            @Override
            public void finish() throws IOException {
                if (writer == null) {
                    write(new Table(columns, List.of()));
                }
                try {
                    writer.end();
                    out.flush();
                } finally {
                    root.close();
                    for (Dictionary d : dictionaries) {
                        if (d != null) {
                            d.getVector().close();
                        }
                    }
                    allocator.close();
                }
            }
        };
    }

    /** The column's distinct values, in the order first seen: the dictionary of a dictionary-encoded column. */
    private static FieldVector distinct(Table table, int c, ArrowType values, BufferAllocator allocator) {
        Map<Object, Boolean> seen = new LinkedHashMap<>();
        for (Object[] row : table.rows()) {
            if (row[c] != null) {
                seen.put(row[c] instanceof byte[] b ? java.nio.ByteBuffer.wrap(b) : row[c], true);
            }
        }
        List<Object[]> distinct = new ArrayList<>();
        for (Object v : seen.keySet()) {
            distinct.add(new Object[]{v instanceof java.nio.ByteBuffer b ? b.array() : v});
        }
        FieldVector vector = new Field("dictionary", FieldType.nullable(values), null).createVector(allocator);
        fill(vector, table.columns().get(c).type(), distinct, 0, distinct.size(), 0);
        return vector;
    }

    /** Rows from..from+n of column c into the vector (allocated here); a missing value is left null. */
    private static void fill(FieldVector vector, Table.Type t, List<Object[]> rows, int from, int n, int c) {
        vector.setInitialCapacity(n);
        vector.allocateNew();
        for (int r = 0; r < n; r++) {
            Object v = rows.get(from + r)[c];
            if (v != null) {
                set(vector, r, t, v);
            }
        }
        vector.setValueCount(n);
    }

    private static void set(FieldVector vector, int r, Table.Type t, Object v) {
        switch (vector) {
            case Float2Vector f -> f.setSafe(r, Float.floatToFloat16(((Number) v).floatValue()));
            case Float4Vector f -> f.setSafe(r, ((Number) v).floatValue());
            case Float8Vector f -> f.setSafe(r, ((Number) v).doubleValue());
            case DecimalVector d -> d.setSafe(r, ((BigDecimal) v).setScale(t.scale()));
            case Decimal256Vector d -> d.setSafe(r, ((BigDecimal) v).setScale(t.scale()));
            case BitVector b -> b.setSafe(r, (Boolean) v ? 1 : 0);
            case VarCharVector s -> s.setSafe(r, v.toString().getBytes(StandardCharsets.UTF_8));
            case LargeVarCharVector s -> s.setSafe(r, v.toString().getBytes(StandardCharsets.UTF_8));
            case VarBinaryVector b -> b.setSafe(r, (byte[]) v);
            case LargeVarBinaryVector b -> b.setSafe(r, (byte[]) v);
            case FixedSizeBinaryVector b -> b.setSafe(r, (byte[]) v);
            case DateDayVector d -> d.setSafe(r, (int) ((LocalDate) v).toEpochDay());
            case TimeSecVector s -> s.setSafe(r, ((LocalTime) v).toSecondOfDay());
            case TimeMilliVector s -> s.setSafe(r, (int) (((LocalTime) v).toNanoOfDay() / 1_000_000L));
            case TimeMicroVector s -> s.setSafe(r, ((LocalTime) v).toNanoOfDay() / 1_000L);
            case TimeNanoVector s -> s.setSafe(r, ((LocalTime) v).toNanoOfDay());
            case TimeStampVector s -> s.setSafe(r, ParquetFiles.epoch(v, t.unit()));
            case BaseIntVector i -> i.setWithPossibleTruncate(r, ((Number) v).longValue());
            default -> throw new IllegalStateException("no writer for " + vector.getClass().getSimpleName());
        }
    }
}
