import { JsonLineDecoder, encodeMessage, isHandlerMessage, isLauncherMessage } from '../../../api/launcher-protocol.js';

describe('launcher protocol guards', () => {
  it.each<[string, unknown, boolean]>([
    ['a hello', { type: 'hello', version: 1, pid: 42, vmi: { namespace: 'n', name: 'a', uid: 'u' } }, true],
    ['a stop', { type: 'stop', reason: 'SIGTERM' }, true],
    ['a hello without a uid', { type: 'hello', version: 1, pid: 42, vmi: { namespace: 'n', name: 'a' } }, false],
    [
      'a hello with an empty name',
      { type: 'hello', version: 1, pid: 42, vmi: { namespace: 'n', name: '', uid: 'u' } },
      false,
    ],
    [
      'a hello with a fractional pid',
      { type: 'hello', version: 1, pid: 4.2, vmi: { namespace: 'n', name: 'a', uid: 'u' } },
      false,
    ],
    ['an unknown type', { type: 'reboot' }, false],
    ['an array', [], false],
    ['null', null, false],
  ])('accepts from a launcher: %s → %s', (_what, msg, ok) => {
    expect(isLauncherMessage(msg)).toBe(ok);
  });

  it.each<[string, unknown, boolean]>([
    ['a status', { type: 'status', domain: 'Running', graceSeconds: 30 }, true],
    ['an exit', { type: 'exit', code: 1, reason: 'DomainCrashed', message: 'QEMU ended' }, true],
    ['a status of an unknown lifecycle', { type: 'status', domain: 'Exploded', graceSeconds: 30 }, false],
    ['an exit without a code', { type: 'exit', reason: 'x', message: 'y' }, false],
    ['a string', 'exit', false],
  ])('accepts from a handler: %s → %s', (_what, msg, ok) => {
    expect(isHandlerMessage(msg)).toBe(ok);
  });
});

describe('JsonLineDecoder', () => {
  it('joins lines split across chunks and keeps going after a bad line', () => {
    const d = new JsonLineDecoder();
    expect(d.push('{"type":"st')).toEqual([]);
    const out = d.push('op","reason":"x"}\nnot json\n{"a":1}\n{"b"');
    expect(out[0]).toEqual({ type: 'stop', reason: 'x' });
    expect(out[1]).toBeInstanceOf(SyntaxError);
    expect(out[2]).toEqual({ a: 1 });
    expect(d.push(':2}\n')).toEqual([{ b: 2 }]);
  });

  it('drops a line longer than its limit', () => {
    const d = new JsonLineDecoder(16);
    expect(d.push(`${'x'.repeat(40)}`)).toEqual([]);
    expect(d.push('\n{"ok":true}\n')).toEqual([{ ok: true }]);
  });

  it('round-trips what encodeMessage writes', () => {
    const d = new JsonLineDecoder();
    const msg = { type: 'exit', code: 0, reason: 'GuestShutdown', message: 'The guest shut down' } as const;
    expect(d.push(encodeMessage(msg))).toEqual([msg]);
  });
});
