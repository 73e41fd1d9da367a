import type { JSONSchemaProps } from '../../../api/crds/json-schema.js';
import { CRDS } from '../../../api/crds/index.js';

// `kubectl explain vm.spec...` prints a field's description and nothing else that teaches what the
// field does, so every field of every CRD carries one (KubeVirt's CRDs do). Array items and map
// values are described by their field; the root metadata stays bare (a structural schema may not
// say more of it), and the API server publishes ObjectMeta's own docs in its place.

function* fields(schema: JSONSchemaProps, path: string): Generator<readonly [string, JSONSchemaProps]> {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    yield [`${path}.${key}`, child];
    yield* fields(child, `${path}.${key}`);
  }
  if (schema.items !== undefined) yield* fields(schema.items, `${path}[]`);
}

describe('the CRD schemas', () => {
  it.each(CRDS.map((crd) => [crd.spec.names.kind, crd] as const))('describe every field of %s', (kind, crd) => {
    const root = crd.spec.versions[0]?.schema.openAPIV3Schema;
    if (root === undefined) throw new Error('no schema');
    const all = [...fields(root, '')];
    // The walk reaches the nested fields (VirtualMachineInstanceMigration is small: 15).
    expect(all.length).toBeGreaterThan(kind === 'VirtualMachineInstanceMigration' ? 10 : 80);
    const undescribed = all
      .filter(([p, s]) => p !== '.metadata' && (s.description ?? '').trim() === '')
      .map(([p]) => p);
    expect(undescribed).toEqual([]);
  });
});
