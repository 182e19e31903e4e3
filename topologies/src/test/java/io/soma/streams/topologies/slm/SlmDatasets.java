package io.soma.streams.topologies.slm;

import io.soma.streams.testkit.TestPaths;

import java.nio.file.Path;
import java.util.List;

/** The real LLMPerf files the SLM tests replay (never copied into the repository). */
final class SlmDatasets {
    private SlmDatasets() {
    }

    static Path file(String name) {
        return LlmPerfRecords.directory(TestPaths.dataDir()).resolve(name);
    }

    static List<SlmRequest> requests(Path file) {
        return LlmPerfRecords.read(file).stream().map(LlmPerfRecords.Request::toSlmRequest).toList();
    }

    static SlmWindowAggregate window(List<SlmRequest> requests) {
        SlmWindowAggregate window = new SlmWindowAggregate();
        requests.forEach(window::add);
        return window;
    }
}
