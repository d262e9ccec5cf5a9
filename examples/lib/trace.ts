// A readable trace for the examples: milliseconds since start, a stage, a message.
const started = performance.now();

/** Prints `  123 ms  stage      message`. */
export function trace(stage: string, message: string): void {
  const ms = Math.round(performance.now() - started);
  console.log(`${String(ms).padStart(6)} ms  ${stage.padEnd(10)} ${message}`);
}

/** A trace callback the lib modules accept. */
export type Trace = (stage: string, message: string) => void;
