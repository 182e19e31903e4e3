package io.soma.streams.topologies.budget;

/** What is wrong with a budget definition, naming the field as it is spelt on the wire. */
public record BudgetProblem(String field, String message) {
    @Override
    public String toString() {
        return field + ": " + message;
    }
}
