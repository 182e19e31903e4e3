package io.soma.streams.stores.archive;

/** One row of the audit archive; its primary key is the record's own id, so writing it twice is harmless. */
public sealed interface ArchiveRow permits PolicyDecisionRow, TrainingAuditRow, IdentityAuditRow,
        MarketplaceAuditRow, BudgetAuditRow, ConstitutionAuditRow {
    /** The primary key value (decision id or event id). */
    String id();

    KafkaSource source();
}
