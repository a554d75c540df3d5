import type { Duplex } from 'node:stream';

/**
 * Joins two streams both ways, as a tunnel does. When one side closes after an orderly end, the
 * other is ended by the pipe once the bytes before that end are written, and destroyed only then:
 * destroying it at once dropped what was still buffered for its peer (a download whose server
 * closed right after its last byte arrived short, "aborted"). A side that fails, or is destroyed
 * without an end, resets the other at once.
 */
export function pipeBothWays(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  a.once('close', () => passOnClose(a, b));
  b.once('close', () => passOnClose(b, a));
}

function passOnClose(gone: Duplex, other: Duplex): void {
  if (other.destroyed) return;
  if (gone.errored != null || !gone.readableEnded || other.writableFinished) return void other.destroy();
  other.once('finish', () => other.destroy());
}

/**
 * The same rule as plain JavaScript, for code generated into a plugin's runtime (the egress
 * forwarder), which cannot import this module.
 */
export const PIPE_BOTH_WAYS_SOURCE = `function pipeBothWays(a, b) {
  a.pipe(b);
  b.pipe(a);
  const passOnClose = (gone, other) => {
    if (other.destroyed) return;
    if (gone.errored != null || !gone.readableEnded || other.writableFinished) return void other.destroy();
    other.once('finish', () => other.destroy());
  };
  a.once('close', () => passOnClose(a, b));
  b.once('close', () => passOnClose(b, a));
}`;
