package io.soma.streams.topologies.policy.detectors;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PrefilterTest {
    private static final Detector EVERYTHING = text -> List.of(new Detector.Span(0, text.length()));

    @Test
    void shouldRunTheScanOnlyWhenTheTextHoldsWhatEveryMatchNeeds() {
        assertThat(Prefilter.digits(9).guarding(EVERYTHING).find("123-45-678")).isEmpty();
        assertThat(Prefilter.digits(9).guarding(EVERYTHING).find("123-45-6789")).hasSize(1);
        assertThat(Prefilter.anyOf("ghp_", "eyJ").guarding(EVERYTHING).find("token eyJhbGc")).hasSize(1);
        assertThat(Prefilter.anyOf("ghp_", "eyJ").guarding(EVERYTHING).find("GHP_ is not ghp_")).hasSize(1);
        assertThat(Prefilter.anyOf("ghp_").guarding(EVERYTHING).find("GHP_ upper case")).isEmpty();
        assertThat(Prefilter.nonAscii().guarding(EVERYTHING).find("plain ASCII")).isEmpty();
        assertThat(Prefilter.nonAscii().guarding(EVERYTHING).find("zero\u200bwidth")).hasSize(1);
        assertThat(Prefilter.anyOfIgnoringCase("ignore").guarding(EVERYTHING).find("IGNORE this")).hasSize(1);
        assertThat(Prefilter.unbrokenRun(5).guarding(EVERYTHING).find("abcd efgh")).isEmpty();
        assertThat(Prefilter.unbrokenRun(5).guarding(EVERYTHING).find("abcde")).hasSize(1);
        assertThat(Prefilter.cyrillicOrGreek().guarding(EVERYTHING).find("curly \u201cquotes\u201d")).isEmpty();
        assertThat(Prefilter.cyrillicOrGreek().guarding(EVERYTHING).find("\u0430pple")).hasSize(1);
    }
}
