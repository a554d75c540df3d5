import { serve } from '@clawdesk/plugin-sdk/serve';

const sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

serve({
  name: 'process-echo',
  tools: {
    echo: { description: 'Returns its arguments unchanged', run: (args) => args },
    sleep: {
      description: 'Resolves after {ms} milliseconds with {slept: ms}',
      inputSchema: { type: 'object', properties: { ms: { type: 'number' } }, required: ['ms'] },
      run: async ({ ms }, ctx) => {
        await sleep(ms, ctx.signal);
        return { slept: ms };
      },
    },
    spin: {
      description: 'Never returns: a busy loop that blocks the process',
      run: () => {
        for (;;);
      },
    },
    crash: { description: 'Exits the process with code 3', run: () => process.exit(3) },
  },
  hooks: { on_test: (payload) => ({ got: payload }) },
});
