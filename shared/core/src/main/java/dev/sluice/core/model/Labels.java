package dev.sluice.core.model;

import java.util.List;

/** Reads a label file: one class per line, in class-id order. */
public final class Labels {
    private Labels() {
    }

    /**
     * Blank lines are dropped; an ImageNet synset line ("n01443537 goldfish, Carassius auratus") gives its first name
     * ("goldfish").
     */
    public static List<String> parse(List<String> lines) {
        return lines.stream().filter(l -> !l.isBlank()).map(l -> {
            String name = l.matches("^n\\d{8} .*") ? l.substring(10) : l;
            int comma = name.indexOf(',');
            return (comma < 0 ? name : name.substring(0, comma)).trim();
        }).toList();
    }
}
