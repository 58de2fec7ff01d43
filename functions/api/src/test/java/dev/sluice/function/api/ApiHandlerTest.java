package dev.sluice.function.api;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.testing.Events;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.LocalEventSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The api handler driven by the API Gateway (HTTP API, payload v2) events of events/. */
class ApiHandlerTest {
    static HandlerFixture fixture;
    static ApiHandler handler;

    @BeforeAll
    static void start() {
        fixture = new HandlerFixture();
        handler = new ApiHandler(new ApiRouter(ApiServices.of(fixture.services), OpenApiContract.INSTANCE));
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    static APIGatewayV2HTTPResponse invoke(String eventFile) {
        return handler.handleRequest(Events.load(eventFile, APIGatewayV2HTTPEvent.class),
                new LocalEventSource.LocalContext(30_000));
    }

    @Test
    void createDatasetEvent_returns201WithPresignedUpload() {
        APIGatewayV2HTTPResponse response = invoke("api-create-dataset.json");
        assertEquals(201, response.getStatusCode(), response.getBody());
        JsonNode dataset = Json.tree(response.getBody());
        assertTrue(dataset.get("id").asText().startsWith("dataset_"));
        assertEquals("Uploading", dataset.path("status").path("overview").asText());
        JsonNode upload = dataset.path("status").path("source").path("uploadUrl");
        assertEquals("PUT", upload.get("method").asText());
        assertTrue(upload.get("url").asText().contains("X-Amz-Signature="), upload.toString());
        assertTrue(upload.get("expiresAtTime").asLong() > System.currentTimeMillis());
    }

    @Test
    void rootPath_isTheWebConsole_besideTheApi_withItsOwnTypeAndPolicy() {
        APIGatewayV2HTTPEvent event = Events.load("api-list-jobs.json", APIGatewayV2HTTPEvent.class);
        event.setRawPath("/");
        event.setHeaders(java.util.Map.of()); // no key: the page is public, the data behind it is not
        APIGatewayV2HTTPResponse page = handler.handleRequest(event, new LocalEventSource.LocalContext(30_000));
        assertEquals(200, page.getStatusCode());
        assertEquals("text/html; charset=utf-8", page.getHeaders().get("Content-Type"));
        assertTrue(page.getHeaders().get("Content-Security-Policy").contains("script-src 'self'"));
        event.setRawPath("/console/missing.js");
        assertEquals(404, handler.handleRequest(event, new LocalEventSource.LocalContext(30_000)).getStatusCode());
    }

    @Test
    void listJobsEvent_returnsAPage() {
        APIGatewayV2HTTPResponse response = invoke("api-list-jobs.json");
        assertEquals(200, response.getStatusCode(), response.getBody());
        assertTrue(Json.tree(response.getBody()).get("data").isArray());
    }

    @Test
    void aKnownPathWithAnotherMethod_is405WithAllow_andAnUnknownPathIs404() {
        APIGatewayV2HTTPEvent event = Events.load("api-list-jobs.json", APIGatewayV2HTTPEvent.class);
        event.getRequestContext().getHttp().setMethod("DELETE");
        APIGatewayV2HTTPResponse response = handler.handleRequest(event, new LocalEventSource.LocalContext(30_000));
        assertEquals(405, response.getStatusCode(), response.getBody());
        assertEquals("route.method_not_allowed", Json.tree(response.getBody()).path("error").path("code").asText());
        assertEquals("GET, POST", response.getHeaders().get("Allow"));
        assertEquals("application/json", response.getHeaders().get("Content-Type"));

        event.setRawPath(event.getRawPath() + "/batchjob_1/nothing");
        response = handler.handleRequest(event, new LocalEventSource.LocalContext(30_000));
        assertEquals(404, response.getStatusCode(), response.getBody());
        assertEquals("route.not_found", Json.tree(response.getBody()).path("error").path("code").asText());
        assertEquals(null, response.getHeaders().get("Allow"));
    }

    @Test
    void eventWithoutKey_is401WithStableCode() {
        APIGatewayV2HTTPResponse response = invoke("api-get-job-without-key.json");
        assertEquals(401, response.getStatusCode());
        assertEquals("auth.missing_key", Json.tree(response.getBody()).path("error").path("code").asText());
    }
}
