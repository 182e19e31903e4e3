package io.soma.streams.topologies.policy.detectors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The types one rule of a detector kind selects, from its pattern: type names separated by spaces and/or commas,
 * or {@code *} for all of the kind's types ({@code "card iban ssn"}, {@code "*"}).
 */
public final class DetectorSelection {
    public static final String ALL = "*";

    private final List<DetectorType> types;

    private DetectorSelection(List<DetectorType> types) {
        this.types = List.copyOf(types);
    }

    /** Why the pattern selects nothing valid, or empty when it is fine. */
    public static Optional<String> problem(DetectorKind kind, String pattern) {
        List<String> names = names(pattern);
        if (names.isEmpty()) {
            return Optional.of("must name at least one " + kind.wire() + " type, or " + ALL);
        }
        return names.stream()
                .filter(n -> !n.equals(ALL) && kind.types().stream().noneMatch(t -> t.name().equals(n)))
                .findFirst()
                .map(n -> "'" + n + "' is not a " + kind.wire() + " type; one of: " + ALL + ", "
                        + String.join(", ", kind.types().stream().map(DetectorType::name).toList()));
    }

    /** @throws IllegalArgumentException when {@link #problem} has one */
    public static DetectorSelection of(DetectorKind kind, String pattern) {
        problem(kind, pattern).ifPresent(p -> {
            throw new IllegalArgumentException(p);
        });
        List<String> names = names(pattern);
        return new DetectorSelection(kind.types().stream()
                .filter(t -> names.contains(ALL) || names.contains(t.name()))
                .toList());
    }

    /** Every detection of every selected type, by start, then longest first, then type. */
    public List<Detection> find(String text) {
        return find(text, type -> type.trigger().holdsIn(text), CandidateMatches.wholeText(text));
    }

    /**
     * As {@link #find(String)}, running only the types whose trigger the caller found to hold in the text, with
     * their candidate regexes matched through {@code candidates}.
     */
    public List<Detection> find(String text, Predicate<DetectorType> triggered, CandidateMatches candidates) {
        List<Detection> found = new ArrayList<>();
        findInto(found, text, triggered, candidates, new HashMap<>());
        sort(found);
        return found;
    }

    /**
     * As {@link #find(String, Predicate, CandidateMatches)}, adding each type's detections to {@code found} as it
     * goes, unsorted: what the earlier types found is there even when a later type's candidate matching throws
     * (its read budget spent).
     *
     * @param scanned each type's detections in this text, filled as types run: the rules of one policy that select
     *                the same type scan the text for it once
     */
    public void findInto(List<Detection> found, String text, Predicate<DetectorType> triggered,
                         CandidateMatches candidates, Map<DetectorType, List<Detection>> scanned) {
        for (DetectorType t : types) {
            if (triggered.test(t)) {
                List<Detection> detections = scanned.get(t);
                if (detections == null) {
                    detections = t.scan(text, candidates);
                    scanned.put(t, detections);
                }
                found.addAll(detections);
            }
        }
    }

    /** In the order {@link #find(String)} gives: by start, then longest first, then type. */
    public static void sort(List<Detection> detections) {
        detections.sort(Comparator.comparingInt(Detection::start)
                .thenComparing(Comparator.comparingInt(Detection::end).reversed())
                .thenComparing(Detection::type));
    }

    public List<DetectorType> types() {
        return types;
    }

    private static List<String> names(String pattern) {
        return Arrays.stream(pattern.trim().toLowerCase(java.util.Locale.ROOT).split("[\\s,]+"))
                .filter(w -> !w.isEmpty())
                .toList();
    }
}
