import { WatchLines, watchEvents, type WatchEvent } from '../../../kube/watch-lines.js';

describe('WatchLines', () => {
  it('keeps a partial watch line for the next chunk and skips blank lines', () => {
    const lines = new WatchLines();
    expect(lines.push('{"type":"ADDED","object":{}}\n\n{"type":"MOD')).toEqual([{ type: 'ADDED', object: {} }]);
    expect(lines.push('IFIED","object":{"a":1}}\n')).toEqual([{ type: 'MODIFIED', object: { a: 1 } }]);
    expect(lines.end()).toEqual([]);
  });

  it('still reads a last line the server ended without a newline', () => {
    const lines = new WatchLines();
    expect(lines.push('{"type":"DELETED","object":{}}')).toEqual([]);
    expect(lines.end()).toEqual([{ type: 'DELETED', object: {} }]);
  });
});

describe('watchEvents', () => {
  it('reads the events of a byte stream split anywhere, even inside a UTF-8 character', async () => {
    const text = '{"type":"ADDED","object":{"name":"é"}}\n{"type":"BOOKMARK","object":{}}';
    const bytes = new TextEncoder().encode(text);
    const cut = text.indexOf('é') + 1; // inside the two bytes of é
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const seen: WatchEvent[] = [];
    for await (const e of watchEvents(stream)) seen.push(e);
    expect(seen).toEqual([
      { type: 'ADDED', object: { name: 'é' } },
      { type: 'BOOKMARK', object: {} },
    ]);
  });
});
