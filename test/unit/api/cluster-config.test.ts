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

  it('reads back what clusterConfigMap writes', () => {
    const config = { ...DEFAULT_CLUSTER_CONFIG, featureGates: ['HostDisk'], cpuAllocationRatio: 3 };
    const cm = clusterConfigMap(config) as { data: Record<string, string> };
    expect(parseClusterConfig(cm.data)).toEqual(config);
  });
});
