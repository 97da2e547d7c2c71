package io.pharos.health.passive;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class GatewayStatusTest {

    @Test
    void onlyBadGatewayUnavailableAndGatewayTimeout() {
        for (int status = 100; status < 600; status++) {
            assertEquals(status == 502 || status == 503 || status == 504, GatewayStatus.isGatewayFailure(status), "status " + status);
        }
    }
}
