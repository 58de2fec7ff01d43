package dev.sluice.execution;

import dev.sluice.core.Json;
import dev.sluice.core.SluiceException;
import dev.sluice.core.fakes.FakeCore;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.ExecutionTask;
import dev.sluice.execution.fakes.FakeExecutions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An execution that names {@code iamRoleArn} (issue 27 item 3), over in-memory ports: the role is assumed at create
 * (a refusal is a 400 with a code and nothing is written or sent), always with the calling project's external id
 * (a confused deputy: naming another project's role never sends that project's id), with a session policy of the
 * execution's prefixes; a role refused later fails the execution with the same code.
 */
class ExecutionRoleTest {
    static final String ROLE = "arn:aws:iam::444455556666:role/data-reader";
    private final FakeExecutions fx = new FakeExecutions();
    private final FakeCore core = fx.core;
    private final ExecutionService service = fx.service();

    private ExecutionService.StartRequest request(String role, String bucket, String tokenName) {
        return new ExecutionService.StartRequest(new ExecutionService.ModelRef(core.readyModel().id(), null), bucket,
                null, null, "in", "out", "CSV", "CSV", null, null, null, Map.of(), tokenName,
                tokenName == null ? null : "secret", null, role, null, null, null, null);
    }

    @Test
    void aRoleStsRefuses_is400AtCreate_andNothingIsWrittenOrSent() {
        fx.folders.refuseRole(ROLE);
        SluiceException refused = assertThrows(SluiceException.class,
                () -> service.start(FakeCore.PROJECT, request(ROLE, "customer-bucket", null)));
        assertEquals("execution.role_not_assumable", refused.code());
        assertEquals(SluiceException.Kind.INVALID, refused.kind());
        assertEquals(0, fx.executions.list(FakeCore.PROJECT, dev.sluice.core.PageRequest.of(null, null)).data().size());
        assertEquals(List.of(), core.queue.bodies(BatchQueue.Name.FANOUT));
    }

    @Test
    void eachProjectAssumesWithItsOwnExternalId_whateverRoleItNames_andTheIdIsStable() {
        String mine = fx.roles.view(FakeCore.PROJECT).externalId();
        String theirs = fx.roles.view("proj_other").externalId();
        assertTrue(mine.matches("sluice-[0-9a-f]{32}"), mine);
        assertNotEquals(mine, theirs, "one per project");
        assertEquals(mine, fx.roles.view(FakeCore.PROJECT).externalId(), "the same on every read");
        assertEquals(List.of("arn:aws:iam::111122223333:role/sluice-functions"),
                service.executionRole(FakeCore.PROJECT).principals());

        // project B names project A's role: Sluice still sends B's id, so A's trust policy refuses it on AWS
        Execution e = service.start(FakeCore.PROJECT, request(ROLE, "customer-bucket", null));
        RoleSession session = fx.folders.sessions().get(0);
        assertEquals(ROLE, session.roleArn());
        assertEquals(mine, session.externalId());
        assertEquals("sluice-" + e.id(), session.sessionName());
        var policy = Json.tree(session.policy());
        assertEquals("arn:aws:s3:::customer-bucket/in/*", policy.path("Statement").get(1).path("Resource").asText());
        assertEquals("arn:aws:s3:::customer-bucket/out/*", policy.path("Statement").get(2).path("Resource").asText());
        assertEquals(ROLE, e.spec().iamRoleArn());
    }

    @Test
    void aRoleRefusedAfterCreate_failsTheExecutionWithTheCode() {
        Execution e = service.start(FakeCore.PROJECT, request(ROLE, "customer-bucket", null));
        fx.folders.refuseRole(ROLE);
        service.listFiles(Json.read(core.queue.bodies(BatchQueue.Name.FANOUT).get(0), ExecutionTask.class), () -> 600_000);
        Execution ended = fx.executions.get(FakeCore.PROJECT, e.id()).orElseThrow();
        assertEquals(Execution.State.Failed, ended.status().overview());
        assertTrue(ended.status().reason().startsWith("execution.role_not_assumable"), ended.status().reason());
    }

    @Test
    void badRoleRequests_getStableCodes() {
        assertEquals("execution.bad_role_arn", assertThrows(SluiceException.class,
                () -> service.start(FakeCore.PROJECT, request("arn:aws:iam::123:user/x", "customer-bucket", null))).code());
        assertEquals("execution.bad_credentials", assertThrows(SluiceException.class,
                () -> service.start(FakeCore.PROJECT, request(ROLE, "customer-bucket", "key"))).code());
        assertEquals("execution.bucket_refused", assertThrows(SluiceException.class,
                () -> service.start(FakeCore.PROJECT, request(ROLE, FakeCore.DATA_BUCKET, null))).code(),
                "the service's data bucket, whatever the role");
        assertEquals(List.of(), fx.folders.sessions(), "nothing assumed for a refused request");
    }
}
