import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

const template = readFileSync(new URL('../../../cli/krew/virt.yaml', import.meta.url), 'utf8');

describe('the krew manifest', () => {
  it('is a krew Plugin named virt whose bin is the kubectl-virt wrapper', () => {
    const m = parse(template.replaceAll('{{VERSION}}', 'v0.1.0').replaceAll('{{SHA256}}', 'a'.repeat(64))) as {
      apiVersion: string;
      kind: string;
      metadata: { name: string };
      spec: {
        version: string;
        shortDescription: string;
        platforms: { uri: string; sha256: string; bin: string; files: { from: string; to: string }[] }[];
      };
    };
    expect([m.apiVersion, m.kind, m.metadata.name]).toEqual([
      'krew.googlecontainertools.github.com/v1alpha2',
      'Plugin',
      'virt',
    ]);
    expect(m.spec.version).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(m.spec.shortDescription.length).toBeLessThanOrEqual(60);
    const [platform] = m.spec.platforms;
    expect(platform?.bin).toBe('bin/kubectl-virt');
    expect(platform?.uri).toMatch(/kubectl-virt-v0\.1\.0\.tar\.gz$/);
    expect(platform?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(platform?.files.map((f) => f.from)).toEqual(['bin/*', 'cli/**']);
  });
});
