package dev.sluice.execution;

import dev.sluice.core.Validation;
import dev.sluice.core.model.Model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How the rows of a file become model inputs, from the execution's parameters.
 * <ul>
 *   <li>Tabular models: {@code featureColumns} (comma-separated, in the order of the model's input tensor; default:
 *   every numeric column in file order, see {@link #featureColumns}) become one [rows, features] float tensor.</li>
 *   <li>Image models: {@code imageColumn} (default: the first of image, url, key) names an https:// or s3:// URL, or
 *   a key of the source bucket (a path under the source folder in local mode).</li>
 *   <li>{@code batchSize}: rows per model call (default 256, at most 4096).</li>
 * </ul>
 */
public final class RowMapping {
    public static final String FEATURE_COLUMNS = "featureColumns";
    public static final String IMAGE_COLUMN = "imageColumn";
    public static final String BATCH_SIZE = "batchSize";
    public static final int DEFAULT_BATCH_SIZE = 256;
    public static final int MAX_BATCH_SIZE = 4096;
    /**
     * The most the parameters may take, keys and values in UTF-8: they are kept in the execution's DynamoDB item (at
     * most 400 KB, https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html), beside the
     * output schema (up to {@link ExecutionRunner#MAX_SCHEMA_BYTES}); 50 values of 4,096 characters of 3 UTF-8 bytes
     * each made the item too large, and the create answered 500.
     */
    public static final int MAX_PARAMETER_BYTES = 64 * 1024;
    private static final List<String> IMAGE_COLUMNS = List.of("image", "url", "key");

    private RowMapping() {
    }

    static void validate(Model model, Map<String, String> parameters) {
        Validation.check(parameters.size() <= 50 && parameters.entrySet().stream().allMatch(e -> e.getKey() != null
                        && e.getKey().matches("[A-Za-z0-9_.-]{1,64}") && e.getValue() != null && e.getValue().length() <= 4096),
                "execution.bad_parameters", "parameters: at most 50 pairs, keys [A-Za-z0-9_.-]{1,64}, values up to 4096 characters");
        long bytes = parameters.entrySet().stream().mapToLong(e -> e.getKey().length()
                + e.getValue().getBytes(java.nio.charset.StandardCharsets.UTF_8).length).sum();
        Validation.check(bytes <= MAX_PARAMETER_BYTES, "execution.bad_parameters", "parameters take " + bytes
                + " bytes (UTF-8); at most " + MAX_PARAMETER_BYTES + " in all");
        String batch = parameters.get(BATCH_SIZE);
        if (batch != null) {
            int n;
            try {
                n = Integer.parseInt(batch);
            } catch (NumberFormatException e) {
                n = 0;
            }
            Validation.check(n >= 1 && n <= MAX_BATCH_SIZE, "execution.bad_parameters",
                    "parameters.batchSize must be 1.." + MAX_BATCH_SIZE);
        }
        Validation.check(model.task() == Model.Task.Tabular || !parameters.containsKey(FEATURE_COLUMNS),
                "execution.bad_parameters", "parameters.featureColumns is for Tabular models; model " + model.id()
                        + " is " + model.task() + " (use imageColumn)");
        Validation.check(model.task() != Model.Task.Tabular || !parameters.containsKey(IMAGE_COLUMN),
                "execution.bad_parameters", "parameters.imageColumn is for image models; model " + model.id()
                        + " is Tabular (use featureColumns)");
    }

    public static int batchSize(Map<String, String> parameters) {
        String value = parameters.get(BATCH_SIZE);
        return value == null ? DEFAULT_BATCH_SIZE : Integer.parseInt(value);
    }

    /**
     * The columns holding the features, in tensor order: those named by {@code featureColumns}, else every numeric
     * column in file order (ints, floats, decimals; in a CSV file, a column whose every cell is a number or a missing
     * value as pandas spells it, {@link Cells#MISSING_TEXT}). Never a default: booleans (True/False, often the
     * target), text, time, binary and dictionary (categorical) columns, and the
     * writer's index columns (pandas' index columns, {@code __index_level_N__}, {@code Unnamed: N}: how pandas names
     * the empty header cell of the index that {@code DataFrame.to_csv()} writes).
     *
     * @param csv the table was read from CSV: every column is text, typed here by its cells
     */
    public static int[] featureColumns(Table table, Map<String, String> parameters, boolean csv) {
        String named = parameters.get(FEATURE_COLUMNS);
        if (named == null) {
            int[] numeric = new int[table.columns().size()];
            int n = 0;
            for (int i = 0; i < table.columns().size(); i++) {
                if (isDefaultFeature(table, i, csv)) {
                    numeric[n++] = i;
                }
            }
            if (n == 0) {
                throw new FileProblem("execution.no_feature_columns", "the file has no numeric columns; name the"
                        + " model's inputs with parameters.featureColumns");
            }
            return Arrays.copyOf(numeric, n);
        }
        String[] names = named.split(",");
        int[] indexes = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            indexes[i] = column(table, names[i].trim());
            if (indexes[i] < 0) {
                throw new FileProblem("execution.missing_column", "the file has no column \"" + names[i].trim()
                        + "\" (parameters.featureColumns); its columns: " + columnNames(table));
            }
        }
        return indexes;
    }

    private static final java.util.regex.Pattern INDEX_NAME = java.util.regex.Pattern.compile(
            "Unnamed: \\d+|__index_level_\\d+__");

    private static boolean isDefaultFeature(Table table, int i, boolean csv) {
        Table.Column column = table.columns().get(i);
        if (column.index() || INDEX_NAME.matcher(column.name()).matches()) {
            return false;
        }
        if (!csv) {
            return column.type().isNumeric();
        }
        for (Object[] row : table.rows()) {
            if (row[i] instanceof String s && !s.isBlank() && !Cells.isMissing(s)
                    && (!Cells.isNumberText(s) || Cells.isBooleanText(s))) {
                return false;
            }
        }
        return true;
    }

    /** A column by its name; else by its name without surrounding spaces ("a, b" headers), if only one has it. */
    static int column(Table table, String name) {
        int exact = table.columnIndex(name);
        if (exact >= 0) {
            return exact;
        }
        int found = -1;
        for (int i = 0; i < table.columns().size(); i++) {
            if (table.columns().get(i).name().strip().equals(name)) {
                if (found >= 0) {
                    return -1;
                }
                found = i;
            }
        }
        return found;
    }

    /** The column naming each row's image. */
    public static int imageColumn(Table table, Map<String, String> parameters) {
        String named = parameters.get(IMAGE_COLUMN);
        List<String> candidates = named != null ? List.of(named) : IMAGE_COLUMNS;
        for (String c : candidates) {
            int i = table.columnIndex(c);
            if (i >= 0) {
                return i;
            }
        }
        throw new FileProblem("execution.missing_column", "the file has no image column " + candidates
                + " (parameters.imageColumn); its columns: " + columnNames(table));
    }

    /** A name for a new column that no existing column has. */
    static String fresh(Table table, List<Table.Column> added, String name) {
        String candidate = name;
        while (taken(table, added, candidate)) {
            candidate = "prediction_" + candidate;
        }
        return candidate;
    }

    private static boolean taken(Table table, List<Table.Column> added, String name) {
        return table.columnIndex(name) >= 0 || added.stream().anyMatch(c -> c.name().equals(name));
    }

    private static String columnNames(Table table) {
        List<String> names = new ArrayList<>();
        table.columns().forEach(c -> names.add(c.name()));
        return String.join(", ", names);
    }
}
