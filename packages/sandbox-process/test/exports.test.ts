import { readFileSync } from 'node:fs';
import * as jsonrpc from '../src/jsonrpc/index.js';
import * as root from '../src/index.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };

describe('the public surface', () => {
  test('the package exports the root entry and the ./jsonrpc framing only', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './jsonrpc', './package.json']);
  });

  test('the root entry exports the driver factory, its defaults and the protocol names', () => {
    expect(Object.keys(root).sort()).toEqual([
      'CLAWDESK_PROTOCOL',
      'DEFAULT_CANCEL_GRACE_MS',
      'DEFAULT_KILL_GRACE_MS',
      'DEFAULT_MAX_LOG_LINES_PER_SECOND',
      'DEFAULT_MAX_MESSAGE_BYTES',
      'DEFAULT_NETNS_LISTEN_TIMEOUT_MS',
      'DEFAULT_PROXY_CONNECT_TIMEOUT_MS',
      'DEFAULT_PROXY_IDLE_TIMEOUT_MS',
      'DEFAULT_PROXY_MAX_CONNECTIONS',
      'DEFAULT_PROXY_MAX_HEADER_BYTES',
      'DEFAULT_START_TIMEOUT_MS',
      'HOST_METHODS',
      'MCP_PROTOCOL_VERSION',
      'NetnsListenError',
      'PACKAGE_NAME',
      'PLUGIN_METHODS',
      'createEgressProxy',
      'createProcessDriver',
      'listenInNetns',
    ]);
    expect(root.PLUGIN_METHODS).toEqual({
      initialize: 'initialize',
      initialized: 'notifications/initialized',
      toolsList: 'tools/list',
      toolsCall: 'tools/call',
      cancelled: 'notifications/cancelled',
      hook: 'clawdesk/hook',
    });
    expect(root.HOST_METHODS).toEqual({ browserDownload: 'host/browserDownload', log: 'host/log' });
  });

  test('./jsonrpc exports the framing, the peer and the wire error codes', () => {
    expect(Object.keys(jsonrpc).sort()).toEqual([
      'LineReader',
      'LineTooLongError',
      'LineWriter',
      'RpcError',
      'RpcErrorCode',
      'RpcPeer',
      'isFailure',
      'isNotification',
      'isRequest',
      'isResponse',
      'serializeMessage',
      'toErrorObject',
      'toRpcMessage',
    ]);
  });
});
