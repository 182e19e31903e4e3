package io.soma.streams.topologies.policy.rules;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class RegexLiteralsTest {
    @Test
    void shouldReadPrefixesRequiredLiteralsAndTheLongestMatch() {
        RegexLiterals literals = RegexLiterals.of(
                "\\b(Hide|dispose of)\\b.{0,20}\\b(a |the )?(body|corpse)\\b");

        assertThat(literals.prefixes()).containsExactlyInAnyOrder("hide", "dispose of");
        assertThat(literals.required()).contains(Set.of("hide", "dispose of"),
                Set.of("body", "corpse", "a body", "a corpse", "the body", "the corpse"));
        // "dispose of" + 20 chars of up to two chars each (a supplementary code point) + "the corpse"
        assertThat(literals.maxLength()).isEqualTo(10 + 40 + 10);
    }

    @Test
    void shouldCombineOptionalLettersClassesAndDigits() {
        assertThat(RegexLiterals.of("neighbou?rs?").prefixes())
                .containsExactlyInAnyOrder("neighbor", "neighbour", "neighbors", "neighbours");
        assertThat(RegexLiterals.of("synthesi[sz]e").prefixes()).containsExactlyInAnyOrder("synthesise", "synthesize");
        RegexLiterals ssn = RegexLiterals.of("\\b\\d{3}-\\d{2}-\\d{4}\\b");
        assertThat(ssn.prefixes()).hasSize(10).contains("0", "9");
        assertThat(ssn.required()).contains(Set.of("-"));
        assertThat(ssn.maxLength()).isEqualTo(11);
    }

    @Test
    void shouldTakeTheLiteralsOfEveryAlternative() {
        RegexLiterals literals = RegexLiterals.of("\\b(kill|hurt)\\s+myself\\b|\\bwant to die\\b");

        assertThat(literals.prefixes()).containsExactlyInAnyOrder("kill", "hurt", "want to die");
        assertThat(literals.maxLength()).isEqualTo(RegexLiterals.UNBOUNDED);
    }

    @Test
    void shouldKnowNothingWhereAMatchNeedsNoLiteral() {
        RegexLiterals literals = RegexLiterals.of("\\b[\\w.+-]+\\s*");

        assertThat(literals.filters()).isFalse();
    }

    /** Literals are folded anyway, so a case flag changes nothing of what a match must contain. */
    @Test
    void shouldReadThroughCaseFlags() {
        RegexLiterals literals = RegexLiterals.of("(?i)key|(?-i:AKIA)[A-Z]{16}|(?iu:aws\\w{0,20}secret)");

        assertThat(literals.prefixes()).containsExactlyInAnyOrder("key", "akia", "aws");
        assertThat(literals.maxLength()).isEqualTo(29);
    }

    @Test
    void shouldGiveUpOnConstructsItDoesNotRead() {
        for (String regex : List.of("(?s)abc", "(?x)a b", "\\x41bc", "(a)\\1", "[]a]", "a[b&&c]", "\\Rabc")) {
            assertThat(RegexLiterals.of(regex)).as(regex).isEqualTo(RegexLiterals.NONE);
        }
    }

    /** The prefilter is sound only if folding finds every char the case-insensitive regex would match. */
    @Test
    void shouldFoldAsCaseInsensitiveUnicodeMatchingCompares() {
        List<Pattern> ascii = new ArrayList<>();
        for (char c = 0; c < 128; c++) {
            ascii.add(RegexGuard.compile(Pattern.quote(String.valueOf(c))));
        }
        Pattern anyAscii = RegexGuard.compile("[\\x00-\\x7F]");
        Pattern letters = RegexGuard.compile("[A-Z]");
        for (int cp = 0; cp <= Character.MAX_CODE_POINT; cp++) {
            String s = Character.toString(cp);
            if (letters.matcher(s).matches()) {
                assertThat(new String(RegexLiterals.fold(s))).as("U+%04X", cp).matches("[a-z]");
            }
            if (!anyAscii.matcher(s).matches()) {
                continue;
            }
            assertThat(Character.isBmpCodePoint(cp)).as("U+%04X", cp).isTrue();
            for (char c = 0; c < 128; c++) {
                if (ascii.get(c).matcher(s).matches()) {
                    assertThat(RegexLiterals.fold((char) cp)).as("U+%04X against %s", cp, c)
                            .isEqualTo(RegexLiterals.fold(c));
                }
            }
        }
    }
}
