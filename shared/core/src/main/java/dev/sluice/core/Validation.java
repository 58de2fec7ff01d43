package dev.sluice.core;

/** Small request checks shared by the services, each failing with a stable code. */
public final class Validation {
    private Validation() {
    }

    public static String name(String name, String what) {
        if (name == null || name.isBlank()) {
            throw SluiceException.invalid(what + ".name_required", what + " needs a non-empty \"name\"");
        }
        if (name.length() > 200) {
            throw SluiceException.invalid(what + ".name_too_long", what + " name must be at most 200 characters");
        }
        return name;
    }

    public static <T> T required(T value, String code, String message) {
        if (value == null) {
            throw SluiceException.invalid(code, message);
        }
        return value;
    }

    public static void check(boolean condition, String code, String message) {
        if (!condition) {
            throw SluiceException.invalid(code, message);
        }
    }
}
