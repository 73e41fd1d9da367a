import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { CRDS, crdManifestPath, generatedFiles, renderCrdYaml } from '../../../api/crds/index.js';

const root = new URL('../../../', import.meta.url);
const onDisk = (path: string): string => readFileSync(new URL(path, root), 'utf8');

// The generated files are checked in; this test regenerates them in memory. Editing a generated
// file by hand, or changing a schema in api/crds/ without `npm run generate`, makes them differ.
describe('npm run generate', () => {
  it('writes one manifest per CRD, the host-path policy, the cluster configuration and the generated types, nothing else', async () => {
    const files = await generatedFiles();
    expect([...files.keys()].sort()).toEqual(
      [
        'api/generated/types.ts',
        'manifests/base/cluster-config.yaml',
        'manifests/base/crds/virtualmachineinstancemigrations.tsvirt.io.yaml',
        'manifests/base/crds/virtualmachineinstances.tsvirt.io.yaml',
        'manifests/base/crds/virtualmachines.tsvirt.io.yaml',
        'manifests/base/host-path-policy.yaml',
      ].sort(),
    );
  });

  it.each([
    'api/generated/types.ts',
    'manifests/base/crds/virtualmachines.tsvirt.io.yaml',
    'manifests/base/crds/virtualmachineinstances.tsvirt.io.yaml',
    'manifests/base/host-path-policy.yaml',
    'manifests/base/cluster-config.yaml',
  ])('has left %s exactly as the schema in api/crds/ generates it (run npm run generate if not)', async (path) => {
    const files = await generatedFiles();
    expect(onDisk(path)).toBe(files.get(path));
  });

  it('writes manifests that parse back to the CRD objects, with no YAML anchors', () => {
    for (const crd of CRDS) {
      const text = renderCrdYaml(crd);
      expect(text).not.toMatch(/[&*]a\d/);
      expect(parse(text)).toEqual(JSON.parse(JSON.stringify(crd)));
      expect(crdManifestPath(crd)).toBe(`manifests/base/crds/${crd.metadata.name}.yaml`);
    }
  });

  it('would notice a field changed in the schema only', () => {
    // Given the VM CRD with one field renamed in the schema object alone
    const vm = structuredClone(CRDS[0]);
    const template = vm?.spec.versions[0]?.schema.openAPIV3Schema.properties?.['spec']?.properties?.['template'];
    const props = template?.properties as Record<string, unknown> | undefined;
    expect(props?.['spec']).toBeDefined();
    if (vm === undefined || props === undefined) return;
    props['tmpl'] = props['spec'];
    delete props['spec'];
    // Then its manifest no longer matches the checked-in one
    expect(renderCrdYaml(vm)).not.toBe(onDisk(crdManifestPath(vm)));
  });
});
