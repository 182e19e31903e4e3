package io.soma.streams.stores.archive;

import java.sql.Connection;
import java.sql.SQLException;

/** Rolls back after a failure without hiding it: on a broken connection the rollback fails too. */
final class Rollback {
    private Rollback() {
    }

    static void after(Connection connection, Exception failure) {
        try {
            connection.rollback();
        } catch (SQLException rollbackFailure) {
            failure.addSuppressed(rollbackFailure);
        }
    }
}
