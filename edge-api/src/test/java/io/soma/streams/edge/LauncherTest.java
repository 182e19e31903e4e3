package io.soma.streams.edge;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The project's {@code soma} launcher, run by bash in a copy of the project's layout, with {@code mvn} and
 * {@code java} stand-ins on the PATH that write down how they were called.
 */
class LauncherTest {
    private static final Path LAUNCHER = Path.of("..", "soma");

    /**
     * {@code run} after a pull: the old jar is run with a warning, not rebuilt under a process that may be running
     * from it; a relative {@code --config} is the caller's file, not one under the project root.
     */
    @Test
    void shouldWarnOfAnOldJarAndPassTheCallersConfigFile(@TempDir Path dir) throws Exception {
        Path project = layout(dir);
        Path caller = Files.createDirectories(dir.resolve("elsewhere"));

        Run run = run(dir, caller, "run", "--config", "prod.properties");

        assertThat(run.exit()).isZero();
        assertThat(run.stderr()).contains("warning: sources are newer than edge-api/target/soma-streams.jar");
        assertThat(Files.exists(dir.resolve("mvn.called"))).as("no build under a running jar").isFalse();
        assertThat(Files.readString(dir.resolve("java.args")))
                .contains("run --config " + caller.resolve("prod.properties"));

        Files.delete(project.resolve("edge-api/target/soma-streams.jar"));
        assertThat(run(dir, caller, "run").exit()).isZero();
        assertThat(Files.exists(dir.resolve("mvn.called"))).as("a missing jar is built").isTrue();
    }

    /** A copy of the launcher beside an edge jar older than a source file, and the registry runner's jar. */
    private static Path layout(Path dir) throws IOException {
        Path project = Files.createDirectories(dir.resolve("project"));
        Files.copy(LAUNCHER, project.resolve("soma"));
        Path jar = touch(project.resolve("edge-api/target/soma-streams.jar"));
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));
        touch(project.resolve("devstack-registry/target/soma-schema-registry-runner.jar"));
        touch(project.resolve("edge-api/src/main/java/Changed.java"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("java"), "echo \"$*\" > " + dir.resolve("java.args"));
        script(bin.resolve("mvn"), "touch " + dir.resolve("mvn.called"));
        return project;
    }

    private record Run(int exit, String stderr) {
    }

    private static Run run(Path dir, Path workingDir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", dir.resolve("project/soma").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDir.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        Process process = builder.start();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), stderr);
    }

    private static Path touch(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.write(file, new byte[0]);
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
