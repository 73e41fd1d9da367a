import { readFileSync } from 'node:fs';
import { RELEASE_VERSION, VERSION_LABEL } from '../../../api/names.js';
import { customResourceDefinition } from '../../../api/crds/crd.js';

describe('the release version', () => {
  it('is package.json version, so the CRDs and kubectl virt version agree', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(RELEASE_VERSION).toBe(`v${pkg.version}`);
  });

  it('is stamped on every CRD as app.kubernetes.io/version', () => {
    const crd = customResourceDefinition(
      { kind: 'VirtualMachine', plural: 'virtualmachines', singular: 'virtualmachine', shortNames: ['vm'] },
      { type: 'object' },
      [],
    );
    expect(crd.metadata.labels).toEqual({ [VERSION_LABEL]: RELEASE_VERSION });
  });
});
