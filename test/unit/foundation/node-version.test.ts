import { readFileSync } from 'node:fs';

describe('the pinned Node.js runtime', () => {
  it('runs the tests on Node.js 24 or newer, as package.json engines requires', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(major).toBeGreaterThanOrEqual(24);
  });

  it('pins Node.js 24 as a devDependency so npm run uses it', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
      devDependencies: Record<string, string>;
    };
    expect(pkg.engines.node).toBe('>=24');
    expect(pkg.devDependencies['node']).toMatch(/^\^?24\./);
  });
});
