/** A mistake in how the benchmark was invoked or where it points (options, unreachable store): shown without a stack. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}
