package io.soma.streams.topologies.policy.rules;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegexGuardTest {
    @ParameterizedTest
    @ValueSource(strings = {"(a+)+", "(\\w+\\s?)*", "(?:x|y*)+z", "(a{2,5})*", "((ab)+c)+", "(a*){2,}"})
    void shouldRefuseNestedQuantifiers(String regex) {
        assertThat(RegexGuard.problem(regex)).hasValueSatisfying(m -> assertThat(m).contains("nested quantifier"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"(a)\\1", "(?<w>a)\\k<w>"})
    void shouldRefuseBackreferences(String regex) {
        assertThat(RegexGuard.problem(regex)).hasValueSatisfying(m -> assertThat(m).contains("backreference"));
    }

    @Test
    void shouldRefusePatternsThatDoNotCompileOrAreTooLong() {
        assertThat(RegexGuard.problem("(unclosed")).hasValueSatisfying(m -> assertThat(m).contains("does not compile"));
        assertThat(RegexGuard.problem("a".repeat(RegexGuard.MAX_PATTERN_LENGTH + 1))).isPresent();
    }

    @ParameterizedTest
    @ValueSource(strings = {"\\b(kill|murder)\\b", "(?:\\s+\\w+){0,3}", "[a+]+", "\\Q(a+)+\\E", "(ab)+", "(a?)+",
            "\\bcook\\b.{0,20}\\bmeth\\b", "(\\+)+", "x{2}(y|z)*"})
    void shouldAcceptLinearPatterns(String regex) {
        assertThat(RegexGuard.problem(regex)).isEmpty();
    }

    @Test
    void shouldStopMatchingOnceTheBudgetIsSpent() {
        CharSequence text = RegexGuard.bounded("a".repeat(11) + "x".repeat(20), new RegexGuard.Budget(10_000));

        assertThatThrownBy(() -> RegexGuard.compile("(.*a){12}").matcher(text).find())
                .isInstanceOf(RegexGuard.BudgetExceeded.class);
    }
}
