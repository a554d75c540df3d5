import { Writable } from 'node:stream';
import { LineWriter } from '../../src/jsonrpc/line-writer.js';
import type { RpcMessage } from '../../src/jsonrpc/messages.js';

/** A writable that takes one write at a time, slowly, with a tiny buffer, so backpressure kicks in. */
function slowSink() {
  const writes: string[] = [];
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      setTimeout(done, 1);
    },
  });
  return { stream, writes };
}

const message = (i: number): RpcMessage => ({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { pad: 'é'.repeat(i * 13) } });

describe('LineWriter', () => {
  test('concurrent writes reach the stream as whole lines, one write per message, in call order', async () => {
    const { stream, writes } = slowSink();
    const writer = new LineWriter(stream);
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write(message(i))));
    expect(writes).toHaveLength(50);
    writes.forEach((line, i) => {
      expect(line.endsWith('\n')).toBe(true);
      expect(line.slice(0, -1)).not.toContain('\n');
      expect(JSON.parse(line)).toEqual(message(i));
    });
  });

  test('messages written in one tick reach a stream with room in one write, as whole lines in call order', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        done();
      },
    });
    const writer = new LineWriter(stream);
    await Promise.all(Array.from({ length: 50 }, (_, i) => writer.write(message(i % 5))));
    expect(writes).toHaveLength(1);
    const lines = writes[0]!.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual(Array.from({ length: 50 }, (_, i) => message(i % 5)));
  });

  test('a batch holds at most the stream high-water mark, so a slow stream never holds more than that beyond it', async () => {
    const writes: string[] = [];
    const stream = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        writes.push(chunk.toString());
        setTimeout(done, 1);
      },
    });
    const writer = new LineWriter(stream);
    const pending = Array.from({ length: 40 }, (_, i) => writer.write(message(i % 4)));
    let most = 0;
    while (writer.backlog.messages > 0) {
      most = Math.max(most, stream.writableLength);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(pending);
    expect(writes.length).toBeGreaterThan(1);
    for (const w of writes) expect(Buffer.byteLength(w)).toBeLessThanOrEqual(1024);
    expect(most).toBeLessThanOrEqual(2 * 1024);
    expect(writes.join('').split('\n').slice(0, -1).map((line) => JSON.parse(line))).toEqual(Array.from({ length: 40 }, (_, i) => message(i % 4)));
  });

  test('it waits for drain instead of piling into a full stream', async () => {
    const { stream } = slowSink();
    const writer = new LineWriter(stream);
    const pending = Array.from({ length: 20 }, (_, i) => writer.write(message(i + 5)));
    // Had the writer ignored backpressure, all 20 lines would sit in the stream's buffer now.
    expect(stream.writableLength).toBeLessThan(2 * 100);
    await Promise.all(pending);
  });

  test('writes after the stream failed reject with the stream error, and an error never goes unhandled', async () => {
    const stream = new Writable({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const writer = new LineWriter(stream);
    const first = writer.write(message(1)).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await new Promise((resolve) => setImmediate(resolve));
    await expect(writer.write(message(2))).rejects.toThrow(/EPIPE|closed/);
    expect(['resolved', 'write EPIPE']).toContain(await first);
  });

  test('post() queues like write() in the same order, and on an ended stream it neither throws nor leaves a rejection', async () => {
    const { stream, writes } = slowSink();
    const writer = new LineWriter(stream);
    writer.post(message(1));
    const second = writer.write(message(2));
    writer.post(message(3));
    await second;
    while (writer.backlog.messages > 0) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(writes.map((line) => JSON.parse(line).id)).toEqual([1, 2, 3]);
    stream.end();
    writer.post(message(4));
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.backlog).toEqual({ messages: 0, bytes: 0 });
  });

  test('writes to an ended stream reject', async () => {
    const { stream } = slowSink();
    const writer = new LineWriter(stream);
    stream.end();
    await expect(writer.write(message(1))).rejects.toThrow('stream is closed');
  });
});

describe('LineWriter backlog', () => {
  test('counts what the stream has not taken, and below() resolves once it drains under the mark', async () => {
    const { PassThrough } = await import('node:stream');
    const { LineWriter } = await import('../../src/jsonrpc/line-writer.js');
    const stream = new PassThrough({ highWaterMark: 16 });
    const writer = new LineWriter(stream);
    const writes = Array.from({ length: 10 }, (_, i) => writer.write({ jsonrpc: '2.0', id: i, result: 'x'.repeat(100) }));
    expect(writer.backlog.messages).toBeGreaterThan(5);
    expect(writer.backlog.bytes).toBeGreaterThan(500);
    let drained = false;
    const below = writer.below(0).then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    stream.resume();
    await Promise.all([...writes, below]);
    expect(writer.backlog).toEqual({ messages: 0, bytes: 0 });
  });
});
