package dev.sluice.core.job;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Whether running an item again can change its outcome: the one table that classes every failure code, shown as
 * {@code failureClass} on each failed log entry and each line of {@code errors.ndjson}, and read by
 * {@code POST /batch/jobs/{id}:retry {"only": "retryable"}}.
 *
 * <ul>
 *   <li>{@link #Retryable}: the item was not at fault — a fetch that timed out, could not connect, or met a 408, 429
 *       or 5xx ({@code gather.timeout}, {@code gather.unreachable}, {@code gather.http_503}, …), any delivery failure
 *       ({@code deliver.*}, {@code delivery.*}: another webhook or a repaired endpoint takes it), a transient predict
 *       or queue failure ({@code predict.failed}, {@code inference.dead_lettered}, {@code fanout.dead_lettered}), and
 *       items skipped because their job ended first ({@code job.cancelled}, {@code job.timed_out}, …);</li>
 *   <li>{@link #Permanent}: the same input fails the same way — the line ({@code item.*}), its URL ({@code url.*}),
 *       its bytes ({@code process.*}), what the URL answered ({@code gather.not_found}, {@code gather.too_large},
 *       other 4xx, …) or what the model made of it ({@code predict.non_finite}, …).</li>
 * </ul>
 * A code this table does not know is {@link #Permanent}: a retry of "retryable" items never re-runs, at the user's
 * expense, a failure nobody has shown to be transient ({@code FailureClassTest} lists every code the pipeline writes).
 */
public enum FailureClass {
    Retryable, Permanent;

    private record Rule(Pattern code, FailureClass failureClass) {
    }

    /** First match wins. Source of the classes: issue 24 item 7 and the codes' meaning in README "Error codes". */
    private static final List<Rule> RULES = List.of(
            new Rule(Pattern.compile("(item|url|process)\\..*"), Permanent),
            new Rule(Pattern.compile("gather\\.(timeout|unreachable|interrupted|failed|http_(408|429|5\\d\\d))"), Retryable),
            new Rule(Pattern.compile("gather\\..*"), Permanent),
            new Rule(Pattern.compile("(deliver|delivery)\\..*"), Retryable),
            new Rule(Pattern.compile("predict\\.failed|inference\\.dead_lettered|fanout\\.dead_lettered"), Retryable),
            new Rule(Pattern.compile("job\\.(cancelled|timed_out|stalled|terminal|error_budget_exceeded)"), Retryable));

    /**
     * The class of a failure.
     *
     * @param reason a failure code ({@code gather.timeout}) or a log entry's reason that starts with one
     *               ({@code "gather.timeout: no answer in 10 s"}); null or blank is {@link #Permanent}
     */
    public static FailureClass of(String reason) {
        if (reason == null) {
            return Permanent;
        }
        int colon = reason.indexOf(':');
        String code = (colon < 0 ? reason : reason.substring(0, colon)).strip();
        for (Rule rule : RULES) {
            if (rule.code().matcher(code).matches()) {
                return rule.failureClass();
            }
        }
        return Permanent;
    }
}
