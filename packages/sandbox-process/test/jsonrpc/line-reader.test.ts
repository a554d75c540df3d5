import fc from 'fast-check';
import { LineReader, LineTooLongError, serializeMessage, type LineEvent } from '../../src/jsonrpc/line-reader.js';
import type { RpcMessage } from '../../src/jsonrpc/messages.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const messages = (events: LineEvent[]) => events.flatMap((e) => (e.kind === 'message' ? [e.message] : []));
const noise = (events: LineEvent[]) => events.flatMap((e) => (e.kind === 'noise' ? [{ line: e.line, reason: e.reason }] : []));

const sample: RpcMessage[] = [
  { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'héllo 日本 😀 𝄞' } } },
  { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } },
  { jsonrpc: '2.0', id: 'a', result: { content: [{ type: 'text', text: 'line\nbreak \u2028 inside' }] } },
  { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } },
];
const wire = sample.map(serializeMessage).join('');

const isJsonRpc = (text: string) => {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && v.jsonrpc === '2.0';
  } catch {
    return false;
  }
};

/** Feeds `data` cut at `cuts` (byte offsets) and collects every event. */
function feed(reader: LineReader, data: Uint8Array, cuts: number[]): LineEvent[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((a, b) => a - b);
  const events: LineEvent[] = [];
  let start = 0;
  for (const point of [...points, data.length]) {
    events.push(...reader.push(data.subarray(start, point)));
    start = point;
  }
  return [...events, ...reader.end()];
}

