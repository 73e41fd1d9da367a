import { humanDuration, age } from '../../../cli/printers/age.js';
import { formatTable, visibleWidth } from '../../../cli/printers/table.js';
import { vmTable, vmiTable } from '../../../cli/printers/vm-rows.js';
import { asList, renderObjects, resourceName, toJson, toYaml } from '../../../cli/printers/objects.js';
import { Chalk } from 'chalk';
import { expectGolden } from './golden.js';
import { NOW, running, stopped, vm, vmi } from './fixtures.js';

describe('humanDuration', () => {
  it.each([
    [-5_000, '<invalid>'],
    [-1_000, '0s'],
    [0, '0s'],
    [119_000, '119s'],
    [125_000, '2m5s'],
    [180_000, '3m'],
    [600_000, '10m'],
    [179 * 60_000, '179m'],
    [3 * 3_600_000, '3h'],
    [3 * 3_600_000 + 5 * 60_000, '3h5m'],
    [47 * 3_600_000, '47h'],
    [50 * 3_600_000, '2d2h'],
    [8 * 86_400_000, '8d'],
    [800 * 86_400_000, '2y70d'],
    [9 * 365 * 86_400_000, '9y'],
  ])('prints %d ms as kubectl does: %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });

  it('shows <unknown> for a missing or bad timestamp', () => {
    expect(age(undefined, NOW)).toBe('<unknown>');
    expect(age('yesterday', NOW)).toBe('<unknown>');
  });
});

describe('formatTable', () => {
  it('pads every column but the last to its widest cell plus three spaces', () => {
    expect(
      formatTable(
        ['NAME', 'AGE'],
        [
          ['a', '1s'],
          ['longer', '10m'],
        ],
      ),
    ).toBe('NAME     AGE\na        1s\nlonger   10m\n');
  });

  it('does not count colour codes as width', () => {
    const red = new Chalk({ level: 1 }).red('Running');
    expect(visibleWidth(red)).toBe(7);
    expect(formatTable(['S', 'X'], [[red, 'y']]).split('\n')[1]).toBe(`${red}   y`);
  });
});

describe('VM and VMI tables', () => {
  const vms = [running('web'), stopped('db'), vm('new')];
  const vmis = [vmi('web', { node: 'node-1', ip: '10.0.0.5' })];

  it('list: NAME AGE STATUS READY NODE IP, sorted by name', () => {
    expectGolden('list.txt', vmTable(vms, vmis, { wide: false, allNamespaces: false, now: NOW }));
  });

  it('list -A puts NAMESPACE first', () => {
    const other = vm('api', { namespace: 'prod', status: { printableStatus: 'Starting' } });
    expectGolden(
      'list-all-namespaces.txt',
      vmTable([...vms, other], vmis, { wide: false, allNamespaces: true, now: NOW }),
    );
  });

  it('list -o wide adds RUNSTRATEGY, CPU and MEMORY', () => {
    expectGolden(
      'list-wide.txt',
      vmTable([...vms, vm('old', { running: true })], vmis, { wide: true, allNamespaces: false, now: NOW }),
    );
  });

  it("hides a finished VMI's node and IP", () => {
    const table = vmTable([running('web')], [vmi('web', { phase: 'Succeeded', node: 'node-1', ip: '10.0.0.5' })], {
      wide: false,
      allNamespaces: false,
      now: NOW,
    });
    expect(table).toMatch(/web\s+5m\s+Running\s+True\s+<none>\s+<none>/);
  });

  it('get vmi: PHASE instead of STATUS', () => {
    expectGolden(
      'get-vmi.txt',
      vmiTable([vmi('web', { node: 'node-1', ip: '10.0.0.5' }), vmi('db', { phase: 'Scheduling', ready: false })], {
        wide: false,
        allNamespaces: false,
        now: NOW,
      }),
    );
  });
});

describe('-o json, yaml and name', () => {
  it('prints one named object as itself, keys sorted, four-space indent (kubectl get -o json)', async () => {
    expectGolden('get-web.json', await renderObjects([running('web')], 'json', true));
  });

  it('prints several objects as a v1 List', async () => {
    expectGolden('list.json', await renderObjects([running('web'), stopped('db')], 'json', false));
    expectGolden('list.yaml', await renderObjects([running('web'), stopped('db')], 'yaml', false));
  });

  it('prints an empty List when nothing matched, as kubectl does', async () => {
    expect(JSON.parse(await renderObjects([], 'json', false))).toEqual({
      apiVersion: 'v1',
      items: [],
      kind: 'List',
      metadata: { resourceVersion: '' },
    });
  });

  it('hides managedFields as kubectl does by default', async () => {
    const withFields = {
      ...running('web'),
      metadata: { ...running('web').metadata, managedFields: [{ manager: 'x' }] },
    };
    expect(await renderObjects([withFields], 'json', true)).not.toContain('managedFields');
  });

  it('quotes what YAML 1.1 would read as a timestamp, as go-yaml does', async () => {
    expect(await toYaml({ t: '2026-11-25T11:55:00Z' })).toBe('t: "2026-11-25T11:55:00Z"\n');
  });

  it('names objects as kind.group/name', async () => {
    expect(await renderObjects([running('web'), vmi('web')], 'name', false)).toBe(
      'virtualmachine.tsvirt.io/web\nvirtualmachineinstance.tsvirt.io/web\n',
    );
    expect(resourceName({ kind: 'Pod', metadata: { name: 'p' } })).toBe('pod/p');
  });

  it('sorts keys at every depth', () => {
    expect(toJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })).toBe(
      '{\n    "a": {\n        "c": 3,\n        "d": [\n            {\n                "y": 2,\n                "z": 1\n            }\n        ]\n    },\n    "b": 1\n}\n',
    );
    expect(asList([])).toEqual({ apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } });
  });
});
