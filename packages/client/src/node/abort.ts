/** AbortSignal helpers: abort rejects with the signal's reason (an `AbortError` by default). */

/** The error an aborted operation rejects with: `signal.reason` when it is an Error. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new DOMException('The operation was aborted', 'AbortError');
}

/** Throws the abort reason if `signal` is already aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Runs `onAbort` if `signal` aborts while `work` runs; always detaches afterwards.
 */
export async function withAbort<T>(
  signal: AbortSignal | undefined,
  onAbort: (reason: Error) => void,
  work: () => Promise<T>,
): Promise<T> {
  if (signal === undefined) return work();
  throwIfAborted(signal);
  const listener = () => onAbort(abortReason(signal));
  signal.addEventListener('abort', listener, { once: true });
  try {
    return await work();
  } finally {
    signal.removeEventListener('abort', listener);
  }
}
