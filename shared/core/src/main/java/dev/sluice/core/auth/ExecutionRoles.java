package dev.sluice.core.auth;

import dev.sluice.core.IdKind;
import dev.sluice.core.Ids;
import dev.sluice.core.port.Catalog;

import java.util.HexFormat;
import java.util.List;

/**
 * What a project needs to let executions assume an IAM role of its own (issue 27 item 3): the project's external id
 * and the principals (the Sluice functions' and tasks' roles) its role's trust policy names.
 *
 * <p>The external id is the confused-deputy defence of
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html: Sluice sends the CALLING
 * project's external id with every AssumeRole, and the caller never chooses it; so a project that names another
 * project's role gets a refusal from STS (that role's trust policy asks for the other project's id). It is random
 * (128 bits, so it cannot be guessed from the project id), made on the first read with one conditional write (two
 * first reads agree on one value), and kept for the life of the project: a role's trust policy names it.
 */
public final class ExecutionRoles {
    /** The record that holds a project's external id, in the project's catalog partition. */
    public record Stored(String id, String object, String externalId, long createTime) {
        public static final String OBJECT = "execution_role";
        static final IdKind<Stored> KIND = new IdKind<>("projectrole", OBJECT, "execution role", Stored.class);
        static final String ID = "projectrole_execution";
    }

    /**
     * The answer of {@code GET /execution-role}: the project, its external id ({@code sluice-} and 32 hex digits) and
     * the ARNs of the roles that call AssumeRole (empty where the deployment names none, as in {@code sluice local}).
     */
    public record View(String object, String projectId, String externalId, List<String> principals) {
    }

    private final Catalog catalog;
    private final List<String> principals;
    private final dev.sluice.core.Clock clock;

    /** @param principals the ARNs of the roles that assume customers' roles (the functions' and tasks' roles) */
    public ExecutionRoles(Catalog catalog, List<String> principals, dev.sluice.core.Clock clock) {
        this.catalog = catalog;
        this.principals = List.copyOf(principals);
        this.clock = clock;
    }

    /** The project's external id, made on the first call and the same ever after. */
    public String externalId(String projectId) {
        var stored = catalog.get(projectId, Stored.KIND, Stored.ID);
        if (stored.isPresent()) {
            return stored.get().externalId();
        }
        String made = "sluice-" + HexFormat.of().formatHex(Ids.randomBytes(16));
        catalog.create(projectId, Stored.ID, new Stored(Stored.ID, Stored.OBJECT, made, clock.nowMillis()));
        // the stored one: another first read may have won the conditional write
        return catalog.get(projectId, Stored.KIND, Stored.ID).orElseThrow().externalId();
    }

    /** The project's view: its external id and the principals a trust policy names. */
    public View view(String projectId) {
        return new View(Stored.OBJECT, projectId, externalId(projectId), principals);
    }
}
