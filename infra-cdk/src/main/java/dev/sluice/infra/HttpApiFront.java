package dev.sluice.infra;

import software.amazon.awscdk.aws_apigatewayv2_integrations.HttpLambdaIntegration;
import software.amazon.awscdk.services.apigateway.AccessLogFormat;
import software.amazon.awscdk.services.apigatewayv2.AddRoutesOptions;
import software.amazon.awscdk.services.apigatewayv2.HttpApi;
import software.amazon.awscdk.services.apigatewayv2.HttpMethod;
import software.amazon.awscdk.services.apigatewayv2.HttpStageOptions;
import software.amazon.awscdk.services.apigatewayv2.IAccessLogDestination;
import software.amazon.awscdk.services.apigatewayv2.IAccessLogSettings;
import software.amazon.awscdk.services.apigatewayv2.LogGroupLogDestination;
import software.amazon.awscdk.services.apigatewayv2.ThrottleSettings;
import software.amazon.awscdk.services.lambda.Alias;
import software.amazon.awscdk.services.logs.LogGroup;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Construct;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The HTTP API (payload v2): every /v1/… route goes to the api function, and so do {@code GET /} and
 * {@code GET /console/…}, the web console's static files (README "Web console": one origin for the page and the API,
 * the same bytes and Content-Security-Policy as {@code sluice local}, no bucket or distribution to secure); one
 * {@code $default} stage throttles every route (context apiRateLimit requests/s, apiBurstLimit) and writes one JSON
 * access-log line per request (never a header or body: the API key stays out of the logs).
 */
final class HttpApiFront extends Construct {
    /**
     * The access log's fields: HTTP API {@code $context} variables
     * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
     */
    static final Map<String, String> ACCESS_LOG_FIELDS = accessLogFields();

    private final HttpApi api;
    private final LogGroup accessLogs;

    HttpApiFront(Construct scope, String id, Alias function, SluiceStack.Settings settings) {
        super(scope, id);
        if (settings.waf()) {
            // AWS WAF protects REST APIs, not HTTP APIs (payload v2), so there is nothing to associate a web ACL with;
            // failing here beats a deployment that looks protected and is not.
            throw new IllegalArgumentException("waf=true: AWS WAF cannot be associated with an API Gateway HTTP API "
                    + "(https://docs.aws.amazon.com/waf/latest/developerguide/waf-chapter.html lists REST APIs only); "
                    + "put the API behind CloudFront with a web ACL of scope CLOUDFRONT instead, or leave waf unset");
        }
        accessLogs = LogGroup.Builder.create(this, "AccessLogs").retention(RetentionDays.ONE_MONTH).build();
        api = HttpApi.Builder.create(this, "HttpApi").description("Sluice REST API v1").createDefaultStage(false).build();
        api.addStage("DefaultStage", HttpStageOptions.builder().stageName("$default").autoDeploy(true)
                .throttle(ThrottleSettings.builder().rateLimit(settings.apiRateLimit())
                        .burstLimit(settings.apiBurstLimit()).build())
                .accessLogSettings(new IAccessLogSettings() {
                    @Override
                    public IAccessLogDestination getDestination() {
                        return new LogGroupLogDestination(accessLogs);
                    }

                    @Override
                    public AccessLogFormat getFormat() {
                        return AccessLogFormat.custom(json(ACCESS_LOG_FIELDS));
                    }
                }).build());
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

    String accessLogGroupName() {
        return accessLogs.getLogGroupName();
    }

    private static Map<String, String> accessLogFields() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("requestId", "$context.requestId");
        f.put("requestTime", "$context.requestTimeEpoch");
        f.put("ip", "$context.identity.sourceIp");
        f.put("userAgent", "$context.identity.userAgent");
        f.put("method", "$context.httpMethod");
        f.put("path", "$context.path");
        f.put("routeKey", "$context.routeKey");
        f.put("protocol", "$context.protocol");
        f.put("status", "$context.status");
        f.put("responseLength", "$context.responseLength");
        f.put("responseLatency", "$context.responseLatency");
        f.put("integrationLatency", "$context.integrationLatency");
        f.put("integrationError", "$context.integrationErrorMessage");
        f.put("error", "$context.error.message");
        return java.util.Collections.unmodifiableMap(f);
    }

    /** One JSON object per line; numbers stay strings where a variable may be "-" (no value). */
    private static String json(Map<String, String> fields) {
        StringBuilder b = new StringBuilder("{");
        fields.forEach((k, v) -> b.append(b.length() > 1 ? "," : "").append('"').append(k).append("\":\"")
                .append(v).append('"'));
        return b.append('}').toString();
    }
}
