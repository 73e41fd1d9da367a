// How the local cluster's aggregator reaches virt-api, a process on loopback (cluster/README.md,
// "Aggregated APIs"): an ExternalName Service to localhost on virt-api's port, and the APIService
// whose caBundle verifies virt-api's serving certificate. manifests/virt-api.yaml holds the
// in-cluster version (a ClusterIP Service in front of the Deployment). Pure.
import { SUBRESOURCES_GROUP, SYSTEM_NAMESPACE } from '../api/names.js';
import { APISERVICE_NAME, SUBRESOURCES_VERSION, VIRT_API_SERVICE } from '../api/subresources.js';

export function virtApiRegistration(port: number, caPem: string): unknown[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: VIRT_API_SERVICE, namespace: SYSTEM_NAMESPACE },
      spec: { type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', port }] },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: APISERVICE_NAME },
      spec: {
        group: SUBRESOURCES_GROUP,
        version: SUBRESOURCES_VERSION,
        groupPriorityMinimum: 1000,
        versionPriority: 15,
        caBundle: Buffer.from(caPem).toString('base64'),
        service: { name: VIRT_API_SERVICE, namespace: SYSTEM_NAMESPACE, port },
      },
    },
  ];
}
