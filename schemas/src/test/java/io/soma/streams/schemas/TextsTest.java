package io.soma.streams.schemas;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class TextsTest {
    @Test
    void shouldLeaveShortTextAndNullAsTheyAre() {
        assertThat(Texts.cut("abc", 3)).isEqualTo("abc");
        assertThat(Texts.cut(null, 3)).isNull();
        assertThat(Texts.longerThan("abc", 3)).isFalse();
        assertThat(Texts.longerThan("abcd", 3)).isTrue();
        assertThat(Texts.longerThan(null, 0)).isFalse();
    }

    @Test
    void shouldCutLongTextWithoutSplittingACharacter() {
        assertThat(Texts.cut("abcdef", 3)).isEqualTo("abc…");
        // an emoji is two chars; a cut through it keeps neither half
        assertThat(Texts.cut("ab😀cd", 3)).isEqualTo("ab…");
        assertThat(Texts.cut("ab😀cd", 4)).isEqualTo("ab😀…");
    }
}
