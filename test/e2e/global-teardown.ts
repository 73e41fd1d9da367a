// jest globalTeardown of the e2e tier: runs what global-setup registered (stop the cluster, its
// libvirtd and any guest; fail if a process had to be killed).
const TEARDOWN_KEY = Symbol.for('tsvirt.e2e.teardown'); // global-setup.ts's TEARDOWN_KEY

export default async function globalTeardown(): Promise<void> {
  const teardown = (globalThis as Record<symbol, unknown>)[TEARDOWN_KEY];
  if (typeof teardown === 'function') await (teardown as () => Promise<void>)();
}
