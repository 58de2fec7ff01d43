package dev.sluice.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * "Did you mean": the names nearest a mistyped word by edit distance with transpositions (optimal string alignment,
 * as git's help.autocorrect does), so {@code jbos} finds {@code jobs} and {@code --bach-size} {@code --batch-size}.
 * picocli's own suggestions compare letter pairs, which a swapped pair of letters defeats.
 */
final class Suggestions {
    private Suggestions() {
    }

    /** The names at the smallest distance from word, if that distance is at most 2 and under half the word's length. */
    static List<String> nearest(String word, Collection<String> names) {
        String w = word.toLowerCase(Locale.ROOT);
        int best = Integer.MAX_VALUE;
        List<String> found = new ArrayList<>();
        for (String name : names) {
            int d = distance(w, name.toLowerCase(Locale.ROOT));
            if (d < best) {
                best = d;
                found.clear();
            }
            if (d == best) {
                found.add(name);
            }
        }
        return best <= 2 && best * 2 < Math.max(2, w.replaceFirst("^-+", "").length()) ? found : List.of();
    }

    /** Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
