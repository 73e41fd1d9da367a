import { kubeconfigObject } from '../../../cluster/kubeconfig.js';

describe('kubeconfigObject', () => {
  it('embeds the certificates and selects its only context', () => {
    const config = kubeconfigObject({
      name: 'tsvirt-local',
      server: 'https://127.0.0.1:6443',
      caPem: 'CA',
      certPem: 'CERT',
      keyPem: 'KEY',
    });
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'tsvirt-local', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': 'Q0E=' } },
      ],
      users: [{ name: 'tsvirt-local', user: { 'client-certificate-data': 'Q0VSVA==', 'client-key-data': 'S0VZ' } }],
      contexts: [{ name: 'tsvirt-local', context: { cluster: 'tsvirt-local', user: 'tsvirt-local' } }],
      'current-context': 'tsvirt-local',
      preferences: {},
    });
  });
});
