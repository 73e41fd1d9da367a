import type { JSONSchemaProps } from '../../../api/crds/json-schema.js';
import { CRDS } from '../../../api/crds/index.js';
import { loadBadSpecs } from '../../integration/api-validation-specs.js';

// Every CEL rule in the CRDs is exercised by at least one file in test/bad-specs/ that the
// integration tier (bad-specs.test.ts) applies to the real API server: a rule whose message no bad
// spec expects is a rule nobody has seen fail. Reading the fixtures is the only I/O here.
function* messages(schema: JSONSchemaProps): Generator<string> {
  for (const r of schema['x-kubernetes-validations'] ?? []) yield r.message;
  for (const child of Object.values(schema.properties ?? {})) yield* messages(child);
  if (schema.items !== undefined) yield* messages(schema.items);
  if (schema.additionalProperties !== undefined) yield* messages(schema.additionalProperties);
}

const RULE_MESSAGES = new Set(
  CRDS.flatMap((crd) => crd.spec.versions.flatMap((v) => [...messages(v.schema.openAPIV3Schema)])),
);
const SPECS = loadBadSpecs();

describe('the bad specs in test/bad-specs/', () => {
  it('expect the message of every CEL rule in the CRDs at least once', () => {
    const expected = SPECS.flatMap((s) => (s.rejectedWith === undefined ? [] : [s.rejectedWith]));
    const untested = [...RULE_MESSAGES].filter((m) => !expected.some((e) => m.includes(e)));
    expect(untested).toEqual([]);
    expect(RULE_MESSAGES.size).toBeGreaterThanOrEqual(54); // issue 8's list, as api/crds/ states it
  });

  it('each name a field, and include good twins that must be accepted', () => {
    const bad = SPECS.filter((s) => s.rejectedWith !== undefined);
    expect(bad.filter((s) => s.field === undefined).map((s) => s.file)).toEqual([]);
    expect(SPECS.some((s) => s.file === 'good.yaml' && s.rejectedWith === undefined)).toBe(true);
    expect(SPECS.length - bad.length).toBeGreaterThan(0);
  });

  it('have unique titles, so a failure names one file', () => {
    const titles = SPECS.map((s) => s.title);
    expect(titles.filter((t, i) => titles.indexOf(t) !== i)).toEqual([]);
  });
});
