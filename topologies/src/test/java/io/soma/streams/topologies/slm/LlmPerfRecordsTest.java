package io.soma.streams.topologies.slm;

import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LlmPerfRecordsTest {

    @Test
    void shouldFindEveryProviderFileOfTheLeaderboard() {
        List<Path> files = LlmPerfRecords.files(TestPaths.dataDir());
        assertThat(files).hasSize(19);
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("groq_70b.json", "together_7b.json")
                .doesNotContain("LICENSE");
    }

    @Test
    void shouldNameProviderAndModelFromTheFileName() {
        Path file = SlmDatasets.file("together_70b.json");
        assertThat(LlmPerfRecords.provider(file)).isEqualTo("together");
        assertThat(LlmPerfRecords.model(file)).isEqualTo("llama-2-70b-chat");
        assertThatThrownBy(() -> LlmPerfRecords.model(Path.of("LICENSE"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldReadEveryRequestAsTheFileHasIt() {
        List<LlmPerfRecords.Request> requests = LlmPerfRecords.read(SlmDatasets.file("anyscale_13b.json"));
        assertThat(requests).hasSize(150);
        LlmPerfRecords.Request first = requests.get(0);
        assertThat(first.provider()).isEqualTo("anyscale");
        assertThat(first.model()).isEqualTo("llama-2-13b-chat");
        assertThat(first.index()).isZero();
        assertThat(first.failed()).isFalse();
        assertThat(first.ttftS()).isEqualTo(0.5575600349999945);
        assertThat(first.endToEndLatencyS()).isEqualTo(1.5281514210000182);
        assertThat(first.interTokenLatencyS()).isEqualTo(0.009577180821190572);
        assertThat(first.inputTokens()).isEqualTo(550);
        assertThat(first.outputTokens()).isEqualTo(151);
        assertThat(first.totalTokens()).isEqualTo(701);
        assertThat(LlmPerfRecords.read(SlmDatasets.file("replicate_70b.json"))).hasSize(145);
    }

    @Test
    void shouldKeepFailedRequestsWithTheirErrorCodes() {
        List<LlmPerfRecords.Request> lepton = LlmPerfRecords.read(SlmDatasets.file("lepton_13b.json"));
        assertThat(lepton).filteredOn(LlmPerfRecords.Request::failed).hasSize(130)
                .allSatisfy(r -> assertThat(r.errorCode()).isEqualTo(429));
        // a truncated Bedrock answer fails the benchmark's check but keeps its measured latency
        LlmPerfRecords.Request truncated = LlmPerfRecords.read(SlmDatasets.file("bedrock_13b.json")).stream()
                .filter(LlmPerfRecords.Request::failed).findFirst().orElseThrow();
        assertThat(truncated.errorCode()).isEqualTo(-100);
        assertThat(truncated.errorMessage()).startsWith("Output too few tokens");
        assertThat(truncated.endToEndLatencyS()).isPositive();
    }

    @Test
    void shouldConvertToAnSlmRequestInMilliseconds() {
        SlmRequest request = LlmPerfRecords.read(SlmDatasets.file("anyscale_13b.json")).get(0).toSlmRequest();
        assertThat(request.key()).isEqualTo("llama-2-13b-chat@anyscale");
        assertThat(request.failed()).isFalse();
        assertThat(request.endToEndLatencyMs()).isEqualTo(1.5281514210000182 * 1000);
        assertThat(request.timeToFirstTokenMs()).isEqualTo(0.5575600349999945 * 1000);
        assertThat(request.inputTokens()).isEqualTo(550);
        assertThat(request.outputTokens()).isEqualTo(151);
    }
}
