package io.soma.streams.bench;

import java.time.Instant;
import java.util.List;

/** What the benchmark mains print: time-stamped progress lines, and their results as a Markdown table for the docs. */
final class BenchOutput {
    private BenchOutput() {
    }

    /** A progress line, prefixed with the time. */
    static void log(String format, Object... args) {
        System.out.printf("%s %s%n", Instant.now(), String.format(format, args));
    }

    /** A blank line, then {@code header} (a Markdown row), its separator row with as many columns, then the rows. */
    static void table(String header, List<String> rows) {
        long columns = header.chars().filter(c -> c == '|').count() - 1;
        System.out.println();
        System.out.println(header);
        System.out.println("|" + "---|".repeat((int) columns));
        rows.forEach(System.out::println);
    }
}
