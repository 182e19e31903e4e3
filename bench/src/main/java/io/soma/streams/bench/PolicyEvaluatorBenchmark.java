package io.soma.streams.bench;

import io.soma.streams.topologies.policy.CompiledPolicy;
import io.soma.streams.topologies.policy.Evaluation;
import io.soma.streams.topologies.policy.EvaluationInput;
import io.soma.streams.topologies.policy.ExamplePolicy;
import io.soma.streams.topologies.policy.PolicyEvaluator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.List;
import java.util.concurrent.TimeUnit;

/** One policy evaluation per invocation, cycling through real texts; SampleTime reports p50/p99. */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class PolicyEvaluatorBenchmark {
    @State(Scope.Thread)
    public static class Inputs {
        /** "example" is the example pack with the example constitution's global rules (regexes included). */
        @Param({"10", "100", "1000", "example"})
        public String pack;
        @Param({"xstest", "1kb", "10kb"})
        public String text;

        CompiledPolicy policy;
        List<EvaluationInput> inputs;
        int next;

        @Setup(Level.Trial)
        public void setUp() {
            List<String> prompts = PolicyBenchData.prompts();
            policy = pack.equals("example")
                    ? CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution())
                    : CompiledPolicy.compile(PolicyBenchData.literalPack(prompts, Integer.parseInt(pack)), null);
            List<String> texts = switch (text) {
                case "xstest" -> prompts;
                case "1kb" -> PolicyBenchData.joinedTexts(prompts, 1024);
                case "10kb" -> PolicyBenchData.joinedTexts(prompts, 10240);
                default -> throw new IllegalArgumentException(text);
            };
            inputs = texts.stream().map(t -> new EvaluationInput(t, "user", null)).toList();
        }

        EvaluationInput nextInput() {
            EvaluationInput input = inputs.get(next);
            next = next + 1 == inputs.size() ? 0 : next + 1;
            return input;
        }
    }

    @Benchmark
    public Evaluation evaluate(Inputs inputs) {
        return PolicyEvaluator.evaluate(inputs.nextInput(), inputs.policy);
    }
}
