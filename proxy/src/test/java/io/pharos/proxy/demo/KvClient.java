package io.pharos.proxy.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** One HTTP/1.1 client for the key-value app's tests; thread-safe, closed by the test. */
final class KvClient implements AutoCloseable {
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** Sends {@code method path} to 127.0.0.1:{@code port} with a string body (null: none) and header name/value pairs. */
    HttpResponse<String> send(int port, String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            r.headers(headers);
        }
        return client.send(r.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code r} and discards the body. */
    int status(HttpRequest r) throws Exception {
        return client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Override
    public void close() {
        client.close();
    }
}
