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
 * {@code $default} stage writes one JSON access-log line per request (never a header or body: the API key stays out
 * of the logs) and throttles each route by its {@link Limit}: the creates lowest, reads highest, the rest between.
 */
final class HttpApiFront extends Construct {
    /**
     * The access log's fields: HTTP API {@code $context} variables
     * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html).
     */
    static final Map<String, String> ACCESS_LOG_FIELDS = accessLogFields();

    /**
     * The API's throttling classes, each a steady rate (requests/s) and a burst, set by context (defaults in
     * brackets). API Gateway throttles per route key across all callers, within the account's regional quota
     * (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html).
     */
    enum Limit {
        /**
         * A POST that creates a record and may start work or hand out an upload URL: {@link #CREATE_ROUTES}
         * (apiCreateRateLimit 10, apiCreateBurstLimit 20).
         */
        CREATE("apiCreateRateLimit", 10, "apiCreateBurstLimit", 20),
        /** Every GET under /v1 and the console's files (apiReadRateLimit 100, apiReadBurstLimit 200). */
        READ("apiReadRateLimit", 100, "apiReadBurstLimit", 200),
        /**
         * Everything else: updates, deletes and the actions ({@code :cancel}, {@code :retry}, {@code :redrive},
         * {@code :test}, {@code :replay}: an HTTP API route's path variable is a whole segment, so these cannot be
         * routes of their own) (apiRateLimit 50, apiBurstLimit 100).
         */
        OTHER("apiRateLimit", 50, "apiBurstLimit", 100);

        final String rateKey;
        final double defaultRate;
        final String burstKey;
        final int defaultBurst;

        Limit(String rateKey, double defaultRate, String burstKey, int defaultBurst) {
            this.rateKey = rateKey;
            this.defaultRate = defaultRate;
            this.burstKey = burstKey;
            this.defaultBurst = defaultBurst;
        }
    }

    /** A steady rate in requests per second and a burst in requests. */
    record Throttle(double rate, int burst) {
        Throttle {
            if (!(rate > 0) || burst < 1) {
                throw new IllegalArgumentException("API throttling: a rate above 0 and a burst of at least 1, not "
                        + rate + "/" + burst);
            }
        }
    }

    /** The POSTs that create (the API's create and start operations in docs/openapi.yaml). */
    static final List<String> CREATE_ROUTES = List.of("/v1/projects/{projectId}/batch/datasets",
            "/v1/projects/{projectId}/models", "/v1/projects/{projectId}/deployments",
            "/v1/projects/{projectId}/batch/webhooks", "/v1/projects/{projectId}/batch/jobs",
            "/v1/projects/{projectId}/api-keys", "/v1/projects/{projectId}/executions",
            "/v1/projects/{projectId}/secrets");

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
        Throttle other = settings.apiThrottles().get(Limit.OTHER);
        var stage = api.addStage("DefaultStage", HttpStageOptions.builder().stageName("$default").autoDeploy(true)
                .throttle(ThrottleSettings.builder().rateLimit(other.rate()).burstLimit(other.burst()).build())
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
        // one integration for every route: the api function routes by method and path itself (ApiRouter); the routes
        // below exist only so that each can be throttled by its class
        Map<String, Limit> routes = new LinkedHashMap<>();
        routes.put("ANY /v1/{proxy+}", Limit.OTHER);
        routes.put("GET /v1/{proxy+}", Limit.READ);
        CREATE_ROUTES.forEach(path -> routes.put("POST " + path, Limit.CREATE));
        routes.put("GET /", Limit.READ);
        routes.put("GET /console/{proxy+}", Limit.READ);
        Map<String, Object> settingsByRoute = new LinkedHashMap<>();
        routes.forEach((key, limit) -> {
            String[] methodAndPath = key.split(" ", 2);
            for (var route : api.addRoutes(AddRoutesOptions.builder().path(methodAndPath[1])
                    .methods(List.of(HttpMethod.valueOf(methodAndPath[0]))).integration(integration).build())) {
                stage.getNode().addDependency(route); // a stage's route settings name routes that must exist
            }
            if (limit != Limit.OTHER) {
                Throttle t = settings.apiThrottles().get(limit);
                settingsByRoute.put(key, Map.of("ThrottlingRateLimit", t.rate(), "ThrottlingBurstLimit", t.burst()));
            }
        });
        ((software.amazon.awscdk.services.apigatewayv2.CfnStage) stage.getNode().getDefaultChild())
                .addPropertyOverride("RouteSettings", settingsByRoute);
    }

    /** Each class's throttle from context, or its default. */
    static Map<Limit, Throttle> throttles(java.util.function.Function<String, Object> context) {
        Map<Limit, Throttle> t = new java.util.EnumMap<>(Limit.class);
        for (Limit limit : Limit.values()) {
            Object rate = context.apply(limit.rateKey);
            Object burst = context.apply(limit.burstKey);
            t.put(limit, new Throttle(rate == null ? limit.defaultRate : Double.parseDouble(rate.toString()),
                    burst == null ? limit.defaultBurst : (int) Double.parseDouble(burst.toString())));
        }
        return t;
    }

    HttpApi httpApi() {
        return api;
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
