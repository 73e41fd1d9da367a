import { clusterConfigMap, DEFAULT_CLUSTER_CONFIG, parseClusterConfig } from '../../../api/cluster-config.js';

describe('parseClusterConfig', () => {
  it('takes every default from an absent or empty ConfigMap', () => {
    expect(parseClusterConfig(undefined)).toEqual(DEFAULT_CLUSTER_CONFIG);
    expect(parseClusterConfig({})).toEqual(DEFAULT_CLUSTER_CONFIG);
    expect(DEFAULT_CLUSTER_CONFIG.cpuAllocationRatio).toBe(10);
  });

  it('reads cpuAllocationRatio as a number above 0, else the default', () => {
    expect(parseClusterConfig({ cpuAllocationRatio: ' 4 ' }).cpuAllocationRatio).toBe(4);
    expect(parseClusterConfig({ cpuAllocationRatio: '2.5' }).cpuAllocationRatio).toBe(2.5);
    for (const bad of ['0', '-1', 'ten', '', 'Infinity'])
      expect(parseClusterConfig({ cpuAllocationRatio: bad }).cpuAllocationRatio).toBe(10);
  });

  it("reads the migration limits as KubeVirt's: bandwidth a quantity per second (0 unlimited), timeout seconds per GiB", () => {
    expect(DEFAULT_CLUSTER_CONFIG.migrations).toEqual({
      bandwidthBytesPerSecond: 0,
      completionTimeoutPerGiB: 150,
      progressTimeoutSeconds: 150,
    });
    const data = { bandwidthPerMigration: '64Mi', completionTimeoutPerGiB: '30', progressTimeout: '45' };
    expect(parseClusterConfig(data).migrations).toEqual({
      bandwidthBytesPerSecond: 64 * 2 ** 20,
      completionTimeoutPerGiB: 30,
      progressTimeoutSeconds: 45,
    });
    for (const bad of ['fast', '-1Mi', ''])
      expect(parseClusterConfig({ bandwidthPerMigration: bad }).migrations.bandwidthBytesPerSecond).toBe(0);
    for (const bad of ['0', '-5', '1.5', 'soon'])
      expect(parseClusterConfig({ completionTimeoutPerGiB: bad }).migrations.completionTimeoutPerGiB).toBe(150);
  });

  it('reads back what clusterConfigMap writes', () => {
    const config = {
      ...DEFAULT_CLUSTER_CONFIG,
      featureGates: ['HostDisk'],
      cpuAllocationRatio: 3,
      migrations: { bandwidthBytesPerSecond: 2 ** 20, completionTimeoutPerGiB: 60, progressTimeoutSeconds: 20 },
    };
    const cm = clusterConfigMap(config) as { data: Record<string, string> };
    expect(parseClusterConfig(cm.data)).toEqual(config);
  });
});
