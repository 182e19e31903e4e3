package io.soma.streams.stores.redis;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisConnectionTest {

    /** The start-up failure is logged: the parse error of the URL itself would quote the password. */
    @Test
    void shouldNameAUrlItCannotParseWithoutItsPassword() {
        assertThatThrownBy(() -> new RedisConnection("redis://:s3cr^t pass@redis.internal:6379"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("redis.url redis://:****@redis.internal:6379 is not a URL")
                .hasMessageNotContaining("s3cr")
                .hasNoCause();
    }
}
