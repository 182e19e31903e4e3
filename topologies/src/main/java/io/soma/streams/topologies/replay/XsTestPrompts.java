package io.soma.streams.topologies.replay;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** XSTest (Röttger et al., NAACL'24, CC-BY-4.0): 450 prompts labelled safe or unsafe. */
public final class XsTestPrompts {
    private XsTestPrompts() {
    }

    public record Prompt(String id, String text, String type, String label, String focus, String note) {
        public boolean unsafe() {
            return "unsafe".equals(label);
        }
    }

    public static Path file(Path datasetsDir) {
        return datasetsDir.resolve("xstest").resolve("xstest_prompts.csv");
    }

    public static List<Prompt> read(Path csv) {
        CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get();
        List<Prompt> prompts = new ArrayList<>();
        try (Reader in = Files.newBufferedReader(csv)) {
            for (CSVRecord r : format.parse(in)) {
                prompts.add(new Prompt(r.get("id"), r.get("prompt"), r.get("type"), r.get("label"),
                        r.get("focus"), r.get("note")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read XSTest prompts " + csv + " (see ../shared/data/README.md)", e);
        }
        return prompts;
    }
}
