package org.inflvg.grpo;

import java.util.List;
import java.util.Map;

/** Scores every member of a group in one call (the hybrid reward, or any other). Must never return NaN. */
@FunctionalInterface
public interface RewardFunction {

    /**
     * Per member: the named components, the total that GRPO maximises, and a note explaining any component that was
     * set by rule (e.g. "no subject visible: identity 0"); empty when there is none.
     */
    record Score(Map<String, Double> components, double total, String note) {

        public Score {
            if (Double.isNaN(total)) {
                throw new IllegalArgumentException("a reward total must not be NaN (components " + components + ")");
            }
            note = note == null ? "" : note;
        }

        public Score(Map<String, Double> components, double total) {
            this(components, total, "");
        }
    }

    List<Score> score(Group group);

    /**
     * The components that make the total, with their weights (total = sum of weight * component), or an empty map when
     * the total is not such a sum. Components not named here are diagnostics. Logged with GRPO runs for the audit.
     */
    default Map<String, Double> weights() {
        return Map.of();
    }
}
