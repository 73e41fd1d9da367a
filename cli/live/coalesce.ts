/**
 * Coalesces a stream of values into at most one delivery per interval: the first value goes out
 * at once, later ones within the interval are held and only the newest is delivered when it
 * ends. The live view feeds every watch event through it, so 50 changes a second cost at most
 * 10 frames (intervalMs 100). Timers are handed in, so tests drive the clock.
 */
export interface Timers {
  readonly now: () => number;
  readonly setTimeout: (f: () => void, ms: number) => unknown;
  readonly clearTimeout: (t: unknown) => void;
}

export const REAL_TIMERS: Timers = {
  now: () => performance.now(),
  setTimeout: (f, ms) => setTimeout(f, ms),
  clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
};

export interface Coalescer<T> {
  push(value: T): void;
  /** Stops any held delivery; nothing is delivered after. */
  stop(): void;
}

export function coalesce<T>(deliver: (v: T) => void, intervalMs: number, timers: Timers = REAL_TIMERS): Coalescer<T> {
  let last = -Infinity;
  let held: { value: T } | undefined;
  let timer: unknown;
  let stopped = false;
  const send = (v: T): void => {
    last = timers.now();
    deliver(v);
  };
  const release = (): void => {
    timer = undefined;
    const h = held;
    held = undefined;
    if (h !== undefined && !stopped) send(h.value);
  };
  return {
    push(value: T): void {
      if (stopped) return;
      const wait = last + intervalMs - timers.now();
      if (wait <= 0 && timer === undefined) return send(value);
      held = { value };
      timer ??= timers.setTimeout(release, Math.max(0, wait));
    },
    stop(): void {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      held = undefined;
    },
  };
}
