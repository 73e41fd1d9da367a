import { probeAnswer, type ProbeRoutes } from '../../../kube/probe-server.js';

const BOTH: ProbeRoutes = { health: true, metrics: true };
const starting = { synced: false, stopping: false };
const running = { synced: true, stopping: false };
const stopping = { synced: true, stopping: true };

describe('probeAnswer', () => {
  it('is not ready or healthy before the caches synced', () => {
    expect(probeAnswer('/readyz', starting, BOTH)).toEqual({ kind: 'text', status: 503, body: 'caches not synced' });
    expect(probeAnswer('/healthz', starting, BOTH)).toEqual({ kind: 'text', status: 503, body: 'caches not synced' });
  });

  it('answers ok on both once synced', () => {
    expect(probeAnswer('/readyz', running, BOTH)).toEqual({ kind: 'text', status: 200, body: 'ok' });
    expect(probeAnswer('/healthz', running, BOTH)).toEqual({ kind: 'text', status: 200, body: 'ok' });
  });

  it('stops being ready while stopping, but stays alive so the kubelet does not kill a clean shutdown', () => {
    expect(probeAnswer('/readyz', stopping, BOTH)).toEqual({ kind: 'text', status: 503, body: 'stopping' });
    expect(probeAnswer('/healthz', stopping, BOTH)).toEqual({ kind: 'text', status: 200, body: 'ok' });
  });

  it('serves /metrics whatever the state, ignoring a query string', () => {
    expect(probeAnswer('/metrics', starting, BOTH)).toEqual({ kind: 'metrics' });
    expect(probeAnswer('/readyz?verbose', running, BOTH)).toMatchObject({ status: 200 });
  });

  it('answers 404 for what this server does not carry', () => {
    expect(probeAnswer('/metrics', running, { health: true, metrics: false })).toMatchObject({ status: 404 });
    expect(probeAnswer('/healthz', running, { health: false, metrics: true })).toMatchObject({ status: 404 });
    expect(probeAnswer('/', running, BOTH)).toMatchObject({ status: 404 });
    expect(probeAnswer(undefined, running, BOTH)).toMatchObject({ status: 404 });
  });
});
