import type { JSONSchemaProps } from '../../../api/crds/json-schema.js';
import { CRDS } from '../../../api/crds/index.js';
import { IMMUTABLE_SPEC_MESSAGE, OBJECT_CASES, SPEC_CASES } from '../../integration/api-validation-cases.js';

// Every CEL rule in the CRDs is exercised by at least one bad spec that the integration tier
// applies to the real API server: a rule whose message no case expects is a rule nobody has seen fail.
function* messages(schema: JSONSchemaProps): Generator<string> {
  for (const r of schema['x-kubernetes-validations'] ?? []) yield r.message;
  for (const child of Object.values(schema.properties ?? {})) yield* messages(child);
  if (schema.items !== undefined) yield* messages(schema.items);
  if (schema.additionalProperties !== undefined) yield* messages(schema.additionalProperties);
}

describe('the bad specs in test/integration/api-validation-cases.ts', () => {
  it('expect the message of every CEL rule in the CRDs at least once', () => {
    const expected = [
      IMMUTABLE_SPEC_MESSAGE,
      ...[...SPEC_CASES, ...OBJECT_CASES].flatMap((c) => (c.rejectedWith === undefined ? [] : [c.rejectedWith])),
    ];
    const all = new Set(
      CRDS.flatMap((crd) => crd.spec.versions.flatMap((v) => [...messages(v.schema.openAPIV3Schema)])),
    );
    const untested = [...all].filter((m) => !expected.some((e) => m.includes(e)));
    expect(untested).toEqual([]);
  });
});