describe('LineReader', () => {
  test('a chunk holding several whole messages yields them in order', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    expect(messages(reader.push(bytes(wire)))).toEqual(sample);
    expect(reader.pendingBytes).toBe(0);
  });

  test('a message split into one-byte chunks comes out whole, multi-byte characters included', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    const data = bytes(wire);
    const events = feed(reader, data, Array.from({ length: data.length }, (_, i) => i));
    expect(messages(events)).toEqual(sample);
  });

  test('a four-byte emoji split between two chunks is decoded once, not as replacement characters', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    const data = bytes(serializeMessage({ jsonrpc: '2.0', id: 1, result: '😀' }));
    const inside = data.indexOf(0xf0) + 2;
    expect(reader.push(data.subarray(0, inside))).toEqual([]);
    expect(reader.pendingBytes).toBe(inside);
    expect(messages(reader.push(data.subarray(inside)))).toEqual([{ jsonrpc: '2.0', id: 1, result: '😀' }]);
  });

  test('messages survive any chunk boundaries (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), (cuts) => {
        const reader = new LineReader({ maxLineBytes: 1024 });
        expect(messages(feed(reader, bytes(wire), cuts))).toEqual(sample);
      }),
      { numRuns: 300 },
    );
  });

  test('arbitrary JSON values round-trip through serializeMessage and random boundaries (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.array(fc.nat(), { maxLength: 10 }), (value, cuts) => {
        const message: RpcMessage = { jsonrpc: '2.0', id: 7, result: value };
        const events = feed(new LineReader({ maxLineBytes: 1 << 20 }), bytes(serializeMessage(message)), cuts);
        expect(events).toHaveLength(1);
        expect(JSON.stringify(messages(events)[0])).toBe(JSON.stringify(message));
      }),
      { numRuns: 200 },
    );
  });

  test('invalid UTF-8 is replaced line by line, whatever the chunking: no line ever takes bytes of the next (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 12 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (pieces, cuts) => {
        // Arbitrary bytes, newlines only where we put them: each line is then noise or a message of its own.
        const lines = pieces.map((p) => p.map((b) => (b === 0x0a ? 0x20 : b)));
        const data = new Uint8Array(lines.reduce((n, l) => n + l.length + 1, 0));
        let at = 0;
        for (const line of lines) {
          data.set(line, at);
          data[at + line.length] = 0x0a;
          at += line.length + 1;
        }
        const seen = noise(feed(new LineReader({ maxLineBytes: 1024 }), data, cuts)).map((n) => n.line);
        const expected = lines.map((l) => new TextDecoder().decode(l)).map((t) => (t.endsWith('\r') ? t.slice(0, -1) : t)).filter((t) => t.trim() !== '');
        expect(seen).toEqual(expected.filter((t) => !isJsonRpc(t)));
        // Node's streams hand over Buffers, which are decoded in place: the same lines.
        const fromBuffers = noise(feed(new LineReader({ maxLineBytes: 1024 }), Buffer.from(data), cuts)).map((n) => n.line);
        expect(fromBuffers).toEqual(seen);
      }),
      { numRuns: 300 },
    );
  });

  test('noise lines between messages are reported with a reason and skipped; blank lines are ignored', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    const text = [
      'Server listening on stdio',
      serializeMessage(sample[0]!).trimEnd(),
      '',
      '   ',
      '{"not": "json-rpc"}',
      '[1,2]',
      '{"jsonrpc":"2.0","id":{"bad":1},"method":"x"}',
      '{"jsonrpc":"2.0","id":3,"error":{"code":"nope"}}',
      '{"jsonrpc":"1.0","id":1,"result":1}',
      serializeMessage(sample[1]!).trimEnd(),
      '',
    ].join('\n');
    const events = reader.push(bytes(text));
    expect(messages(events)).toEqual([sample[0], sample[1]]);
    expect(noise(events)).toEqual([
      { line: 'Server listening on stdio', reason: 'not JSON' },
      { line: '{"not": "json-rpc"}', reason: 'not a JSON-RPC 2.0 message: missing "jsonrpc": "2.0"' },
      { line: '[1,2]', reason: 'not a JSON-RPC 2.0 message: not an object' },
      { line: '{"jsonrpc":"2.0","id":{"bad":1},"method":"x"}', reason: 'not a JSON-RPC 2.0 message: request id must be a string or a number' },
      { line: '{"jsonrpc":"2.0","id":3,"error":{"code":"nope"}}', reason: 'not a JSON-RPC 2.0 message: error must have a numeric "code" and a string "message"' },
      { line: '{"jsonrpc":"1.0","id":1,"result":1}', reason: 'not a JSON-RPC 2.0 message: missing "jsonrpc": "2.0"' },
    ]);
  });

  test('CRLF line endings are accepted', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    expect(messages(reader.push(bytes(wire.replaceAll('\n', '\r\n'))))).toEqual(sample);
  });

  test('an unterminated last line is delivered at end()', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    expect(reader.push(bytes(serializeMessage(sample[0]!).trimEnd()))).toEqual([]);
    expect(messages(reader.end())).toEqual([sample[0]]);
    expect(reader.end()).toEqual([]);
  });

  test('a line over the cap throws LineTooLongError as soon as the cap is crossed, without waiting for its newline', () => {
    const reader = new LineReader({ maxLineBytes: 100 });
    expect(reader.push(bytes('x'.repeat(60)))).toEqual([]);
    let thrown: unknown;
    try {
      reader.push(bytes('y'.repeat(60)));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LineTooLongError);
    expect(thrown).toMatchObject({ code: 'LINE_TOO_LONG', limitBytes: 100, bytes: 120, message: 'a message line exceeds 100 bytes (120 bytes so far)' });
    expect(reader.pendingBytes).toBe(0);
    // A broken stream stays broken: later input cannot resynchronise into the middle of the huge line.
    expect(() => reader.push(bytes(wire))).toThrow(LineTooLongError);
    expect(reader.end()).toEqual([]);
  });

  test('a complete line over the cap inside one chunk is rejected; one exactly at the cap is accepted', () => {
    const line = serializeMessage({ jsonrpc: '2.0', id: 1, result: 'z'.repeat(50) });
    const size = bytes(line).length - 1;
    expect(messages(new LineReader({ maxLineBytes: size }).push(bytes(line)))).toHaveLength(1);
    expect(() => new LineReader({ maxLineBytes: size - 1 }).push(bytes(line))).toThrow(LineTooLongError);
  });

  test('the caller may reuse its chunk buffer after push()', () => {
    const reader = new LineReader({ maxLineBytes: 1024 });
    const data = bytes(serializeMessage(sample[0]!));
    const buffer = new Uint8Array(10);
    const events: LineEvent[] = [];
    for (let i = 0; i < data.length; i += 10) {
      const part = data.subarray(i, i + 10);
      buffer.fill(0);
      buffer.set(part);
      events.push(...reader.push(buffer.subarray(0, part.length)));
    }
    expect(messages(events)).toEqual([sample[0]]);
  });
});
