package io.pharos.gtm;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JsonTest {
    @Test
    void writesNestedValuesAndEscapes() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("s", "a\"b\\c\nd\u0001—é");
        m.put("n", 3L);
        m.put("b", true);
        m.put("null", null);
        m.put("list", Arrays.asList(1, "x", null, List.of()));
        m.put("map", Map.of());
        assertEquals("{\"s\":\"a\\\"b\\\\c\\nd\\u0001—é\",\"n\":3,\"b\":true,\"null\":null,\"list\":[1,\"x\",null,[]],\"map\":{}}",
                Json.write(m));
    }
}
