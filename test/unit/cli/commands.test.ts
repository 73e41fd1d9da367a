import { readFileSync } from 'node:fs';
import { Parser } from '@oclif/core';
import { COMMANDS } from '../../../cli/commands.js';
import { renderReference } from '../../../cli/reference.js';
import Get from '../../../cli/commands/get.js';
import Create from '../../../cli/commands/create.js';
import Stop from '../../../cli/commands/stop.js';
import { expectGolden } from './golden.js';

type Snapshot = Record<string, { summary: string; flags: string[]; aliases: string[] }>;

describe('the command set', () => {
  it('matches the reviewed snapshot of commands and flags (salesforce command-snapshot style)', () => {
    const snapshot: Snapshot = {};
    for (const [id, c] of Object.entries(COMMANDS)) {
      const defined: Record<string, { char?: string }> = c.flags ?? {};
      const flags = Object.entries(defined).map(([name, f]) => `${f.char === undefined ? '' : `-${f.char} `}--${name}`);
      snapshot[id] = { summary: c.summary ?? '', flags: flags.sort(), aliases: [...(c.aliases ?? [])] };
    }
    expectGolden('command-snapshot.json', JSON.stringify(snapshot, null, 2) + '\n');
  });

  it('has docs/cli.md generated from it (npx tsx cli/write-reference.ts)', () => {
    expect(readFileSync(new URL('../../../docs/cli.md', import.meta.url), 'utf8')).toBe(renderReference(COMMANDS));
  });

  it("gives every visible command a summary, examples and kubectl's connection flags", () => {
    for (const [id, c] of Object.entries(COMMANDS)) {
      // completion prints a script and never reads a kubeconfig, as kubectl completion does not.
      if (c.hidden || id === 'completion') continue;
      expect([id, (c.summary ?? '').length > 0]).toEqual([id, true]);
      expect([id, (c.examples ?? []).length > 0]).toEqual([id, true]);
      expect([id, Object.keys(c.flags ?? {})]).toEqual([
        id,
        expect.arrayContaining(['kubeconfig', 'context', 'namespace', 'request-timeout']),
      ]);
    }
  });
});

describe('flag parsing', () => {
  it('reads kubectl-style get flags in any order', async () => {
    const { flags, argv } = await Parser.parse(
      ['vm', '-n', 'prod', 'web', '-o', 'wide', '--context=lab', '-l', 'app=web'],
      { flags: Get.flags, args: Get.args, strict: false },
    );
    expect(argv).toEqual(['vm', 'web']);
    expect(flags).toMatchObject({
      namespace: 'prod',
      output: 'wide',
      context: 'lab',
      selector: 'app=web',
      'all-namespaces': false,
      'request-timeout': '0',
    });
  });

  it('rejects an unknown -o value', async () => {
    await expect(Parser.parse(['-o', 'table'], { flags: Get.flags, args: Get.args, strict: false })).rejects.toThrow(
      /Expected --output=table to be one of: json, yaml, name, wide/,
    );
  });

  it('takes -f several times and defaults create to Always, 1 CPU, 128Mi', async () => {
    const { flags } = await Parser.parse(['-f', 'a.yaml', '-f', '-'], { flags: Create.flags, strict: true });
    expect(flags).toMatchObject({
      filename: ['a.yaml', '-'],
      'run-strategy': 'Always',
      cpu: 1,
      memory: '128Mi',
      'dry-run': 'none',
      wait: false,
      timeout: '5m',
    });
  });

  it('reads stop --force --grace-period as a whole number', async () => {
    const { flags } = await Parser.parse(['web', '--force', '--grace-period=0'], {
      flags: Stop.flags,
      args: Stop.args,
      strict: false,
    });
    expect(flags).toMatchObject({ force: true, 'grace-period': 0 });
    await expect(
      Parser.parse(['--grace-period=-1'], { flags: Stop.flags, args: Stop.args, strict: false }),
    ).rejects.toThrow();
  });
});
