package io.soma.streams.topologies.policy.detectors;

import java.util.List;

/** What a selection of one type finds in a text, as the matched substrings. */
final class DetectorAssertions {
    private DetectorAssertions() {
    }

    static List<String> found(DetectorKind kind, String type, String text) {
        return DetectorSelection.of(kind, type).find(text).stream()
                .map(d -> text.substring(d.start(), d.end()))
                .toList();
    }
}
