package io.soma.streams.bench;

import io.soma.streams.topologies.marketplace.CapsuleEnvelope;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Ed25519 verification of a real capsule attestation per invocation (the MCP registry entries, as the
 * marketplace app verifies them): the project's {@link SignatureAlgorithm#EDDSA} against JDK 17's own verifier.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SignatureVerifyBenchmark {
    @State(Scope.Thread)
    public static class Attestations {
        PublicKey key;
        List<byte[]> signed;
        List<byte[]> signatures;
        int next;

        @Setup(Level.Trial)
        public void setUp() throws GeneralSecurityException {
            Path dataDir = Path.of(System.getProperty("soma.data.dir", "../shared/data"));
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            key = pair.getPublic();
            signed = McpRegistry.read(McpRegistry.file(dataDir)).stream().map(e -> CapsuleEnvelope.signedBytes(
                    e.capsuleId(), ExampleCapsulePublisher.PUBLISHER, e.manifest())).toList();
            signatures = new ArrayList<>();
            for (byte[] data : signed) {
                signatures.add(SignatureAlgorithm.EDDSA.sign(pair.getPrivate(), data));
            }
        }

        int next() {
            next = (next + 1) % signed.size();
            return next;
        }
    }

    @Benchmark
    public boolean soma(Attestations a) throws GeneralSecurityException {
        int i = a.next();
        return SignatureAlgorithm.EDDSA.verify(a.key, a.signed.get(i), a.signatures.get(i));
    }

    @Benchmark
    public boolean jdk(Attestations a) throws GeneralSecurityException {
        int i = a.next();
        Signature verifier = Signature.getInstance("Ed25519");
        verifier.initVerify(a.key);
        verifier.update(a.signed.get(i));
        return verifier.verify(a.signatures.get(i));
    }
}
