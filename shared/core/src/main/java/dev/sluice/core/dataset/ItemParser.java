package dev.sluice.core.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.pipeline.Item;

import java.net.URI;
import java.net.URISyntaxException;

/** Turns one dataset line into an {@link Item}, or into the reason it is a failedGather. */
public final class ItemParser {
    public record Result(Item item, String errorCode, String errorReason, String rawUrl) {
        public boolean ok() {
            return item != null;
        }
    }

    private final boolean allowLocalUrls;

    /** @param allowLocalUrls local mode only: accept {@code http://} and {@code file://} item URLs. */
    public ItemParser(boolean allowLocalUrls) {
        this.allowLocalUrls = allowLocalUrls;
    }

    public Result parse(long index, NdjsonReader.Line line) {
        if (line.errorCode() != null) {
            return new Result(null, line.errorCode(), line.errorReason(), null);
        }
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(line.text());
        } catch (JsonProcessingException e) {
            return fail("item.malformed_json", "line " + index + " is not valid JSON: " + e.getOriginalMessage(), null);
        }
        if (node == null || !node.isObject()) {
            return fail("item.malformed_json", "line " + index + " is not a JSON object", null);
        }
        JsonNode urlNode = node.get("url");
        String url = urlNode != null && urlNode.isTextual() ? urlNode.asText() : null;
        JsonNode kindNode = node.get("kind");
        String kind = kindNode != null && kindNode.isTextual() ? kindNode.asText() : null;
        if (!Item.IMAGE.equals(kind)) {
            return fail("item.unknown_kind", "line " + index + (kind == null ? " has no \"kind\"" : " has kind \"" + kind + '"')
                    + "; a line is {\"kind\":\"Image\",\"url\":\"https://…\"} (the supported kind is \"Image\")", url);
        }
        if (url == null) {
            return fail("item.bad_url", "line " + index + " has no \"url\" string", null);
        }
        String urlError = checkUrl(url);
        if (urlError != null) {
            return fail("item.bad_url", "line " + index + ": " + urlError, url);
        }
        JsonNode idNode = node.get("id");
        String id = idNode == null || idNode.isNull() ? null : idNode.asText();
        if (id != null && id.length() > 256) {
            return fail("item.bad_id", "line " + index + ": id is longer than 256 characters", url);
        }
        return new Result(new Item(index, id, kind, url), null, null, url);
    }

    private String checkUrl(String url) {
        if (url.length() > 4096) {
            return "the URL is longer than 4096 characters";
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "the URL is not valid: " + e.getReason();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        switch (scheme) {
            case "https":
                return uri.getHost() == null ? "the URL has no host" : null;
            case "s3":
                return uri.getHost() == null || uri.getPath() == null || uri.getPath().length() < 2
                        ? "an s3 URL must look like s3://bucket/key" : null;
            case "http":
                if (allowLocalUrls) {
                    return uri.getHost() == null ? "the URL has no host" : null;
                }
                return "plain http is refused; use https:// or s3://";
            case "file":
                return allowLocalUrls ? null : "file URLs work only in local mode; use https:// or s3://";
            default:
                return "the scheme \"" + scheme + "\" is not supported; use https:// or s3://";
        }
    }

    private static Result fail(String code, String reason, String url) {
        return new Result(null, code, reason, url);
    }
}
