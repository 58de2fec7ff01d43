package dev.sluice.infra;

import software.amazon.awscdk.aws_apigatewayv2_integrations.HttpLambdaIntegration;
import software.amazon.awscdk.services.apigatewayv2.AddRoutesOptions;
import software.amazon.awscdk.services.apigatewayv2.HttpApi;
import software.amazon.awscdk.services.apigatewayv2.HttpMethod;
import software.amazon.awscdk.services.lambda.Alias;
import software.constructs.Construct;

import java.util.List;

/**
 * The HTTP API (payload v2): every /v1/… route goes to the api function, and so do {@code GET /} and
 * {@code GET /console/…}, the web console's static files (README "Web console": one origin for the page and the API,
 * the same bytes and Content-Security-Policy as {@code sluice local}, no bucket or distribution to secure).
 */
final class HttpApiFront extends Construct {
    private final HttpApi api;

    HttpApiFront(Construct scope, String id, Alias function) {
        super(scope, id);
        api = HttpApi.Builder.create(this, "HttpApi").description("Sluice REST API v1").build();
        HttpLambdaIntegration integration = new HttpLambdaIntegration("Api", function);
        api.addRoutes(AddRoutesOptions.builder().path("/v1/{proxy+}").methods(List.of(HttpMethod.ANY))
                .integration(integration).build());
        for (String consolePath : List.of("/", "/console/{proxy+}")) {
            api.addRoutes(AddRoutesOptions.builder().path(consolePath).methods(List.of(HttpMethod.GET))
                    .integration(integration).build());
        }
    }

    String url() {
        return api.getApiEndpoint();
    }
}
