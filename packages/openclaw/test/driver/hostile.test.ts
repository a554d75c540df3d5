import { resultValue } from '@clawdesk/sandbox';
import { createOpenClawDriver } from '../../src/driver.js';
import { fixtureDir, openHost, withHost } from '../support/plugins.js';

async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  for (const deadline = performance.now() + ms; !check(); ) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

// OpenClaw plugins are written for a gateway where stdout is a terminal and register's promise is
// ignored; in clawdesk stdout is the protocol and a load has a deadline.
describe('OpenClaw plugins that misbehave by clawdesk standards', () => {
  test("a plugin writing partial lines to process.stdout loads and answers; the text lands in the host's log instead of corrupting the protocol", async () => {
    const t = await openHost([createOpenClawDriver({ process: { startTimeoutMs: 5_000 } })]);
    try {
      await t.host.load(fixtureDir('hostile/stdout-writer'));
      expect(resultValue(await t.host.callTool('stdout-writer', 'progress', {}, { timeoutMs: 5_000 }))).toBe('done');
      expect(resultValue(await t.host.callTool('stdout-writer', 'progress', {}, { timeoutMs: 5_000 }))).toBe('done');
    } finally {
      await t.close();
    }
    // Never newline-terminated, so it is logged when stderr ends.
    const stderr = () => t.logger.entries.filter((e) => e.fields?.stream === 'stderr').map((e) => e.message);
    expect(await eventually(() => stderr().includes('loading... 50% 100%50% 100%'))).toBe(true);
  });

  test('a register(api) whose promise never settles still serves what it registered, with a warning, within the start budget', async () => {
    await withHost([createOpenClawDriver({ process: { startTimeoutMs: 3_000 } })], async ({ host, logger }) => {
      await host.load(fixtureDir('hostile/register-never-resolves'));
      expect(resultValue(await host.callTool('register-never-resolves', 't', {}))).toBe('ok');
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'register(api) returned a promise that did not settle within 1500 ms; serving what it registered until then',
        }),
      );
    });
  });

  test('process.exit in register fails the load with the exit code and what the plugin printed', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await expect(host.load(fixtureDir('hostile/register-exits'))).rejects.toMatchObject({
        code: 'LOAD_FAILED',
        message: 'plugin "register-exits" failed to load: exited during start with exit code 0; last stderr:\n  giving up',
      });
    });
  });

  test('registering the same tool twice fails the load naming the tool', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await expect(host.load(fixtureDir('hostile/duplicate-tool'))).rejects.toMatchObject({
        code: 'LOAD_FAILED',
        message: 'plugin "duplicate-tool" failed to load: register(api) threw Error: registerTool: a tool named "t" is already registered',
        data: { reason: 'register-threw' },
      });
    });
  });

  test('an async register works; execute throwing synchronously is an isError result, and process.exit in execute is a crash the host recovers from', async () => {
    await withHost([createOpenClawDriver()], async ({ host }) => {
      await host.load(fixtureDir('hostile/misc'));
      expect(await host.callTool('misc', 'boom', {})).toEqual({ content: [{ type: 'text', text: 'sync boom' }], isError: true });
      await expect(host.callTool('misc', 'exit', {})).rejects.toMatchObject({ code: 'CRASHED' });
      const answered = await host.callTool('misc', 'boom', {}, { timeoutMs: 10_000 });
      expect(answered.isError).toBe(true);
    });
  });
});
