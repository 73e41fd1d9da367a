import { WorkQueue, type QueueOutcome, type QueueScheduler } from '../../../kube/workqueue.js';

/** Timers run by hand: advance(ms) fires what is due, in order. */
function manualClock(): QueueScheduler & { advance: (ms: number) => void; pending: () => number; now: () => number } {
  let now = 0;
  let timers: { fn: () => void; at: number; id: number }[] = [];
  let nextId = 0;
  return {
    setTimeout: (fn, ms) => {
      nextId += 1;
      timers.push({ fn, at: now + ms, id: nextId });
      return nextId;
    },
    clearTimeout: (h) => {
      timers = timers.filter((t) => t.id !== h);
    },
    advance: (ms) => {
      now += ms;
      const due = timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
    pending: () => timers.length,
    now: () => now,
  };
}

/** Lets queued promise callbacks run (no wall-clock wait). */
const settle = () => new Promise<void>((r) => setImmediate(r));

type Gate = { promise: Promise<QueueOutcome>; finish: (o?: QueueOutcome) => void };
function gate(): Gate {
  let finish!: (o?: QueueOutcome) => void;
  const promise = new Promise<QueueOutcome>((r) => {
    finish = (o = { kind: 'done' }) => r(o);
  });
  return { promise, finish };
}

describe('WorkQueue', () => {
  it('runs a key added several times while waiting only once', async () => {
    const runs: string[] = [];
    const q = new WorkQueue((k) => {
      runs.push(k);
      return Promise.resolve<QueueOutcome>({ kind: 'done' });
    });
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    q.start();
    await q.shutdown();
    expect(runs).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once and re-runs it once after an add during its run', async () => {
    const gates: Gate[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const q = new WorkQueue(
      async () => {
        concurrent += 1;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        const g = gate();
        gates.push(g);
        const o = await g.promise;
        concurrent -= 1;
        return o;
      },
      { workers: 4 },
    );
    q.start();
    q.add('a');
    await settle();
    q.add('a');
    q.add('a');
    await settle();
    expect(gates).toHaveLength(1);
    gates[0]?.finish();
    await settle();
    expect(gates).toHaveLength(2);
    gates[1]?.finish();
    await settle();
    expect(gates).toHaveLength(2);
    expect(maxConcurrent).toBe(1);
    await q.shutdown();
  });

  it('runs different keys in parallel up to the number of workers', async () => {
    const gates = new Map<string, Gate>();
    const q = new WorkQueue(
      (k) => {
        const g = gate();
        gates.set(k, g);
        return g.promise;
      },
      { workers: 2 },
    );
    q.start();
    for (const k of ['a', 'b', 'c']) q.add(k);
    await settle();
    expect([...gates.keys()]).toEqual(['a', 'b']);
    expect(q.active).toBe(2);
    expect(q.depth).toBe(1);
    gates.get('a')?.finish();
    await settle();
    expect([...gates.keys()]).toEqual(['a', 'b', 'c']);
    gates.get('b')?.finish();
    gates.get('c')?.finish();
    await q.shutdown();
  });

  it('backs a failing key off exponentially from 5 ms and resets after a success', async () => {
    const clock = manualClock();
    const outcomes: QueueOutcome[] = [
      { kind: 'retry' },
      { kind: 'retry' },
      { kind: 'retry' },
      { kind: 'done' },
      { kind: 'retry' },
    ];
    const runsAt: number[] = [];
    const q = new WorkQueue(
      () => {
        runsAt.push(clock.now());
        return Promise.resolve<QueueOutcome>(outcomes.shift() ?? { kind: 'done' });
      },
      { scheduler: clock },
    );
    q.start();
    q.add('a');
    await settle();
    expect(q.numRequeues('a')).toBe(1);
    for (const step of [5, 10, 20]) {
      clock.advance(step - 1);
      await settle();
      const before = runsAt.length;
      clock.advance(1);
      await settle();
      expect(runsAt.length).toBe(before + 1);
    }
    expect(runsAt).toEqual([0, 5, 15, 35]);
    expect(q.numRequeues('a')).toBe(0);
    q.add('a');
    await settle();
    expect(q.numRequeues('a')).toBe(1); // the first failure after a success waits 5 ms again
    await q.shutdown();
  });

  it('caps the backoff at the policy maximum', async () => {
    const clock = manualClock();
    const runsAt: number[] = [];
    const q = new WorkQueue(
      () => {
        runsAt.push(clock.now());
        return Promise.resolve<QueueOutcome>({ kind: 'retry' });
      },
      { scheduler: clock, backoff: { baseMs: 5, capMs: 40 } },
    );
    q.start();
    q.add('a');
    await settle();
    for (let i = 0; i < 6; i += 1) {
      clock.advance(5);
      await settle();
      while (runsAt.length < i + 2) {
        clock.advance(5);
        await settle();
      }
    }
    expect(runsAt).toEqual([0, 5, 15, 35, 75, 115, 155]);
    await q.shutdown();
  });

  it('requeues after the asked delay without counting a failure', async () => {
    const clock = manualClock();
    let runs = 0;
    const q = new WorkQueue(
      () => {
        runs += 1;
        return Promise.resolve<QueueOutcome>(runs === 1 ? { kind: 'requeueAfter', ms: 1000 } : { kind: 'done' });
      },
      { scheduler: clock },
    );
    q.start();
    q.add('a');
    await settle();
    expect(q.numRequeues('a')).toBe(0);
    clock.advance(999);
    await settle();
    expect(runs).toBe(1);
    clock.advance(1);
    await settle();
    expect(runs).toBe(2);
    await q.shutdown();
  });

  it('keeps the earliest of two delayed adds of one key', () => {
    const clock = manualClock();
    const q = new WorkQueue(() => Promise.resolve<QueueOutcome>({ kind: 'done' }), { scheduler: clock });
    q.addAfter('a', 500, 0);
    q.addAfter('a', 100, 0);
    q.addAfter('a', 900, 0);
    expect(clock.pending()).toBe(1);
    clock.advance(100);
    expect(q.depth).toBe(1);
  });

  it('retries a key whose process function threw and reports the error', async () => {
    const clock = manualClock();
    const errors: string[] = [];
    let runs = 0;
    const q = new WorkQueue(
      () => {
        runs += 1;
        if (runs === 1) throw new Error('boom');
        return Promise.resolve<QueueOutcome>({ kind: 'done' });
      },
      { scheduler: clock, onError: (k, e) => errors.push(`${k}: ${(e as Error).message}`) },
    );
    q.start();
    q.add('a');
    await settle();
    expect(errors).toEqual(['a: boom']);
    clock.advance(5);
    await settle();
    expect(runs).toBe(2);
    await q.shutdown();
  });

  it('does not retry a terminal outcome', async () => {
    const clock = manualClock();
    let runs = 0;
    const q = new WorkQueue(
      () => {
        runs += 1;
        return Promise.resolve<QueueOutcome>({ kind: 'terminal' });
      },
      { scheduler: clock },
    );
    q.start();
    q.add('a');
    await settle();
    clock.advance(10_000);
    await settle();
    expect(runs).toBe(1);
    expect(clock.pending()).toBe(0);
    await q.shutdown();
  });

  it('drains waiting and running keys on shutdown, drops delayed ones and ignores later adds', async () => {
    const clock = manualClock();
    const runs: string[] = [];
    const g = gate();
    const q = new WorkQueue(
      (k) => {
        runs.push(k);
        return Promise.resolve<QueueOutcome>(k === 'a' ? g.promise : { kind: 'done' });
      },
      { scheduler: clock },
    );
    q.start();
    q.add('a');
    q.add('b');
    q.addAfter('c', 50);
    await settle();
    let drained = false;
    const done = q.shutdown().then(() => {
      drained = true;
    });
    q.add('d');
    expect(clock.pending()).toBe(0);
    await settle();
    expect(drained).toBe(false);
    g.finish();
    await done;
    expect(runs).toEqual(['a', 'b']);
  });

  it('reports the queue depth as it changes', async () => {
    const depths: number[] = [];
    const q = new WorkQueue(() => Promise.resolve<QueueOutcome>({ kind: 'done' }), { onDepth: (d) => depths.push(d) });
    q.add('a');
    q.add('b');
    q.start();
    await q.shutdown();
    expect(depths).toEqual([1, 2, 1, 0]);
  });
});
