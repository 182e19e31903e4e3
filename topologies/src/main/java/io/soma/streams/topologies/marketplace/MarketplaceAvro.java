package io.soma.streams.topologies.marketplace;

import io.soma.streams.avro.CapsuleAttestation;
import io.soma.streams.avro.CapsuleEnvironmentVariable;
import io.soma.streams.avro.CapsuleFinding;
import io.soma.streams.avro.CapsulePackage;
import io.soma.streams.avro.CapsulePackageArgument;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.topologies.marketplace.CapsuleManifest.EnvironmentVariable;
import io.soma.streams.topologies.marketplace.CapsuleManifest.PackageArgument;

import java.util.List;

/** Between the marketplace records on the wire and the domain, field for field. */
public final class MarketplaceAvro {
    private MarketplaceAvro() {
    }

    public static io.soma.streams.avro.CapsuleManifest manifest(CapsuleManifest m) {
        return io.soma.streams.avro.CapsuleManifest.newBuilder()
                .setName(m.name())
                .setDescription(m.description())
                .setRepositoryUrl(m.repositoryUrl())
                .setRepositorySource(m.repositorySource())
                .setVersion(m.version())
                .setPackages(m.packages().stream().map(p -> CapsulePackage.newBuilder()
                        .setRegistry(p.registry())
                        .setName(p.name())
                        .setVersion(p.version())
                        .setArguments(p.arguments().stream().map(a -> CapsulePackageArgument.newBuilder()
                                .setType(a.type()).setName(a.name()).setValue(a.value())
                                .setDefaultValue(a.defaultValue()).setValueHint(a.valueHint())
                                .setDescription(a.description()).setRequired(a.required()).build()).toList())
                        .setEnvironmentVariables(p.environmentVariables().stream().map(v -> CapsuleEnvironmentVariable
                                .newBuilder().setName(v.name()).setDescription(v.description()).build()).toList())
                        .build()).toList())
                .build();
    }

    public static CapsuleManifest manifest(io.soma.streams.avro.CapsuleManifest m) {
        return new CapsuleManifest(m.getName(), m.getDescription(), m.getRepositoryUrl(), m.getRepositorySource(),
                m.getVersion(), m.getPackages().stream().map(p -> new CapsuleManifest.CapsulePackage(p.getRegistry(),
                        p.getName(), p.getVersion(),
                        p.getArguments().stream().map(a -> new PackageArgument(a.getType(), a.getName(), a.getValue(),
                                a.getDefaultValue(), a.getValueHint(), a.getDescription(), a.getRequired())).toList(),
                        p.getEnvironmentVariables().stream()
                                .map(v -> new EnvironmentVariable(v.getName(), v.getDescription())).toList()))
                        .toList());
    }

    public static CapsuleAttestation attestation(Attestation a) {
        return CapsuleAttestation.newBuilder().setKeyId(a.keyId()).setAlgorithm(a.algorithm())
                .setSignature(a.signature()).build();
    }

    public static Attestation attestation(CapsuleAttestation a) {
        return new Attestation(a.getKeyId(), a.getAlgorithm(), a.getSignature());
    }

    public static List<CapsuleFinding> findings(List<ComplianceChecks.Finding> findings) {
        return findings.stream().map(f -> CapsuleFinding.newBuilder().setCheck(f.check().wire())
                .setSeverity(f.severity().wire()).setSubject(f.subject()).setNote(f.note()).build()).toList();
    }

    public static CapsuleStatus status(ReviewWorkflow.Status status) {
        return status == null ? null : CapsuleStatus.valueOf(status.name());
    }

    /** Null for {@code UNKNOWN}, a status this code does not know: no transition starts from it. */
    public static ReviewWorkflow.Status status(CapsuleStatus status) {
        return status == CapsuleStatus.UNKNOWN ? null : ReviewWorkflow.Status.valueOf(status.name());
    }
}
