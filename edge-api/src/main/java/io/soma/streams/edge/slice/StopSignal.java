package io.soma.streams.edge.slice;

/**
 * A stop asked for while the process may still be starting (SIGTERM, Ctrl-C). The start checks it between its steps
 * and, once asked, closes what it had started and ends with {@link StoppedWhileStarting}. Without it, a stop during
 * the start closed nothing: the apps started so far were halted with the JVM, and their state restored at the next
 * start.
 */
public final class StopSignal {
    private final boolean raisedAtExit;
    private volatile boolean requested;
    private volatile boolean noticed;

    private StopSignal(boolean raisedAtExit) {
        this.raisedAtExit = raisedAtExit;
    }

    /** Raised by a shutdown hook, which then closes what the start returned. */
    public static StopSignal raisedAtExit() {
        return new StopSignal(true);
    }

    /** Raised by whoever holds it (a test); no shutdown hook closes the process. */
    public static StopSignal manual() {
        return new StopSignal(false);
    }

    /** Whether a shutdown hook raises it: what the process owns may wait for that hook at exit. */
    public boolean raisedAtJvmExit() {
        return raisedAtExit;
    }

    public void request() {
        requested = true;
    }

    public boolean requested() {
        return requested;
    }

    /** Whether the start has seen the stop, or failed: it is closing what it had started, or has closed it. */
    public boolean noticed() {
        return noticed;
    }

    /**
     * Says that the start, failing, is closing what it had started: a stop asked for now or later waits for those
     * closes too (a start may fail because of the exit itself, a shutdown hook refused).
     */
    public void closingAfterFailure() {
        noticed = true;
    }

    /** @throws StoppedWhileStarting once a stop was asked for */
    public void checkBefore(String step) {
        if (requested) {
            noticed = true;
            throw new StoppedWhileStarting(step);
        }
    }

    /** The start ended early because a stop was asked for; what it had started is closed. */
    public static final class StoppedWhileStarting extends RuntimeException {
        StoppedWhileStarting(String step) {
            super("stopped while starting, before " + step);
        }
    }
}
