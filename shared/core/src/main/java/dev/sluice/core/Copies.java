package dev.sluice.core;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * SQS delivers at least once, so one invocation can hold two copies of the same batch (a re-sent fan-out segment, a
 * re-sent delivery). One transaction cannot commit a batch twice, so the copies run once: the first of each identity
 * is handed over, and every copy gets the answer its first copy got.
 */
public final class Copies {
    private Copies() {
    }

    public static <T, R> List<R> runOnce(List<T> messages, Function<T, String> identity, Function<List<T>, List<R>> run) {
        Map<String, Integer> positionOf = new HashMap<>();
        List<T> distinct = new ArrayList<>();
        for (T m : messages) {
            if (positionOf.putIfAbsent(identity.apply(m), distinct.size()) == null) {
                distinct.add(m);
            }
        }
        if (distinct.size() == messages.size()) {
            return run.apply(messages);
        }
        List<R> answers = run.apply(distinct);
        return messages.stream().map(m -> answers.get(positionOf.get(identity.apply(m)))).toList();
    }
}
