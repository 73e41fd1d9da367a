import type { JSONSchemaProps } from '../../../api/crds/json-schema.js';
import { CRDS, vmCrd, vmiCrd } from '../../../api/crds/index.js';
import { GROUP, VERSION, VM_PLURAL, VMI_PLURAL } from '../../../api/names.js';

// The rules of a structural schema (apiextensions.k8s.io/v1, "Specifying a structural schema"),
// checked offline on the generated CRDs so a mistake shows here before an API server refuses the
// CRD. The integration tier installs the same CRDs on a real v1.36 API server.

interface Node {
  readonly path: string;
  readonly schema: JSONSchemaProps;
}

function* walk(schema: JSONSchemaProps, path = ''): Generator<Node> {
  yield { path, schema };
  for (const [key, child] of Object.entries(schema.properties ?? {})) yield* walk(child, `${path}.${key}`);
  if (schema.items !== undefined) yield* walk(schema.items, `${path}[]`);
  if (schema.additionalProperties !== undefined) yield* walk(schema.additionalProperties, `${path}{}`);
}

const versionOf = (crd: (typeof CRDS)[number]) => {
  const version = crd.spec.versions[0];
  if (version === undefined) throw new Error(`${crd.metadata.name} has no version`);
  return version;
};
const nodesOf = (crd: (typeof CRDS)[number]): Node[] => [...walk(versionOf(crd).schema.openAPIV3Schema)];
const allNodes = CRDS.flatMap((crd) => nodesOf(crd).map((n) => ({ ...n, crd: crd.metadata.name })));
const isIntOrString = (s: JSONSchemaProps): boolean => s['x-kubernetes-int-or-string'] === true;
const byPath = (crd: (typeof CRDS)[number], path: string): JSONSchemaProps | undefined =>
  nodesOf(crd).find((n) => n.path === path)?.schema;

