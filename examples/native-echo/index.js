// Plain ESM, no build step: the native driver imports this file into the host process.

/** Waits `ms`, and stops waiting (freeing its timer) when the call is cancelled or times out. */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    function onAbort() {
      clearTimeout(timer);
      reject(signal.reason);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export default {
  name: 'native-echo',
  tools: {
    echo: {
      description: 'Returns its arguments unchanged',
      run: (args) => args,
    },
    sleep: {
      description: 'Resolves after `ms` milliseconds with {slept: ms}',
      inputSchema: { type: 'object', properties: { ms: { type: 'number', minimum: 0 } }, required: ['ms'] },
      run: async ({ ms }, ctx) => {
        await sleep(ms, ctx.signal);
        return { slept: ms };
      },
    },
    spin: {
      // In-process, a synchronous infinite loop would freeze the whole host; the native runaway is a promise that never settles.
      description: 'Never returns',
      run: () => new Promise(() => {}),
    },
    crash: {
      description: 'Cannot crash a native sandbox: reports an error result',
      run: () => {
        throw new Error('crash is not supported by the native driver: the plugin runs inside the host process');
      },
    },
  },
  hooks: {
    on_test: (payload) => ({ got: payload }),
  },
};
