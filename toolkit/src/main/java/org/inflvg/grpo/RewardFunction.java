package org.inflvg.grpo;

import java.util.List;
import java.util.Map;

/** Scores every member of a group in one call (the hybrid reward, or any other). Must never return NaN. */
@FunctionalInterface
public interface RewardFunction {

    /** Per member: the named components and the total that GRPO maximises. */
    record Score(Map<String, Double> components, double total) {
    }

    List<Score> score(Group group);
}
