// jest globalTeardown of the integration tier: runs what global-setup registered (stop the cluster
// it started and fail if anything was left running). Nothing to do when setup reused a cluster.
const TEARDOWN_KEY = Symbol.for('tsvirt.integration.teardown'); // global-setup.ts's TEARDOWN_KEY

export default async function globalTeardown(): Promise<void> {
  const teardown = (globalThis as Record<symbol, unknown>)[TEARDOWN_KEY];
  if (typeof teardown === 'function') await (teardown as () => Promise<void>)();
}
