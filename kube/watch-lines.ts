/**
 * The watch wire format, read once for both clients: the API server streams one JSON watch event
 * per line, and a chunk may end mid-line. The services' informer reads a web stream, the CLI's API
 * client a Node response; both split and parse here.
 */

/** A watch event as the API server sends it. */
export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: unknown;
}

/** Splits chunks into events; a partial last line waits for the next chunk, or for {@link end}. */
export class WatchLines {
  private rest = '';

  push(chunk: string): WatchEvent[] {
    const all = (this.rest + chunk).split('\n');
    this.rest = all.pop() ?? '';
    return parse(all);
  }

  /** The stream ended: a last line without its newline is still an event. */
  end(): WatchEvent[] {
    const last = this.rest;
    this.rest = '';
    return parse([last]);
  }
}

function parse(lines: readonly string[]): WatchEvent[] {
  return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as WatchEvent);
}

/** The events of a watch response body, in order. */
export async function* watchEvents(stream: ReadableStream<Uint8Array>): AsyncGenerator<WatchEvent> {
  const decoder = new TextDecoder();
  const lines = new WatchLines();
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield* lines.push(decoder.decode(value, { stream: true }));
    }
    yield* lines.push(decoder.decode());
    yield* lines.end();
  } finally {
    reader.releaseLock();
  }
}
