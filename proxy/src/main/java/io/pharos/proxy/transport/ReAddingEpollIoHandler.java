package io.pharos.proxy.transport;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Netty's {@link EpollIoHandler} with one defect worked around: a channel whose interest set went
 * empty and later needs events again.
 *
 * <p>The defect (netty-transport-classes-epoll 4.2.18, {@code EpollIoHandler.DefaultEpollIoRegistration.submit},
 * since netty#16689): when a registered channel's ops become {@link EpollIoOps#NONE} the registration
 * removes the fd from the epoll set ({@code epoll_ctl(DEL)}) but stays in its "added" state, so the next
 * non-empty {@code submit} is an {@code epoll_ctl(MOD)} and fails with ENOENT. A half-closed TCP
 * connection gets there easily: once the peer's FIN is handled ({@code EPOLLRDHUP} cleared) and the
 * channel neither reads nor has a write pending, its ops are empty; when it later has to wait for its
 * socket to drain ({@code EPOLLOUT}) or is asked to read again, the {@code UncheckedIOException} either
 * shuts its output down with the data still queued (a failed flush) or closes it (a failed read) — a
 * relay ended early. With {@code splice} the second case is routine: Netty's splice-out task turns the
 * source's auto-read back on when the pipe is drained, possibly after the source saw its FIN.
 *
 * <p>Here each registration remembers that its fd left the epoll set; the next non-empty submit first
 * registers the handle afresh with the real handler (a new registration, which adds the fd), then
 * submits. Loop-confined like the handler itself: {@code submit} runs on the channel's event loop.
 */
final class ReAddingEpollIoHandler implements IoHandler {
    private final IoHandler delegate;
    private final ThreadAwareExecutor executor;

    private ReAddingEpollIoHandler(IoHandler delegate, ThreadAwareExecutor executor) {
        this.delegate = delegate;
        this.executor = executor;
    }

    /** The epoll handler factory to use instead of {@link EpollIoHandler#newFactory()}. */
    static IoHandlerFactory newFactory() {
        IoHandlerFactory epoll = EpollIoHandler.newFactory();
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new ReAddingEpollIoHandler(epoll.newHandler(executor), executor);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return epoll.isChangingThreadSupported();
            }
        };
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new Registration(handle, delegate.register(handle));
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    /** One handle's registration, replaced by a fresh one when its fd has to re-enter the epoll set. */
    private final class Registration implements IoRegistration {
        private final IoHandle handle;
        /** Written by submit on the loop: the real registration. */
        private IoRegistration current;
        /** Written by submit on the loop: the last submit was empty, so the real handler removed the fd. */
        private boolean removed;

        Registration(IoHandle handle, IoRegistration current) {
            this.handle = handle;
            this.current = current;
        }

        @Override
        public <T> T attachment() {
            return current.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            boolean empty = ((EpollIoOps) ops).value() == EpollIoOps.NONE.value();
            if (removed && !empty && current.isValid()) {
                assert executor.isExecutorThread(Thread.currentThread()) : "re-registration off the event loop";
                // the old registration's own removal of the (already removed) fd fails quietly (debug log)
                current.cancel();
                try {
                    current = delegate.register(handle);
                } catch (Exception e) {
                    throw new IllegalStateException("re-registering fd with epoll failed", e);
                }
            }
            removed = empty;
            return current.submit(ops);
        }

        @Override
        public boolean isValid() {
            return current.isValid();
        }

        @Override
        public boolean cancel() {
            return current.cancel();
        }
    }
}
