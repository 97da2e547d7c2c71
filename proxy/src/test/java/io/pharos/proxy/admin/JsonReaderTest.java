package io.pharos.proxy.admin;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class JsonReaderTest {

    @Test
    void parsesValues() throws Exception {
        Object v = JsonReader.parse(" {\"weight\": 65535, \"f\": -1.5e2, \"s\": \"a\\\"\\u00e9\\n\", \"l\": [true, false, null, {}], \"e\": []} ");
        assertEquals(Map.of("weight", 65535L, "f", -150.0, "s", "a\"é\n", "l", Arrays.asList(true, false, null, Map.of()), "e", List.of()), v);
        assertNull(JsonReader.parse("null"));
        assertEquals(0L, JsonReader.parse("0"));
    }

    @Test
    void rejectsMalformedJson() {
        for (String bad : List.of("", "{", "{\"a\" 1}", "{\"a\":1,}", "[1,]", "01", "1.", "-", "\"x", "\"\\x\"", "{\"a\":1}{",
                "{a:1}", "tru", "{\"a\":1,\"a\":2}", "\"tab\there\"", "[".repeat(40) + "]".repeat(40))) {
            assertThrows(JsonReader.JsonException.class, () -> JsonReader.parse(bad), bad);
        }
    }
}
