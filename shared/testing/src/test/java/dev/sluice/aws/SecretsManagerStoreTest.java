package dev.sluice.aws;

import dev.sluice.core.port.SecretStore;
import dev.sluice.testing.MotoServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.Tag;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SecretsManagerStore} through the AWS SDK over HTTP against moto's server (Secrets Manager's API as moto
 * implements it; `python3 -m pip install 'moto[server]'`, which `.ci/run` installs): each project's secrets under its
 * own prefix and tag, another project's name answering as a missing one, a listing that keeps only the project's
 * tagged entries whatever ListSecrets' case-insensitive prefix filter lets through. Skipped with a message where
 * moto's server cannot be started ({@link MotoServer}).
 */
class SecretsManagerStoreTest {
    static MotoServer moto;
    static SecretsManagerClient client;
    static SecretsManagerStore store;

    @BeforeAll
    static void start() throws Exception {
        moto = MotoServer.start();
        client = moto.client(SecretsManagerClient.builder());
        store = new SecretsManagerStore(() -> client);
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void aProjectsSecret_isStoredUnderItsPrefixAndTag_andAnotherProjectsNameAnswersAsMissing() {
        assertTrue(store.create("proj_a", "key", "a-value", 1));
        assertFalse(store.create("proj_a", "key", "again", 2), "a second create of the name is refused");
        var described = client.describeSecret(b -> b.secretId("sluice/proj_a/key"));
        assertEquals(List.of(Tag.builder().key(SecretsManagerStore.PROJECT_TAG).value("proj_a").build()), described.tags());

        assertEquals(Optional.of("a-value"), store.read("proj_a", "key"));
        assertEquals(Optional.empty(), store.read("proj_b", "key"), "another project's name reads as missing");
        assertFalse(store.rotate("proj_b", "key", "b-value", 3), "another project's name rotates as missing");
        assertFalse(store.delete("proj_b", "key"), "another project's name deletes as missing");
        assertEquals(Optional.of("a-value"), store.read("proj_a", "key"), "untouched by project B");

        assertTrue(store.rotate("proj_a", "key", "new-value", 4));
        assertEquals(Optional.of("new-value"), store.read("proj_a", "key"));
        assertTrue(store.delete("proj_a", "key"));
        assertEquals(Optional.empty(), store.read("proj_a", "key"));
        assertFalse(store.delete("proj_a", "key"), "a deleted secret is missing");
        assertTrue(store.create("proj_a", "key", "after-delete", 5), "deleted without recovery: the name is free");
        assertTrue(store.delete("proj_a", "key"));
    }

    @Test
    void theListing_keepsOnlyTheProjectsTaggedSecrets_inNameOrder_upToItsMaximum() {
        assertTrue(store.create("proj_l", "b", "x", 1));
        assertTrue(store.create("proj_l", "a", "x", 1));
        assertTrue(store.create("proj_l", "c", "x", 1));
        assertTrue(store.create("proj_lx", "a", "x", 1), "a project whose id extends proj_l's");
        // ListSecrets' name filter matches prefixes case-insensitively: PROJ_L's secret passes it, its tag does not
        client.createSecret(b -> b.name("sluice/PROJ_L/z").secretString("x")
                .tags(Tag.builder().key(SecretsManagerStore.PROJECT_TAG).value("PROJ_L").build()));
        client.createSecret(b -> b.name("sluice/proj_l/untagged").secretString("x"));

        assertEquals(List.of("a", "b", "c"), store.list("proj_l", 100).stream().map(SecretStore.Info::name).toList());
        assertEquals(List.of("a", "b"), store.list("proj_l", 2).stream().map(SecretStore.Info::name).toList(),
                "the first names in order, not the first the service returned");
        assertEquals(List.of("a"), store.list("proj_lx", 100).stream().map(SecretStore.Info::name).toList());
    }
}
