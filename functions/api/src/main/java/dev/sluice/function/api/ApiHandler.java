package dev.sluice.function.api;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import jakarta.inject.Inject;
import jakarta.inject.Named;

import dev.sluice.core.SluiceException;

import java.util.Map;

/** API Gateway HTTP API (payload v2) → the web console's files ({@link ConsoleAssets}) or the REST router. `sluice local` drives this same class with the same events. */
@Named("api")
public class ApiHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {
    private final ApiRouter router;

    @Inject
    public ApiHandler(ApiRouter router) {
        this.router = router;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try (var scope = dev.sluice.aws.observe.Invocations.scope(context)) {
            return answer(event);
        }
    }

    private APIGatewayV2HTTPResponse answer(APIGatewayV2HTTPEvent event) {
        String method = event.getRequestContext() != null && event.getRequestContext().getHttp() != null
                ? event.getRequestContext().getHttp().getMethod() : "GET";
        java.util.Optional<ApiRouter.Response> console = ConsoleAssets.answer(method, event.getRawPath(),
                router.uploadOrigin());
        if (console.isPresent()) {
            return APIGatewayV2HTTPResponse.builder().withStatusCode(console.get().status())
                    .withHeaders(console.get().headers()).withBody(console.get().body()).build();
        }
        String requestId = ApiRouter.newRequestId();
        ApiRouter.Response response;
        try {
            String body = ApiRouter.bodyText(event.getBody(), event.getIsBase64Encoded());
            response = router.handle(new ApiRouter.Request(method, event.getRawPath(),
                    event.getQueryStringParameters() == null ? Map.of() : event.getQueryStringParameters(),
                    event.getHeaders() == null ? Map.of() : event.getHeaders(), body), requestId);
        } catch (SluiceException e) {
            response = ApiRouter.error(e.kind(), e.code(), e.getMessage(), requestId);
        }
        Map<String, String> headers = new java.util.LinkedHashMap<>(response.headers());
        headers.put("Content-Type", "application/json");
        return APIGatewayV2HTTPResponse.builder().withStatusCode(response.status()).withHeaders(headers)
                .withBody(response.body()).build();
    }
}
