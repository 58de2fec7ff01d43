package dev.sluice.core.dataset;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ItemParserTest {
    static ItemParser.Result parse(String line, boolean local) {
        return new ItemParser(local).parse(7, new NdjsonReader.Line(line, null, null, 0));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"kind\":\"Image\",\"url\":\"https://example.com/a.jpg\",\"id\":\"a\"}|",
            "{\"kind\":\"Image\",\"url\":\"s3://bucket/key.png\"}|",
            "{\"kind\":\"Image\",\"url\":|item.malformed_json",
            "[1,2]|item.malformed_json",
            "{\"kind\":\"Video\",\"url\":\"https://example.com/a.mp4\"}|item.unknown_kind",
            "{\"url\":\"https://example.com/a.jpg\"}|item.unknown_kind",
            "{\"kind\":\"Image\"}|item.bad_url",
            "{\"kind\":\"Image\",\"url\":\"ftp://example.com/a.jpg\"}|item.bad_url",
            "{\"kind\":\"Image\",\"url\":\"http://example.com/a.jpg\"}|item.bad_url",
            "{\"kind\":\"Image\",\"url\":\"file:///tmp/a.jpg\"}|item.bad_url",
            "{\"kind\":\"Image\",\"url\":\"https://exa mple.com/\"}|item.bad_url",
    })
    void line_parsesOrFailsWithAStableCode(String line, String code) {
        ItemParser.Result result = parse(line, false);
        if (code == null) {
            assertTrue(result.ok(), result.errorReason());
            assertEquals(7, result.item().index());
        } else {
            assertEquals(code, result.errorCode(), result.errorReason());
            assertTrue(result.errorReason().contains("line 7"), result.errorReason());
        }
    }

    /** A line without "kind" (the first thing a new user writes) is told the line's shape, not "kind (none)". */
    @org.junit.jupiter.api.Test
    void aLineWithoutKind_isToldTheLinesShape() {
        assertEquals("line 7 has no \"kind\"; a line is {\"kind\":\"Image\",\"url\":\"https://…\"} (the supported kind"
                + " is \"Image\")", parse("{\"url\":\"https://example.com/a.jpg\"}", false).errorReason());
        assertTrue(parse("{\"kind\":\"Video\",\"url\":\"https://example.com/a.mp4\"}", false).errorReason()
                .startsWith("line 7 has kind \"Video\"; a line is"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"http://127.0.0.1:9/a.jpg", "file:///tmp/a.jpg"})
    void localMode_acceptsHttpAndFileUrls(String url) {
        assertTrue(parse("{\"kind\":\"Image\",\"url\":\"" + url + "\"}", true).ok());
    }
}
