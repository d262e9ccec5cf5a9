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
 * Runs `work`; if `signal` aborts first, calls `onAbort` (which closes the connection) and
 * rejects at once with the abort reason — even when `work` is stuck on something that is not
 * the socket (a body stream that stopped yielding). `work` then settles in the background.
 */
export async function withAbort<T>(
  signal: AbortSignal | undefined,
  onAbort: (reason: Error) => void,
  work: () => Promise<T>,
): Promise<T> {
  if (signal === undefined) return work();
  throwIfAborted(signal);
  let listener: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    listener = () => {
      const reason = abortReason(signal);
      onAbort(reason);
      reject(reason);
    };
    signal.addEventListener('abort', listener, { once: true });
  });
  const running = work();
  running.catch(() => {});
  try {
    return await Promise.race([running, aborted]);
  } finally {
    if (listener !== undefined) signal.removeEventListener('abort', listener);
  }
}
