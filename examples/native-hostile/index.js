// Plain ESM, no build step. Every tool here misbehaves on purpose; none harms the host beyond
// what the native driver documents (a busy loop blocks the host for its bounded duration).

export default {
  name: 'native-hostile',
  tools: {
    throws: {
      description: 'Throws an error',
      run: () => {
        throw new Error('hostile plugin threw on purpose');
      },
    },
    hang: {
      description: 'Never resolves and ignores cancellation',
      run: () => new Promise(() => {}),
    },
    busy: {
      description: 'Blocks the event loop for `ms` milliseconds (at most 2000), then returns',
      inputSchema: { type: 'object', properties: { ms: { type: 'integer', minimum: 0, maximum: 2000 } }, required: ['ms'] },
      run: ({ ms }) => {
        const until = Date.now() + Math.min(ms, 2000);
        while (Date.now() < until) {
          // Spinning synchronously: no timer or signal can interrupt this in-process.
        }
        return { busyMs: ms };
      },
    },
    garbage: {
      description: 'Returns a value that is not JSON (a BigInt and a cycle)',
      run: () => {
        const cycle = { big: 10n };
        cycle.self = cycle;
        return cycle;
      },
    },
  },
  hooks: {
    message_transform: () => {
      throw new Error('hostile transform threw on purpose');
    },
  },
};
