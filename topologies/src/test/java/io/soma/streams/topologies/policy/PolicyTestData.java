package io.soma.streams.topologies.policy;

import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.replay.XsTestPrompts;

import java.util.List;

/** The real XSTest prompts (../shared/data, never copied into the repository). */
final class PolicyTestData {
    private PolicyTestData() {
    }

    static List<XsTestPrompts.Prompt> xsTestPrompts() {
        return XsTestPrompts.read(XsTestPrompts.file(TestPaths.dataDir()));
    }

    /** The example tenant pack with the example constitution's global rules, as the demo runs them. */
    static CompiledPolicy examplePolicy() {
        return CompiledPolicy.compile(ExamplePolicy.rulePack(), ExamplePolicy.constitution());
    }
}
