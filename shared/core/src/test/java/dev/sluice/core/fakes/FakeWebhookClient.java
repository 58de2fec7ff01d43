package dev.sluice.core.fakes;

import dev.sluice.core.Json;
import dev.sluice.core.webhook.WebhookClient;
import dev.sluice.core.webhook.WebhookSignature;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A {@link WebhookClient} that sends nothing: every POST is recorded (endpoint, headers, body) and answered by the
 * test's responder (200 by default). Thread-safe: delivery POSTs from virtual threads.
 */
public final class FakeWebhookClient extends WebhookClient {
    /** One POST; {@link #index()} is the payload's item index (-1: the job.completed event). */
    public record Post(String endpoint, Map<String, String> headers, String body) {
        public String requestId() {
            return headers.get(WebhookSignature.REQUEST_ID_HEADER);
        }

        public long index() {
            var item = Json.tree(body).path("item");
            return item.isMissingNode() ? -1 : item.path("index").asLong();
        }
    }

    private final List<Post> posts = new ArrayList<>();
    private volatile Function<Post, Response> responder = p -> new Response(200, null, null);

    public FakeWebhookClient() {
        super(Duration.ofSeconds(1), null);
    }

    /** How to answer each POST from now on. */
    public FakeWebhookClient answer(Function<Post, Response> responder) {
        this.responder = responder;
        return this;
    }

    @Override
    public Response post(String endpoint, Map<String, String> headers, String body, Duration timeout) {
        Post p = new Post(endpoint, Map.copyOf(headers), body);
        synchronized (posts) {
            posts.add(p);
        }
        return responder.apply(p);
    }

    public List<Post> posts() {
        synchronized (posts) {
            return List.copyOf(posts);
        }
    }

    public List<Post> postsOf(long index) {
        return posts().stream().filter(p -> p.index() == index).toList();
    }
}
