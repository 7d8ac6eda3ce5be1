/**
 * SpriteWorld, the embedded procedural video world: the prompt grammar ("A {subject} {action} {background}"),
 * individuals whose appearance is never named in the prompt, a deterministic renderer with ground truth, datasets
 * with disjoint identity splits, and event prompt sets (EPS) in the official JSONL format with the official
 * composition rule. It plays the role of the real world in the paper: the data the base model is trained on and the
 * ground truth the reward models learn from.
 */
package org.inflvg.world;
