import { PermissionDeniedError, type DownloadResult } from '@clawdesk/sandbox';
import { echoManifest, eventually, fixtureManifest, opts, settle, start } from '../support/plugins.js';

describe('what the host gives a plugin', () => {
  test('the plugin sees its config and data dir, sent in initialize', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('host-functions'), { ctx: { config: { region: 'eu', retries: 3 } } });
    try {
      const result = await instance.callTool('context', {}, opts());
      expect(result.structuredContent).toEqual({ config: { region: 'eu', retries: 3 }, dataDir: ctx.dataDir });
    } finally {
      await close();
    }
  });

  test('ctx.log reaches the host logger at each level with its fields (host/log)', async () => {
    const { instance, ctx, close } = await start(fixtureManifest('host-functions'));
    try {
      await instance.callTool('log', { message: 'hello from the plugin' }, opts());
      await eventually(() => ctx.logger.entries.filter((e) => e.message === 'hello from the plugin').length === 4);
      expect(ctx.logger.entries.filter((e) => e.message === 'hello from the plugin')).toEqual(
        (['debug', 'info', 'warn', 'error'] as const).map((level) => ({ level, message: 'hello from the plugin', fields: { level } })),
      );
    } finally {
      await close();
    }
  });

  test('ctx.browserDownload is served by the host (host/browserDownload) and its answer returned to the tool', async () => {
    const download: DownloadResult = { path: '/data/file.bin', bytes: 3, sha256: 'abc', contentType: 'application/octet-stream' };
    const urls: string[] = [];
    const { instance, close } = await start(fixtureManifest('host-functions'), {
      ctx: {
        browserDownload: async (url) => {
          urls.push(url);
          if (url.includes('forbidden')) throw new PermissionDeniedError(`host "forbidden.example" is not in network.allowedHosts`);
          return download;
        },
      },
    });
    try {
      expect((await instance.callTool('download', { url: 'https://cdn.example/file.bin' }, opts())).structuredContent).toEqual(download);
      const refused = await instance.callTool('download', { url: 'https://forbidden.example/x' }, opts());
      expect(refused).toEqual({
        content: [{ type: 'text', text: 'plugin permission denied: host "forbidden.example" is not in network.allowedHosts' }],
        isError: true,
      });
      expect(urls).toEqual(['https://cdn.example/file.bin', 'https://forbidden.example/x']);
    } finally {
      await close();
    }
  });

  test('dispatch delivers a hook and resolves to its answer; an unknown hook rejects with ToolError', async () => {
    const { instance, close } = await start(await echoManifest());
    try {
      expect(await instance.dispatch('on_test', [1, 'two'], opts())).toEqual({ got: [1, 'two'] });
      const unknown = (await settle(instance.dispatch('on_nothing', {}, opts()))) as { error: any };
      expect(unknown.error).toMatchObject({
        code: 'TOOL_ERROR',
        message: 'plugin "process-echo" failed: Unknown hook: on_nothing',
        data: { hook: 'on_nothing', rpcCode: -32602 },
      });
    } finally {
      await close();
    }
  });
});
