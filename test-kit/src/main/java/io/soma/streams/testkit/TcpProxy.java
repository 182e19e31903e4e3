package io.soma.streams.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP forwarder to a real server that can be cut: while cut, it drops every open connection and
 * hangs up on new ones at once — to clients, the server is down. Lets a test take PostgreSQL away from one
 * client without stopping the machine's PostgreSQL, which other tests go on using.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    /** Held while cut() closes the open connections and while a new one is registered, so none slips between. */
    private final Object registering = new Object();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile boolean cut;
    private volatile boolean stalled;
    /** How many more bytes the server's replies may pass before they stall ({@link #stallRepliesAfter}). */
    private final AtomicLong replyBytesLeft = new AtomicLong(Long.MAX_VALUE);
    private final AtomicLong replyBytesPassed = new AtomicLong();
    private String url;

    public TcpProxy(String targetHost, int targetPort) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        Thread acceptor = new Thread(this::accept, "tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** A proxy to the host and port of an HTTP {@code url}; {@link #url} is the same URL through the proxy. */
    public static TcpProxy to(URI url) throws IOException {
        TcpProxy proxy = new TcpProxy(url.getHost(), url.getPort());
        proxy.url = url.getScheme() + "://127.0.0.1:" + proxy.port() + url.getRawPath();
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** The URL this proxy was made {@linkplain #to for}, through the proxy. */
    public String url() {
        if (url == null) {
            throw new IllegalStateException("a proxy made for a host and port, not a URL");
        }
        return url;
    }

    /** Connections hung up on at once because the proxy was cut: how often a client tried while the server was down. */
    public int refused() {
        return refused.get();
    }

    public void cut() {
        synchronized (registering) {
            cut = true;
            open.forEach(TcpProxy::closeQuietly);
            open.clear();
        }
    }

    public void restore() {
        cut = false;
        stalled = false;
        replyBytesLeft.set(Long.MAX_VALUE);
    }

    /** How many bytes of the server's replies this proxy has passed to its clients. */
    public long replyBytesPassed() {
        return replyBytesPassed.get();
    }

    /**
     * Passes at most {@code bytes} more bytes from the server to the clients, then stalls that way with the
     * connections open: a reply cut off after its headers, or mid-body. {@link #restore} passes them again.
     */
    public void stallRepliesAfter(long bytes) {
        replyBytesLeft.set(bytes);
    }

    /**
     * Stops passing bytes either way but keeps every connection open, as a network partition does: to clients, the
     * server has stopped answering. {@link #restore} passes them again.
     */
    public void stall() {
        stalled = true;
    }

    private void refuse(Socket client) throws IOException {
        refused.incrementAndGet();
        client.close();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (cut) {
                    refuse(client);
                    continue;
                }
                Socket upstream = new Socket(targetHost, targetPort);
                // under the lock cut() holds: a connection made while it cut is refused, never left passing bytes
                synchronized (registering) {
                    if (cut) {
                        closeQuietly(upstream);
                        refuse(client);
                        continue;
                    }
                    open.add(client);
                    open.add(upstream);
                }
                pump(client, upstream, false);
                pump(upstream, client, true);
            } catch (IOException e) {
                // server closed, or the target refused: the client sees its connection closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean replies) {
        Thread thread = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    for (int written = 0; written < n; ) {
                        while ((stalled || (replies && replyBytesLeft.get() <= 0)) && !to.isClosed()) {
                            Thread.sleep(10);
                        }
                        if (to.isClosed()) {
                            throw new IOException("the other side went away while stalled");
                        }
                        // another reply's pump may have taken the last bytes meanwhile: then none now, and wait
                        int passed = replies ? (int) Math.max(0, Math.min(n - written, replyBytesLeft.get()))
                                : n - written;
                        out.write(buffer, written, passed);
                        out.flush();
                        written += passed;
                        if (replies) {
                            replyBytesLeft.addAndGet(-passed);
                            replyBytesPassed.addAndGet(passed);
                        }
                    }
                }
            } catch (IOException e) {
                // one side went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                closeQuietly(from);
                closeQuietly(to);
                open.remove(from);
                open.remove(to);
            }
        }, "tcp-proxy-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        cut();
        server.close();
    }
}