describe('the generated CRDs', () => {
  it('are served and stored at tsvirt.io/v1alpha1, namespaced, with a status subresource, in category all', () => {
    for (const crd of CRDS) {
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.spec.group).toBe(GROUP);
      expect(crd.spec.scope).toBe('Namespaced');
      expect(crd.spec.names.categories).toEqual(['all']);
      expect(crd.spec.versions).toHaveLength(1);
      expect(versionOf(crd)).toMatchObject({
        name: VERSION,
        served: true,
        storage: true,
        subresources: { status: {} },
      });
    }
    expect(vmCrd.metadata.name).toBe(`${VM_PLURAL}.${GROUP}`);
    expect(vmCrd.spec.names.shortNames).toEqual(['vm', 'vms']);
    expect(vmiCrd.metadata.name).toBe(`${VMI_PLURAL}.${GROUP}`);
    expect(vmiCrd.spec.names.shortNames).toEqual(['vmi', 'vmis']);
  });

  it("print KubeVirt's columns", () => {
    const columns = (crd: (typeof CRDS)[number]) =>
      versionOf(crd).additionalPrinterColumns.map((c) => [c.name, c.jsonPath]);
    expect(columns(vmCrd)).toEqual([
      ['Age', '.metadata.creationTimestamp'],
      ['Status', '.status.printableStatus'],
      ['Ready', '.status.ready'],
    ]);
    expect(columns(vmiCrd)).toEqual([
      ['Age', '.metadata.creationTimestamp'],
      ['Phase', '.status.phase'],
      ['IP', '.status.interfaces[0].ipAddress'],
      ['NodeName', '.status.nodeName'],
      ['Ready', ".status.conditions[?(@.type=='Ready')].status"],
    ]);
  });

  it('give every node a type, except int-or-string nodes, which are anyOf integer and string', () => {
    const wrong = allNodes
      .filter(({ schema }) =>
        isIntOrString(schema)
          ? schema.type !== undefined || JSON.stringify(schema.anyOf) !== '[{"type":"integer"},{"type":"string"}]'
          : schema.type === undefined,
      )
      .map(({ crd, path }) => `${crd}${path}`);
    expect(wrong).toEqual([]);
  });

  it('never combine properties with additionalProperties, and give every array its items', () => {
    for (const { crd, path, schema } of allNodes) {
      const both = schema.properties !== undefined && schema.additionalProperties !== undefined;
      expect({ crd, path, both }).toEqual({ crd, path, both: false });
      if (schema.type === 'array')
        expect({ crd, path, items: schema.items !== undefined }).toEqual({ crd, path, items: true });
    }
  });

  it('keep unknown fields nowhere: everything a user writes is in the schema or pruned', () => {
    const preserving = allNodes.filter((n) => n.schema['x-kubernetes-preserve-unknown-fields'] === true);
    expect(preserving.map((n) => `${n.crd}${n.path}`)).toEqual([]);
  });

  it('leave the root metadata to the API server and limit a template to labels and annotations', () => {
    for (const crd of CRDS) expect(byPath(crd, '.metadata')).toEqual({ type: 'object' });
    expect(Object.keys(byPath(vmCrd, '.spec.template.metadata')?.properties ?? {})).toEqual(['labels', 'annotations']);
  });

  it('require only fields that exist, and default only to values of the right type', () => {
    for (const { crd, path, schema } of allNodes) {
      for (const name of schema.required ?? []) {
        expect({ crd, path, name, exists: schema.properties?.[name] !== undefined }).toMatchObject({ exists: true });
      }
      if (schema.default === undefined) continue;
      const kind = Array.isArray(schema.default) ? 'array' : typeof schema.default;
      const expected = { object: 'object', string: 'string', integer: 'number', boolean: 'boolean', array: 'array' };
      expect({ crd, path, kind }).toEqual({ crd, path, kind: expected[schema.type as keyof typeof expected] });
      if (schema.enum !== undefined) expect(schema.enum).toContain(schema.default);
    }
  });

  it('give every CEL rule a message, and point every fieldPath at a field that exists', () => {
    let rules = 0;
    for (const { crd, path, schema } of allNodes) {
      for (const r of schema['x-kubernetes-validations'] ?? []) {
        rules++;
        expect({ crd, path, rule: r.rule, message: r.message.length > 20 }).toMatchObject({ message: true });
        if (r.fieldPath === undefined) continue;
        const target = nodesOf(CRDS.find((c) => c.metadata.name === crd) ?? vmCrd).find(
          (n) => n.path === `${path}${r.fieldPath}`,
        );
        expect({ crd, path, fieldPath: r.fieldPath, exists: target !== undefined }).toMatchObject({ exists: true });
      }
    }
    expect(rules).toBeGreaterThan(30);
  });

  it('bound every list and string a CEL rule reads, so the cost estimate stays within budget', () => {
    // A rule reads its node and the fields it names (`.disks`, `.name`); `self == oldSelf` reads all.
    function* read(schema: JSONSchemaProps, path: string, text: string): Generator<Node> {
      yield { path, schema };
      const all = text.includes('oldSelf');
      for (const [key, child] of Object.entries(schema.properties ?? {})) {
        if (all || text.includes(`.${key}`)) yield* read(child, `${path}.${key}`, text);
      }
      if (schema.items !== undefined) yield* read(schema.items, `${path}[]`, text);
      if (schema.additionalProperties !== undefined) yield* read(schema.additionalProperties, `${path}{}`, text);
    }
    const unbounded = allNodes
      .filter((n) => n.path !== '') // the root's rules read only metadata.name, which the API server bounds
      .flatMap(({ crd, path, schema }) =>
        (schema['x-kubernetes-validations'] ?? []).flatMap((r) =>
          [...read(schema, path, r.rule)]
            .filter(
              ({ schema: s }) =>
                (s.type === 'array' && s.maxItems === undefined) ||
                (s.type === 'string' && s.maxLength === undefined && s.enum === undefined) ||
                (isIntOrString(s) && s.maxLength === undefined) ||
                (s.additionalProperties !== undefined && s.maxProperties === undefined),
            )
            .map((inner) => `${crd}${inner.path}`),
        ),
      );
    expect([...new Set(unbounded)]).toEqual([]);
  });

  it('make a VMI spec immutable but for a lower grace period, and give it the same validation as a VM template', () => {
    const vmiSpec = byPath(vmiCrd, '.spec');
    const templateSpec = byPath(vmCrd, '.spec.template.spec');
    const vmiRules = vmiSpec?.['x-kubernetes-validations'] ?? [];
    const transition = vmiRules.filter((r) => r.rule.includes('oldSelf'));
    // Every spec field but the grace period is compared with its old value; the grace may only go down.
    const fields = Object.keys(vmiSpec?.properties ?? {});
    const frozen = fields.filter((f) => transition[0]?.rule.includes(`self.${f} == oldSelf.${f}`));
    expect(fields.filter((f) => !frozen.includes(f))).toEqual(['terminationGracePeriodSeconds']);
    expect(transition[1]?.rule).toContain(
      'self.terminationGracePeriodSeconds <= oldSelf.terminationGracePeriodSeconds',
    );
    expect(transition).toHaveLength(2);
    expect(vmiRules.filter((r) => !r.rule.includes('oldSelf'))).toEqual(templateSpec?.['x-kubernetes-validations']);
    expect(vmiSpec?.properties).toBe(templateSpec?.properties);
  });
});
