package io.soma.streams.edge.audit;

import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.stores.archive.DecisionArchiveQuery;
import io.soma.streams.stores.archive.TrainingAuditQuery;

/** The audit archive: every audit topic copied into PostgreSQL, and the routes that read it
 * (archived decisions, their rate by outcome, the training audit) and count the dead letters. */
public record ArchiveSlice(Closer closer, AuditHandlers handlers) implements Slice {
    public static ArchiveSlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            String schema = platform.config().settings().string("archive.postgres.schema");
            ArchiveRunner archive = closer.own(new ArchiveRunner(platform.config().bootstrapServers(),
                    platform.registry(), platform.postgres().dataSource(), schema, platform.metrics()));
            // a stopped archiver is not started again
            platform.check("audit-archive", archive::problem, archive::problem);
            DeadLetterCount deadLetters = closer.own(new DeadLetterCount(platform.config().bootstrapServers()));
            return new ArchiveSlice(closer, new AuditHandlers(
                    new DecisionArchiveQuery(platform.postgresRequests().dataSource(), schema),
                    new TrainingAuditQuery(platform.postgresRequests().dataSource(), schema), deadLetters));
        });
    }
}
