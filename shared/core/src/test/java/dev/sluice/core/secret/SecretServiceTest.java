package dev.sluice.core.secret;

import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeSecretStore;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A project's secrets: names checked, values write-only, another project's name answers as a missing one. */
class SecretServiceTest {
    private final FakeSecretStore store = new FakeSecretStore();
    private long now = 1_000;
    private final SecretService secrets = new SecretService(store, () -> now);

    private static String code(Runnable r) {
        return assertThrows(SluiceException.class, r::run).code();
    }

    @Test
    void namesThatCouldLeaveTheProjectsPrefixOrReadAsAnArn_areRefused() {
        for (String name : List.of("", "a/b", "../proj_b/key", "sluice/proj_b/key", "x".repeat(129), "é",
                // a name must be one path segment the routes match, or it could be created and never rotated or deleted
                "aws.key", "a+b", "a=b", "a@b")) {
            assertEquals("secret.bad_name", code(() -> secrets.create("proj_a", new SecretService.CreateRequest(name, "v"))), name);
        }
        assertEquals("secret.bad_value", code(() -> secrets.create("proj_a", new SecretService.CreateRequest("k", ""))));
        assertEquals("secret.bad_value", code(() -> secrets.create("proj_a",
                new SecretService.CreateRequest("k", "v".repeat(SecretService.MAX_VALUE_CHARS + 1)))));
    }

    /** "status code message" of proj_b's rotation and deletion of "key". */
    private List<String> projectBsAnswers() {
        return List.<Runnable>of(() -> secrets.rotate("proj_b", "key", new SecretService.RotateRequest("b")),
                () -> secrets.delete("proj_b", "key")).stream().map(r -> {
                    SluiceException e = assertThrows(SluiceException.class, r::run);
                    return e.kind() + " " + e.code() + " " + e.getMessage();
                }).toList();
    }

    @Test
    void anotherProjectsSecret_answersExactlyAsAMissingOne() {
        secrets.create("proj_a", new SecretService.CreateRequest("key", "a-value"));
        List<String> whileAHasIt = projectBsAnswers();
        assertTrue(secrets.value("proj_b", "key").isEmpty());
        assertEquals(List.of(), secrets.list("proj_b").data());
        assertEquals("a-value", secrets.value("proj_a", "key").orElseThrow(), "untouched by proj_b");
        secrets.delete("proj_a", "key");
        assertEquals(whileAHasIt, projectBsAnswers());
        assertTrue(whileAHasIt.get(0).startsWith("NOT_FOUND secret.not_found "), whileAHasIt.get(0));
    }

    @Test
    void createRotateListDelete_neverShowTheValue_andKeepTheCreateTime() {
        var created = secrets.create("proj_a", new SecretService.CreateRequest("key", "first"));
        assertEquals(new SecretService.Secret("secret", "key", 1_000, 1_000), created);
        assertEquals("secret.exists", code(() -> secrets.create("proj_a", new SecretService.CreateRequest("key", "x"))));
        now = 2_000;
        assertEquals(new SecretService.Secret("secret", "key", 1_000, 2_000),
                secrets.rotate("proj_a", "key", new SecretService.RotateRequest("second")));
        assertEquals("second", secrets.value("proj_a", "key").orElseThrow());
        assertFalse(secrets.list("proj_a").toString().contains("second"));
        secrets.delete("proj_a", "key");
        assertTrue(secrets.value("proj_a", "key").isEmpty());
    }

    @Test
    void aProjectHoldsABoundedNumberOfSecrets() {
        for (int i = 0; i < SecretService.MAX_SECRETS; i++) {
            secrets.create("proj_a", new SecretService.CreateRequest("k" + i, "v"));
        }
        assertEquals("secret.too_many", code(() -> secrets.create("proj_a", new SecretService.CreateRequest("one-more", "v"))));
        assertEquals(SecretService.MAX_SECRETS, secrets.list("proj_a").data().size());
    }
}
