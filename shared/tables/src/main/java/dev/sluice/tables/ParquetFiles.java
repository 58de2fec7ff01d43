package dev.sluice.tables;

import dev.sluice.execution.Cells;
import dev.sluice.execution.FolderStore;
import dev.sluice.execution.TableReader;
import dev.sluice.execution.TableWriter;
import dev.sluice.execution.RowBudget;
import dev.sluice.execution.Table;
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
import org.apache.parquet.io.RecordReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Types;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.io.OutputStream;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Parquet through parquet-hadoop's own reader and writer, on local files (no Hadoop file system). Each column's type
 * is its physical type read through its logical type annotation (parquet-java's {@link LogicalTypeAnnotation}, which
 * also maps the legacy converted types): signed and unsigned integers of 8–64 bits, float16/float/double, decimals
 * stored as INT32, INT64, FIXED_LEN_BYTE_ARRAY or BINARY, strings (and enum, JSON), binary, booleans, dates, times and
 * timestamps (millis, micros, nanos; UTC-adjusted or local) and the legacy INT96 timestamps (as nanoseconds, the way
 * pyarrow and Spark read them). Columns that pandas wrote as its index are marked. Flat schemas only. Read where it
 * is (ranged reads: the footer, then row group by row group), written as it goes (row group by row group), Snappy-compressed, every column optional, each type as the logical type that holds it (see README's type table).
 */
final class ParquetFiles {
    private ParquetFiles() {
    }

    /** A footer's Thrift takes about this many times its bytes once parsed into parquet-java's objects. */
    private static final int FOOTER_HEAP_FACTOR = 10;

    /**
     * The file's rows, row group by row group, on the budget: the footer is read with two ranged reads (its length
     * from the last 8 bytes, then the footer) and charged at {@link #FOOTER_HEAP_FACTOR} times its bytes for as long
     * as the file is read; each row group's uncompressed pages are charged while it is read (parquet-java holds its
     * column chunks). A footer whose Thrift nests too deeply for the reader's stack (a hostile file) fails as
     * unreadable.
     */
    static TableReader open(FolderStore.Source file, RowBudget budget) throws IOException {
        long footer = footerLength(file);
        budget.chargeBytes(FOOTER_HEAP_FACTOR * footer, RowBudget.Held.FOOTER);
        try {
            return new Rows(file, budget, FOOTER_HEAP_FACTOR * footer);
        } catch (StackOverflowError e) {
            budget.release(FOOTER_HEAP_FACTOR * footer);
            throw new IOException("the file's footer nests deeper than a Parquet schema can; it is not read");
        } catch (dev.sluice.execution.FileProblem | IOException e) {
            budget.release(FOOTER_HEAP_FACTOR * footer);
            throw e;
        } catch (RuntimeException e) {
            budget.release(FOOTER_HEAP_FACTOR * footer);
            throw new IOException(e.getMessage(), e);
        }
    }

    /** The footer's length, from the last 8 bytes (4-byte little-endian length, then "PAR1"). */
    private static long footerLength(FolderStore.Source file) throws IOException {
        long size = file.size();
        if (size < 12) {
            throw new IOException("not a Parquet file (" + size + " bytes)");
        }
        byte[] tail;
        try (var in = file.from(size - 8)) {
            tail = in.readNBytes(8);
        }
        if (tail.length < 8) {
            throw new IOException("not a Parquet file (it ended early)");
        }
        ByteBuffer b = ByteBuffer.wrap(tail).order(ByteOrder.LITTLE_ENDIAN);
        long length = Integer.toUnsignedLong(b.getInt(0));
        if (tail[4] != 'P' || tail[5] != 'A' || tail[6] != 'R' || tail[7] != '1') {
            throw new IOException("not a Parquet file (it does not end with PAR1)");
        }
        return Math.min(length, size);
    }

    /** The open file: one row group's record reader at a time. */
    private static final class Rows implements TableReader {
        private final RowBudget budget;
        private final long footerCharge;
        private final ParquetFileReader reader;
        private final MessageType schema;
        private final List<Table.Column> columns = new ArrayList<>();
        private int group;
        private long groupCharge;
        private RecordReader<Group> records;
        private long left;
        private boolean given;

        Rows(FolderStore.Source file, RowBudget budget, long footerCharge) throws IOException {
            this.budget = budget;
            this.footerCharge = footerCharge;
            PlainParquetConfiguration conf = new PlainParquetConfiguration();
            reader = ParquetFileReader.open(new SourceInputFile(file),
                    ParquetReadOptions.builder(conf).withCodecFactory(ParquetCodecs.INSTANCE).build());
            try {
                schema = reader.getFooter().getFileMetaData().getSchema();
                Set<String> index = PandasMetadata.indexColumns(reader.getFooter().getFileMetaData().getKeyValueMetaData().get("pandas"));
                for (Type field : schema.getFields()) {
                    if (!field.isPrimitive() || field.isRepetition(Type.Repetition.REPEATED)) {
                        throw new IOException("column " + field.getName() + " is nested or repeated; only flat columns are read");
                    }
                    columns.add(new Table.Column(field.getName(), typeOf(field.asPrimitiveType()), index.contains(field.getName())));
                }
            } catch (IOException | RuntimeException e) {
                reader.close();
                throw e;
            }
        }

        @Override
        public Table next(Limit limit) throws IOException {
            try {
                List<Object[]> rows = new ArrayList<>();
                long bytes = 0;
                while (rows.size() < limit.rows() && bytes < limit.bytes()) {
                    if (left == 0 && !nextGroup()) {
                        break;
                    }
                    Group g = records.read();
                    left--;
                    Object[] row = new Object[columns.size()];
                    for (int c = 0; c < row.length; c++) {
                        row[c] = g.getFieldRepetitionCount(c) == 0 ? null
                                : value(g, c, schema.getType(c).asPrimitiveType(), columns.get(c).type());
                    }
                    bytes += RowBudget.cost(row);
                    rows.add(row);
                }
                if (rows.isEmpty() && given) {
                    return null;
                }
                given = true;
                return new Table(List.copyOf(columns), rows);
            } catch (dev.sluice.execution.FileProblem | IOException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        /** Moves to the next row group with rows (its pages charged, the previous group's given back). */
        private boolean nextGroup() throws IOException {
            budget.release(groupCharge);
            groupCharge = 0;
            records = null;
            while (group < reader.getRowGroups().size()) {
                long pageBytes = reader.getRowGroups().get(group++).getTotalByteSize();
                budget.chargeBytes(pageBytes, RowBudget.Held.ROW_GROUP);
                groupCharge = pageBytes;
                PageReadStore pages = reader.readNextRowGroup();
                if (pages == null) {
                    return false;
                }
                if (pages.getRowCount() > 0) {
                    records = new ColumnIOFactory().getColumnIO(schema).getRecordReader(pages, new GroupRecordConverter(schema));
                    left = pages.getRowCount();
                    return true;
                }
                budget.release(groupCharge);
                groupCharge = 0;
            }
            return false;
        }

        @Override
        public void close() throws IOException {
            budget.release(groupCharge + footerCharge);
            groupCharge = 0;
            reader.close();
        }
    }

    /** The column's logical type, from its physical type and annotation; unknown annotations read as binary. */
    static Table.Type typeOf(PrimitiveType type) throws IOException {
        LogicalTypeAnnotation logical = type.getLogicalTypeAnnotation();
        PrimitiveTypeName physical = type.getPrimitiveTypeName();
        if (logical instanceof DecimalLogicalTypeAnnotation d) {
            return Table.Type.decimal(d.getPrecision(), d.getScale());
        }
        return switch (physical) {
            case BOOLEAN -> Table.Type.BOOLEAN;
            case INT32 -> switch (logical) {
                case null -> Table.Type.integer(32, true);
                case IntLogicalTypeAnnotation i -> Table.Type.integer(i.getBitWidth(), i.isSigned());
                case LogicalTypeAnnotation.DateLogicalTypeAnnotation d -> Table.Type.DATE;
                case TimeLogicalTypeAnnotation t -> Table.Type.time(unit(t.getUnit()));
                case LogicalTypeAnnotation.UnknownLogicalTypeAnnotation u -> Table.Type.NULL;
                default -> throw unsupported(type);
            };
            case INT64 -> switch (logical) {
                case null -> Table.Type.INT64;
                case IntLogicalTypeAnnotation i -> Table.Type.integer(i.getBitWidth(), i.isSigned());
                case TimeLogicalTypeAnnotation t -> Table.Type.time(unit(t.getUnit()));
                case TimestampLogicalTypeAnnotation t -> Table.Type.timestamp(unit(t.getUnit()),
                        t.isAdjustedToUTC() ? "UTC" : null);
                default -> throw unsupported(type);
            };
            case INT96 -> Table.Type.timestamp(Table.Unit.NANO, null);
            case FLOAT -> Table.Type.FLOAT32;
            case DOUBLE -> Table.Type.FLOAT64;
            case BINARY -> switch (logical) {
                case LogicalTypeAnnotation.StringLogicalTypeAnnotation s -> Table.Type.STRING;
                case LogicalTypeAnnotation.EnumLogicalTypeAnnotation e -> Table.Type.STRING;
                case LogicalTypeAnnotation.JsonLogicalTypeAnnotation j -> Table.Type.STRING;
                case null, default -> Table.Type.BINARY;
            };
            case FIXED_LEN_BYTE_ARRAY -> logical instanceof LogicalTypeAnnotation.Float16LogicalTypeAnnotation
                    ? Table.Type.floating(16) : Table.Type.fixedBinary(type.getTypeLength());
        };
    }

    private static IOException unsupported(PrimitiveType type) {
        return new IOException("column " + type.getName() + " has the type " + type + ", which is not read");
    }

    private static Table.Unit unit(LogicalTypeAnnotation.TimeUnit unit) {
        return switch (unit) {
            case MILLIS -> Table.Unit.MILLI;
            case MICROS -> Table.Unit.MICRO;
            case NANOS -> Table.Unit.NANO;
        };
    }

    private static Object value(Group g, int c, PrimitiveType physical, Table.Type type) {
        return switch (physical.getPrimitiveTypeName()) {
            case BOOLEAN -> g.getBoolean(c, 0);
            case INT32 -> fromLong(type.signed() || type.kind() != Table.Kind.INT
                    ? g.getInteger(c, 0) : Integer.toUnsignedLong(g.getInteger(c, 0)), type);
            case INT64 -> fromLong(g.getLong(c, 0), type);
            case INT96 -> int96(g.getInt96(c, 0));
            case FLOAT -> g.getFloat(c, 0);
            case DOUBLE -> g.getDouble(c, 0);
            case BINARY, FIXED_LEN_BYTE_ARRAY -> {
                byte[] bytes = g.getBinary(c, 0).getBytes();
                yield switch (type.kind()) {
                    case DECIMAL -> new BigDecimal(new BigInteger(bytes), type.scale());
                    case STRING -> g.getBinary(c, 0).toStringUsingUTF8();
                    case FLOAT -> Float.float16ToFloat(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getShort());
                    default -> bytes;
                };
            }
        };
    }

    /** An INT32 or INT64 value (already widened as its sign says) as the type's value. */
    private static Object fromLong(long v, Table.Type type) {
        return switch (type.kind()) {
            case INT -> type.bits() == 64 && !type.signed() ? Cells.unsigned64(v) : (Object) v;
            case DECIMAL -> BigDecimal.valueOf(v, type.scale());
            case DATE -> LocalDate.ofEpochDay(v);
            case TIME -> LocalTime.ofNanoOfDay(Math.multiplyExact(v, nanosPer(type.unit())));
            case TIMESTAMP -> {
                long per = nanosPer(type.unit());
                long perSecond = 1_000_000_000L / per;
                long seconds = Math.floorDiv(v, perSecond);
                long nanos = Math.floorMod(v, perSecond) * per;
                yield type.zone() == null ? LocalDateTime.ofEpochSecond(seconds, (int) nanos, ZoneOffset.UTC)
                        : java.time.Instant.ofEpochSecond(seconds, nanos);
            }
            case NULL -> null;
            default -> throw new IllegalStateException("no integer form for " + type);
        };
    }

    static long nanosPer(Table.Unit unit) {
        return switch (unit) {
            case SECOND -> 1_000_000_000L;
            case MILLI -> 1_000_000L;
            case MICRO -> 1_000L;
            case NANO -> 1L;
        };
    }

    /** The legacy INT96 timestamp: nanoseconds of the day (8 bytes) and the Julian day (4 bytes), little-endian. */
    private static LocalDateTime int96(Binary binary) {
        ByteBuffer buffer = binary.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long nanosOfDay = buffer.getLong();
        int julianDay = buffer.getInt();
        return LocalDate.ofEpochDay(julianDay - 2_440_588L).atStartOfDay().plusNanos(nanosOfDay);
    }

    /** The Parquet type that holds a column's type (README's type table). */
    static Type parquetType(Table.Column column) {
        Table.Type t = column.type();
        String name = column.name();
        return switch (t.kind()) {
            case INT -> Types.optional(t.bits() == 64 ? PrimitiveTypeName.INT64 : PrimitiveTypeName.INT32)
                    .as(LogicalTypeAnnotation.intType(t.bits(), t.signed())).named(name);
            case FLOAT -> switch (t.bits()) {
                case 16 -> Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(2)
                        .as(LogicalTypeAnnotation.float16Type()).named(name);
                case 32 -> Types.optional(PrimitiveTypeName.FLOAT).named(name);
                default -> Types.optional(PrimitiveTypeName.DOUBLE).named(name);
            };
            case DECIMAL -> t.precision() <= 9
                    ? Types.optional(PrimitiveTypeName.INT32).as(decimal(t)).named(name)
                    : t.precision() <= 18
                    ? Types.optional(PrimitiveTypeName.INT64).as(decimal(t)).named(name)
                    : Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(decimalBytes(t.precision()))
                    .as(decimal(t)).named(name);
            case BOOLEAN -> Types.optional(PrimitiveTypeName.BOOLEAN).named(name);
            case STRING -> Types.optional(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named(name);
            case BINARY -> t.bits() > 0
                    ? Types.optional(PrimitiveTypeName.FIXED_LEN_BYTE_ARRAY).length(t.bits()).named(name)
                    : Types.optional(PrimitiveTypeName.BINARY).named(name);
            case DATE -> Types.optional(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.dateType()).named(name);
            case TIME -> t.unit() == Table.Unit.SECOND || t.unit() == Table.Unit.MILLI
                    ? Types.optional(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.timeType(false,
                    LogicalTypeAnnotation.TimeUnit.MILLIS)).named(name)
                    : Types.optional(PrimitiveTypeName.INT64).as(LogicalTypeAnnotation.timeType(false,
                    parquetUnit(t.unit()))).named(name);
            case TIMESTAMP -> Types.optional(PrimitiveTypeName.INT64).as(LogicalTypeAnnotation.timestampType(
                    t.zone() != null, parquetUnit(t.unit()))).named(name);
            case NULL -> Types.optional(PrimitiveTypeName.INT32).as(LogicalTypeAnnotation.unknownType()).named(name);
        };
    }

    private static LogicalTypeAnnotation decimal(Table.Type t) {
        return LogicalTypeAnnotation.decimalType(t.scale(), t.precision());
    }

    /** The fewest bytes whose two's complement holds every unscaled value of the precision (as pyarrow sizes them). */
    static int decimalBytes(int precision) {
        BigInteger max = BigInteger.TEN.pow(precision).subtract(BigInteger.ONE);
        return max.bitLength() / 8 + 1;
    }

    /** Seconds become milliseconds: Parquet has no second unit (as pyarrow writes them). */
    private static LogicalTypeAnnotation.TimeUnit parquetUnit(Table.Unit unit) {
        return switch (unit) {
            case SECOND, MILLI -> LogicalTypeAnnotation.TimeUnit.MILLIS;
            case MICRO -> LogicalTypeAnnotation.TimeUnit.MICROS;
            case NANO -> LogicalTypeAnnotation.TimeUnit.NANOS;
        };
    }

    /** The unit a column is written in: a second unit is written in milliseconds. */
    static Table.Unit writtenUnit(Table.Unit unit) {
        return unit == Table.Unit.SECOND ? Table.Unit.MILLI : unit;
    }

    /**
     * A writer of the columns onto the stream, Snappy-compressed, a row group written out each time the buffered
     * rows reach rowGroupBytes (parquet-java's row group size; pages of 1 MiB), so the output goes as it comes.
     */
    static TableWriter create(List<Table.Column> columns, OutputStream out, long rowGroupBytes) throws IOException {
        Types.MessageTypeBuilder builder = Types.buildMessage();
        for (Table.Column column : columns) {
            builder.addField(parquetType(column));
        }
        MessageType schema = builder.named("schema");
        SimpleGroupFactory groups = new SimpleGroupFactory(schema);
        ParquetWriter<Group> writer = ExampleParquetWriter.builder(SourceInputFile.onto(out))
                .withConf(new PlainParquetConfiguration()).withType(schema)
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE).withRowGroupSize(Math.max(1L << 20, rowGroupBytes))
                .withCodecFactory(ParquetCodecs.INSTANCE).withCompressionCodec(CompressionCodecName.SNAPPY).build();
        return new TableWriter() {
            @Override
            public void write(Table table) throws IOException {
                for (Object[] row : table.rows()) {
                    Group g = groups.newGroup();
                    for (int c = 0; c < row.length; c++) {
                        if (row[c] != null) {
                            append(g, c, columns.get(c).type(), row[c]);
                        }
                    }
                    writer.write(g);
                }
            }

            @Override
            public void finish() throws IOException {
                writer.close();
            }
        };
    }

    private static void append(Group g, int c, Table.Type t, Object v) {
        switch (t.kind()) {
            case INT -> {
                if (t.bits() == 64) g.append(g.getType().getFieldName(c), ((Number) v).longValue());
                else g.append(g.getType().getFieldName(c), (int) ((Number) v).longValue());
            }
            case FLOAT -> {
                String name = g.getType().getFieldName(c);
                switch (t.bits()) {
                    case 16 -> g.append(name, Binary.fromConstantByteArray(ByteBuffer.allocate(2)
                            .order(ByteOrder.LITTLE_ENDIAN).putShort(Float.floatToFloat16(((Number) v).floatValue())).array()));
                    case 32 -> g.append(name, ((Number) v).floatValue());
                    default -> g.append(name, ((Number) v).doubleValue());
                }
            }
            case DECIMAL -> {
                BigInteger unscaled = ((BigDecimal) v).setScale(t.scale()).unscaledValue();
                String name = g.getType().getFieldName(c);
                if (t.precision() <= 9) g.append(name, unscaled.intValueExact());
                else if (t.precision() <= 18) g.append(name, unscaled.longValueExact());
                else g.append(name, Binary.fromConstantByteArray(twosComplement(unscaled, decimalBytes(t.precision()))));
            }
            case BOOLEAN -> g.append(g.getType().getFieldName(c), (Boolean) v);
            case STRING -> g.append(g.getType().getFieldName(c), v.toString());
            case BINARY -> g.append(g.getType().getFieldName(c), Binary.fromConstantByteArray((byte[]) v));
            case DATE -> g.append(g.getType().getFieldName(c), (int) ((LocalDate) v).toEpochDay());
            case TIME -> {
                long nanos = ((LocalTime) v).toNanoOfDay() / nanosPer(writtenUnit(t.unit()));
                if (writtenUnit(t.unit()) == Table.Unit.MILLI) g.append(g.getType().getFieldName(c), (int) nanos);
                else g.append(g.getType().getFieldName(c), nanos);
            }
            case TIMESTAMP -> g.append(g.getType().getFieldName(c), epoch(v, writtenUnit(t.unit())));
            case NULL -> {
            }
        }
    }

    /** A timestamp value (LocalDateTime read as UTC, or Instant) in units since the epoch. */
    static long epoch(Object v, Table.Unit unit) {
        java.time.Instant i = v instanceof LocalDateTime l ? l.toInstant(ZoneOffset.UTC) : (java.time.Instant) v;
        long per = nanosPer(unit);
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000_000L / per), i.getNano() / per);
    }

    private static byte[] twosComplement(BigInteger v, int bytes) {
        byte[] raw = v.toByteArray();
        byte[] out = new byte[bytes];
        Arrays.fill(out, v.signum() < 0 ? (byte) 0xFF : 0);
        System.arraycopy(raw, 0, out, bytes - raw.length, raw.length);
        return out;
    }
}
