/**
 * The InfLVG Java kernel for Jupyter: JShell on the toolkit's class path, executed in the kernel's own JVM so that a
 * cell's value reaches the renderers as an object.
 *
 * <p>What notebooks use: {@link org.inflvg.kernel.Notebook} ({@code display}, {@code updateDisplay},
 * {@code progress}), {@link org.inflvg.kernel.Displayable} for toolkit types that render themselves, and
 * {@link org.inflvg.kernel.Progress} / {@link org.inflvg.kernel.ProgressSink} through which long toolkit operations
 * report progress (and honour interrupts) without depending on Jupyter. The kernel itself is
 * {@link org.inflvg.kernel.InfLvgKernel}, started by {@link org.inflvg.kernel.KernelMain} from a kernelspec that
 * {@code inflvg kernel install} writes.
 *
 * <p>Not part of the paper: this is the notebook front end through which the paper's pieces are explored.
 */
package org.inflvg.kernel;
