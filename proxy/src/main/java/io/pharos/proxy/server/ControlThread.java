package io.pharos.proxy.server;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The proxy's one control thread ({@code pharos-control}): reloads, operator actions and the state
 * file ({@link ProxyRuntime}), health check verdicts and ejection decisions
 * ({@link io.pharos.proxy.health.ProxyHealth}) run here one task at a time, never on an event loop,
 * so a reload never interleaves with a health decision. Owned by {@link PharosServer}, closed with it.
 */
final class ControlThread {
    private final ScheduledThreadPoolExecutor executor;
    /** The thread {@link #executor} runs on; written by its thread factory. */
    private volatile Thread thread;

    ControlThread() {
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "pharos-control");
            t.setDaemon(true);
            thread = t;
            return t;
        });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    ScheduledExecutorService executor() {
        return executor;
    }

    /**
     * Runs {@code task} on the control thread and waits for it; on the control thread itself (a reload
     * changing health checks), runs it at once. Blocks.
     */
    void runAndWait(Runnable task, String what) {
        if (Thread.currentThread() == thread) {
            task.run();
            return;
        }
        try {
            executor.submit(task).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot finish " + what + ": " + e.getCause(), e.getCause());
        }
    }

    /** Runs {@code last} on the thread, then stops it; waits up to 2 s for the task in progress. */
    void close(Runnable last) {
        executor.execute(last);
        executor.shutdown();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        executor.shutdownNow();
    }
}
