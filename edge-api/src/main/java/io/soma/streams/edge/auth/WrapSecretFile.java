package io.soma.streams.edge.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The demo's key wrap secret, made once in its data dir and read back at every start, so that a restarted demo
 * opens the signing keys it sealed before. The file is readable by its owner only.
 */
public final class WrapSecretFile {
    public static final String NAME = "identity-wrap-secret";

    private WrapSecretFile() {
    }

    /** The secret in {@code dataDir}, made first if there is none. */
    public static String loadOrCreate(Path dataDir) {
        Path file = dataDir.resolve(NAME);
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                // written aside and moved in whole: a start that dies half-way leaves no empty secret behind
                Path made = Files.createTempFile(dataDir, NAME, ".new",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(made, KeySeal.newWrapSecret() + "\n", StandardCharsets.US_ASCII);
                try {
                    Files.move(made, file);
                } catch (FileAlreadyExistsException madeMeanwhile) {
                    Files.delete(made);
                }
            }
            return Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or make the key wrap secret " + file, e);
        }
    }
}
