package dev.sluice.tables;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;

import java.util.HashSet;
import java.util.Set;

/**
 * The "pandas" metadata that pandas (through pyarrow) writes into Parquet and Feather files: which columns hold the
 * DataFrame's index ({@code index_columns}: a column name per stored index, a range index is not a column). See
 * https://pandas.pydata.org/docs/development/developer.html#storing-pandas-dataframe-objects-in-apache-parquet-format
 */
final class PandasMetadata {
    private PandasMetadata() {
    }

    /** The names of the index columns; none when the metadata is missing or unreadable (it is advisory). */
    static Set<String> indexColumns(String json) {
        Set<String> names = new HashSet<>();
        if (json == null) {
            return names;
        }
        try {
            JsonNode index = Json.tree(json).path("index_columns");
            for (JsonNode entry : index) {
                if (entry.isTextual()) {
                    names.add(entry.textValue());
                }
            }
        } catch (RuntimeException e) {
            // not pandas' metadata after all: no index columns
        }
        return names;
    }
}
