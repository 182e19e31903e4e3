package io.soma.streams.topologies.policy.detectors;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TriggerTest {
    @Test
    void shouldHoldOnlyWhenTheTextHoldsWhatEveryMatchNeeds() {
        assertThat(Trigger.digits(9).holdsIn("123-45-678")).isFalse();
        assertThat(Trigger.digits(9).holdsIn("123-45-6789")).isTrue();
        assertThat(Trigger.anyOf("ghp_", "eyJ").holdsIn("token eyJhbGc")).isTrue();
        assertThat(Trigger.anyOf("ghp_", "eyJ").holdsIn("GHP_ is not ghp_")).isTrue();
        assertThat(Trigger.anyOf("ghp_").holdsIn("GHP_ upper case")).isFalse();
        assertThat(Trigger.nonAscii().holdsIn("plain ASCII")).isFalse();
        assertThat(Trigger.nonAscii().holdsIn("zero\u200bwidth")).isTrue();
        assertThat(Trigger.anyOfIgnoringCase("ignore").holdsIn("IGNORE this")).isTrue();
        assertThat(Trigger.unbrokenRun(5).holdsIn("abcd efgh")).isFalse();
        assertThat(Trigger.unbrokenRun(5).holdsIn("abcde")).isTrue();
        assertThat(Trigger.cyrillicOrGreek().holdsIn("curly \u201cquotes\u201d")).isFalse();
        assertThat(Trigger.cyrillicOrGreek().holdsIn("\u0430pple")).isTrue();
        assertThat(Trigger.ibanStart().holdsIn("DE 89 and De89 and D89")).isFalse();
        assertThat(Trigger.ibanStart().holdsIn("iban DE89370400440532013000")).isTrue();
    }

    @Test
    void shouldMatchIgnoredCaseAsTheCaseInsensitiveRegexesDo() {
        // the long s folds to s under CASE_INSENSITIVE | UNICODE_CASE, so "ſkip" can match a pattern's "skip"
        assertThat(Trigger.anyOfIgnoringCase("skip").holdsIn("\u017fkip")).isTrue();
    }
}
