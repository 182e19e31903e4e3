package io.soma.streams.topologies.policy.rules;

import io.soma.streams.topologies.policy.example.ExamplePolicy;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RulePackJsonTest {
    @Test
    void shouldApplySpecDefaultsToAbsentRuleFields() {
        RulePack pack = RulePackJson.read("""
                {"tenant":"acme","version":4,"updated_at":1700000000000,
                 "rules":[{"name":"no-bombs","pattern":"bomb"}]}""");

        assertThat(pack.rules()).containsExactly(Rule.withDefaults("no-bombs", "bomb"));
        assertThat(pack.updatedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
        assertThat(pack.updatedBy()).isNull();
    }

    @Test
    void shouldRoundTripThroughJson() {
        RulePack pack = ExamplePolicy.rulePack();

        assertThat(RulePackJson.read(RulePackJson.write(pack))).isEqualTo(pack);
    }

    @Test
    void shouldNameTheOffendingRuleForEachProblem() {
        assertThatThrownBy(() -> RulePackJson.read("""
                {"tenant":"acme","version":1,"updated_at":"2025-01-01T00:00:00Z","rules":[
                  {"name":"a","pattern":"x","weight":1.5},
                  {"name":"a","pattern":"y"},
                  {"name":"b","pattern":"(\\\\w+)+$","match":"regex"},
                  {"name":"c","pattern":"x","action":"explode"},
                  {"name":"d","pattern":"bad*word","match":"keywords"}]}"""))
                .isInstanceOfSatisfying(InvalidRulePackException.class, e -> assertThat(e.problems())
                        .extracting(p -> p.rule() + "/" + p.field())
                        .containsExactlyInAnyOrder("c/action"));
        List<RulePackProblem> problems = RulePackValidator.validate(new RulePack("acme", 1, List.of(
                new Rule("a", "x", MatchType.SUBSTRING, 1.5, Severity.LOW, Action.LOG, Set.of(), Set.of(), null),
                Rule.withDefaults("a", "y"),
                new Rule("b", "(\\w+)+$", MatchType.REGEX, 0.1, Severity.LOW, Action.LOG, Set.of(), Set.of(), null),
                new Rule("d", "bad*word", MatchType.KEYWORDS, 0.1, Severity.LOW, Action.LOG, Set.of(), Set.of(), null),
                Rule.withDefaults("", " ")), Instant.EPOCH, null));

        assertThat(problems).extracting(p -> p.rule() + "/" + p.field()).containsExactly(
                "a/weight", "a/name", "b/pattern", "d/pattern", "rules[4]/name", "rules[4]/pattern");
    }

    @Test
    void shouldRefuseAMisspeltRuleFieldInsteadOfApplyingItsDefault() {
        assertThatThrownBy(() -> RulePackJson.read("""
                {"tenant":"acme","version":1,"updated_at":"2025-01-01T00:00:00Z","rules":[
                  {"name":"ssn","pattern":"\\\\d{3}-\\\\d{2}-\\\\d{4}","matc":"regex"},
                  {"name":"tool-only","pattern":"rm -rf","applies_to":{"tool":["shell"]}},
                  {"name":"user-only","pattern":"rm -rf","applies_to":["user"]},
                  {"name":"fine","pattern":"x","applies_to":{"roles":["user"]},"description":"d"}]}"""))
                .isInstanceOfSatisfying(InvalidRulePackException.class, e -> assertThat(e.problems())
                        .extracting(p -> p.rule() + "/" + p.field())
                        .containsExactly("ssn/matc", "tool-only/applies_to.tool", "user-only/applies_to"));
    }

    @Test
    void shouldLoadTheExamplePackAsValid() {
        RulePack pack = ExamplePolicy.rulePack();

        assertThat(pack.tenant()).isEqualTo("xstest");
        assertThat(RulePackValidator.validate(pack)).isEmpty();
        assertThat(pack.rules()).extracting(Rule::match).contains(MatchType.SUBSTRING, MatchType.REGEX, MatchType.KEYWORDS);
        assertThat(pack.rules()).extracting(Rule::action).contains(Action.DENY, Action.REVIEW, Action.LOG);
    }
}
