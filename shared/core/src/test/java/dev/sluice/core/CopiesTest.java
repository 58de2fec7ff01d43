package dev.sluice.core;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CopiesTest {
    @Test
    void copiesRunOnce_andEachGetsItsFirstCopysAnswer() {
        List<List<String>> calls = new ArrayList<>();
        List<String> answers = Copies.runOnce(List.of("a", "b", "a", "c", "b"), s -> s, distinct -> {
            calls.add(distinct);
            return distinct.stream().map(String::toUpperCase).toList();
        });
        assertEquals(List.of(List.of("a", "b", "c")), calls);
        assertEquals(List.of("A", "B", "A", "C", "B"), answers);
    }
}
