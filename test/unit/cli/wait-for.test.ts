import { evaluate, parseJsonPath, parseWaitFor, readPath, statusIsCurrent } from '../../../cli/wait-for.js';
import { UsageError } from '../../../cli/errors.js';
import { running, vm } from './fixtures.js';

describe('parseWaitFor', () => {
  it('reads condition=Ready as Ready=True, and an explicit value', () => {
    expect(parseWaitFor('condition=Ready')).toEqual({ kind: 'condition', type: 'Ready', status: 'True' });
    expect(parseWaitFor('condition=Ready=false')).toEqual({ kind: 'condition', type: 'Ready', status: 'false' });
  });

  it('reads a JSONPath with and without a value', () => {
    expect(parseWaitFor('jsonpath={.status.printableStatus}=Running')).toEqual({
      kind: 'jsonpath',
      expression: '{.status.printableStatus}',
      path: [
        { kind: 'field', name: 'status' },
        { kind: 'field', name: 'printableStatus' },
      ],
      value: 'Running',
    });
    expect(parseWaitFor('jsonpath={.status.ready}')).toMatchObject({ kind: 'jsonpath', expression: '{.status.ready}' });
    expect(parseWaitFor('jsonpath={.status.ready}')).not.toHaveProperty('value');
  });

  it('reads delete', () => {
    expect(parseWaitFor('delete')).toEqual({ kind: 'delete' });
  });

  it.each([
    'ready',
    'condition=',
    'jsonpath=.status.phase=Running',
    'jsonpath={.status.phase}Running',
    'jsonpath={.status..phase}',
  ])('rejects %s as a usage error', (s) => {
    expect(() => parseWaitFor(s)).toThrow(UsageError);
  });
});

describe('JSONPath subset', () => {
  const o = {
    status: {
      conditions: [
        { type: 'Paused', status: 'False' },
        { type: 'Ready', status: 'True' },
      ],
    },
  };

  it('follows fields, indexes and filters', () => {
    expect(readPath(o, parseJsonPath('{.status.conditions[1].type}'))).toBe('Ready');
    expect(readPath(o, parseJsonPath(`{.status.conditions[?(@.type=="Ready")].status}`))).toBe('True');
    expect(readPath(o, parseJsonPath(`{.status.conditions[?(@.type=='Gone')].status}`))).toBeUndefined();
  });
});

describe('evaluate', () => {
  const ready = vm('w', {
    status: { printableStatus: 'Running', observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] },
  });

  it('meets a condition, case-insensitively, and says what it saw', () => {
    expect(evaluate({ kind: 'condition', type: 'Ready', status: 'true' }, ready)).toEqual({
      met: true,
      seen: 'Ready=True',
    });
    expect(evaluate({ kind: 'condition', type: 'Paused', status: 'True' }, ready)).toEqual({
      met: false,
      seen: 'Paused=absent',
    });
  });

  it('does not believe a condition older than the spec', () => {
    const stale = { ...ready, metadata: { ...ready.metadata, generation: 2 } };
    expect(statusIsCurrent(stale)).toBe(false);
    expect(evaluate({ kind: 'condition', type: 'Ready', status: 'True' }, stale).met).toBe(false);
  });

  it('compares a JSONPath value as text', () => {
    expect(evaluate(parseWaitFor('jsonpath={.status.printableStatus}=Running'), running('w'))).toEqual({
      met: true,
      seen: '{.status.printableStatus}=Running',
    });
    expect(evaluate(parseWaitFor('jsonpath={.status.ready}=true'), running('w')).met).toBe(true);
    expect(evaluate(parseWaitFor('jsonpath={.status.nodeName}'), running('w'))).toEqual({
      met: false,
      seen: '{.status.nodeName}=<none>',
    });
  });

  it('meets delete only when the object is gone', () => {
    expect(evaluate({ kind: 'delete' }, undefined).met).toBe(true);
    expect(evaluate({ kind: 'delete' }, running('w')).met).toBe(false);
    expect(evaluate({ kind: 'condition', type: 'Ready', status: 'True' }, undefined)).toEqual({
      met: false,
      seen: 'not found',
    });
  });
});
