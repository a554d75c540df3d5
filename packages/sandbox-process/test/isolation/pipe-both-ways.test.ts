import { Duplex } from 'node:stream';
import { pipeBothWays, PIPE_BOTH_WAYS_SOURCE } from '../../src/isolation/pipe-both-ways.js';

/** A peer that takes 2 ms per chunk written to it, so bytes queue up in front of it. */
function slowPeer(): Duplex & { received: Buffer[] } {
  const received: Buffer[] = [];
  const peer = new Duplex({
    highWaterMark: 1024,
    read() {},
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk);
      setTimeout(done, 2);
    },
  });
  return Object.assign(peer, { received });
}

/** A peer that sends `chunks` and an end at once, then closes as a socket does after the far end's FIN. */
function closingPeer(chunks: Buffer[], error?: Error): Duplex {
  const peer = new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() });
  setImmediate(() => {
    for (const c of chunks) peer.push(c);
    if (error) return void peer.destroy(error);
    peer.push(null);
    peer.once('end', () => peer.destroy());
  });
  return peer;
}

/** Resolves on 'close' (events.once would reject on the 'error' before it). */
const closed = (stream: Duplex) => new Promise((resolve) => stream.once('close', resolve));

const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(4096, i));

/** Both implementations: the module, and the source generated into the plugin's forwarder. */
const generated = new Function(`${PIPE_BOTH_WAYS_SOURCE}; return pipeBothWays;`)() as typeof pipeBothWays;

describe.each([
  ['pipeBothWays', pipeBothWays],
  ['PIPE_BOTH_WAYS_SOURCE', generated],
])('%s', (_name, join) => {
  test('a side that closes after an orderly end leaves the other every byte it sent, then closes it', async () => {
    const slow = slowPeer();
    const server = closingPeer(chunks);
    join(slow, server);
    await closed(server);
    expect(slow.destroyed).toBe(false); // its queue is still being written
    await closed(slow);
    expect(Buffer.concat(slow.received)).toEqual(Buffer.concat(chunks));
  });

  test('a side that fails resets the other at once, queued bytes and all', async () => {
    const slow = slowPeer();
    const server = closingPeer(chunks, new Error('ECONNRESET'));
    server.on('error', () => {});
    join(slow, server);
    const slowClosed = closed(slow);
    await closed(server);
    await slowClosed;
    expect(Buffer.concat(slow.received).length).toBeLessThan(Buffer.concat(chunks).length);
  });

  test('a side destroyed without an end (an idle timeout) resets the other at once', async () => {
    const slow = slowPeer();
    const idle = new Duplex({ read() {}, write: (_c, _e, done) => done() });
    join(slow, idle);
    idle.destroy();
    await closed(slow);
    expect(slow.destroyed).toBe(true);
  });
});
