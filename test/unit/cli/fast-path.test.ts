import { Parser } from '@oclif/core';
import { parseFast } from '../../../cli/fast-path.js';
import Get from '../../../cli/commands/get.js';
import List from '../../../cli/commands/list.js';
import Version from '../../../cli/commands/version.js';

describe('the fast path', () => {
  it.each([
    [['list', '-n', 'prod', '-o', 'wide']],
    [['list', '-A', '-l', 'app=web', '--field-selector', 'metadata.name=web']],
    [['get', 'vm', 'web', 'db', '-o', 'json', '--context', 'lab']],
    [['get', 'vmi', '--namespace=dev', '--request-timeout', '5s', '--verbose']],
    [['get', '--kubeconfig', '/k', 'vm/web']],
  ])('reads %p as the oclif command does', async (argv) => {
    const [id, ...rest] = argv;
    const cmd = id === 'list' ? List : Get;
    const oclif = await Parser.parse(rest, { flags: cmd.flags, args: cmd.args, strict: id === 'list' });
    const fast = parseFast(argv);
    expect(fast?.command).toBe('get');
    for (const [name, value] of Object.entries(oclif.flags)) expect([name, fast?.values[name]]).toEqual([name, value]);
  });

  it('reads version with and without --client', async () => {
    const oclif = await Parser.parse(['--client', '-o', 'json'], { flags: Version.flags, strict: true });
    const fast = parseFast(['version', '--client', '-o', 'json']);
    expect(fast).toMatchObject({ command: 'version', output: 'json' });
    expect(fast?.values['client']).toBe(oclif.flags.client);
  });

  it('puts the resource and names of get, and VMs for list', () => {
    expect(parseFast(['get', 'vmi', 'a', 'b'])).toMatchObject({
      resource: 'virtualmachineinstances',
      names: ['a', 'b'],
    });
    expect(parseFast(['list'])).toMatchObject({ resource: 'virtualmachines', names: [] });
  });

  it.each([
    [['list', '--help']],
    [['list', '-h']],
    [['get', 'vm', '--watch']],
    [['get', '-o', 'table']],
    [['list', 'web']],
    [['list', '--bogus']],
    [['get', 'vm', 'web', '-l', 'app=x']],
    [['get', 'pod/x']],
    [['version', '-o', 'wide']],
    [['start', 'web']],
    [[]],
  ])('leaves %p to oclif, which answers or explains the mistake', (argv) => {
    expect(parseFast(argv)).toBeUndefined();
  });
});
