package io.pharos.proxy.health;

import io.pharos.health.event.HealthEvent;
import io.pharos.health.event.HealthEventListener;
import io.pharos.health.event.HealthEventPublisher;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link HealthEventPublisher} that keeps what it is given, in order, on the caller's thread. */
final class CapturingPublisher implements HealthEventPublisher {
    final List<HealthEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public boolean publish(HealthEvent event) {
        events.add(event);
        return true;
    }

    @Override
    public void addListener(HealthEventListener listener) {
        throw new UnsupportedOperationException();
    }

    @Override
    public void schedulePeriodic(Duration period, Runnable task) {
        throw new UnsupportedOperationException();
    }

    @Override
    public long publishedCount() {
        return events.size();
    }

    @Override
    public long droppedCount() {
        return 0;
    }

    @Override
    public long deliveredCount() {
        return events.size();
    }

    @Override
    public void close() {
    }

    /** Events as compact strings: {@code KIND cluster/backend old->new (reason) usable/total}. */
    List<String> lines() {
        return events.stream().map(CapturingPublisher::line).toList();
    }

    static String line(HealthEvent e) {
        return e.kind() + " " + e.cluster() + (e.backend().isEmpty() ? "" : "/" + e.backend()) + " "
                + e.oldState() + "->" + e.newState() + " (" + e.reason() + ") " + e.healthyCount() + "/" + e.totalCount();
    }
}
