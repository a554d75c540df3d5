import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { exports: Record<string, unknown> };

const ROOT = [
  'CALL_ABORT',
  'callAborted',
  'callAbortReason',
  'offCallAbort',
  'onCallAbort',
  'CancelledError',
  'MIN_NODE_MAJOR',
  'UnsupportedNodeError',
  'assertSupportedNode',
  'unsupportedNode',
  'CrashedError',
  'Deadlines',
  'MAX_TIMER_MS',
  'IN_PROCESS_ENFORCEMENT',
  'NOTHING_ENFORCED',
  'DisposedError',
  'InvalidArgumentsError',
  'InvalidOutputError',
  'IsolationUnavailableError',
  'LoadFailedError',
  'MemoryLimitError',
  'PERMISSION_NAMES',
  'OutputTooLargeError',
  'PermissionDeniedError',
  'RuntimeMissingError',
  'SandboxError',
  'TimeoutError',
  'ToolError',
  'ToolNotFoundError',
  'createInMemoryDriver',
  'errorResult',
  'fetchPinned',
  'hostAllowed',
  'isInside',
  'isPrivateAddress',
  'isSandboxError',
  'isToolResult',
  'permissionGaps',
  'resolveAllowedHost',
  'resultValue',
  'schemaProblems',
  'simulateCrash',
  'symlinkEscapes',
  'toToolResult',
];
const CONFORMANCE = ['ECHO_PAYLOADS', 'bigPayload', 'createConformanceCases', 'createRecordingLogger', 'createTestContext', 'defineConformanceSuite'];

describe('the published surface', () => {
  test('the export map has the root, ./conformance, ./require-node, ./host-match and ./package.json, each with import and require types', () => {
    expect(Object.keys(pkg.exports)).toEqual(['.', './conformance', './require-node', './host-match', './package.json']);
    expect(pkg.exports['./host-match']).toEqual({
      import: { types: './dist/host-match.d.ts', default: './dist/host-match.js' },
      require: { types: './dist/host-match.d.cts', default: './dist/host-match.cjs' },
    });
    expect(pkg.exports['./require-node']).toEqual({
      import: { types: './dist/require-node.d.ts', default: './dist/require-node.js' },
      require: { types: './dist/require-node.d.cts', default: './dist/require-node.cjs' },
    });
    expect(pkg.exports['./conformance']).toEqual({
      import: { types: './dist/conformance.d.ts', default: './dist/conformance.js' },
      require: { types: './dist/conformance.d.cts', default: './dist/conformance.cjs' },
    });
  });

  test('the built entries export exactly the documented names, through import and through require', () => {
    const script = `
      const names = (m) => Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort();
      const cjs = [names(require('@clawdesk/sandbox')), names(require('@clawdesk/sandbox/conformance'))];
      Promise.all([import('@clawdesk/sandbox'), import('@clawdesk/sandbox/conformance')])
        .then((esm) => console.log(JSON.stringify({ cjs, esm: esm.map(names) })));`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: new URL('..', import.meta.url), env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    const sorted = (list: string[]) => [...list].sort();
    const expected = [sorted(ROOT), sorted(CONFORMANCE)];
    expect(JSON.parse(out.toString())).toEqual({ cjs: expected, esm: expected });
  });

  test('./host-match is the matching rule alone: hostAllowed, and no Node module loaded with it', () => {
    // Wasm plugin workers load it; the root entry would cost each of them megabytes (http, dns, stream).
    const script = `
      const before = new Set(require('node:module').builtinModules.filter((m) => process.moduleLoadList.includes('NativeModule ' + m)));
      const m = require('@clawdesk/sandbox/host-match');
      const loaded = require('node:module').builtinModules.filter((x) => process.moduleLoadList.includes('NativeModule ' + x) && !before.has(x));
      console.log(JSON.stringify({ names: Object.keys(m).sort(), loaded, ok: m.hostAllowed('https://api.example.com/x', ['*.example.com']) }));`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: new URL('..', import.meta.url) });
    expect(JSON.parse(out.toString())).toEqual({ names: ['hostAllowed'], loaded: [], ok: true });
  });

  test('a consumer without @types/jest type-checks against the built root and conformance types', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clawdesk-consumer-'));
    try {
      const consumer = join(dir, 'consumer.ts');
      writeFileSync(
        consumer,
        [
          "import { defineConformanceSuite, createTestContext } from '@clawdesk/sandbox/conformance';",
          "import { createInMemoryDriver, type PluginModule } from '@clawdesk/sandbox';",
          "const mod: PluginModule = { tools: { echo: { description: 'echo', run: (a) => a } } };",
          'defineConformanceSuite({',
          "  name: 'x',",
          '  createDriver: () => createInMemoryDriver({ modules: { x: mod } }),',
          "  loadPlugin: async () => { throw new Error('types only'); },",
          '  createContext: createTestContext,',
          '  runner: { describe: (_n, body) => body(), test: () => {} },',
          '});',
        ].join('\n'),
      );
      const program = ts.createProgram([consumer], {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        types: ['node'],
        typeRoots: [fileURLToPath(new URL('../../../node_modules/@types', import.meta.url))],
        paths: { '@clawdesk/sandbox': [dist('index.d.ts')], '@clawdesk/sandbox/conformance': [dist('conformance.d.ts')] },
      });
      const ours = program.getSourceFiles().filter((f) => f.fileName.startsWith(dist('')));
      expect(ours.map((f) => basename(f.fileName)).sort()).toEqual(expect.arrayContaining(['conformance.d.ts', 'index.d.ts']));
      // Only the consumer and our own .d.ts files: checking all of @types/node and zod takes many seconds.
      const own = program.getSourceFile(consumer);
      if (own === undefined) throw new Error('the consumer file is not part of the program');
      const checked = [own, ...ours];
      const diagnostics = [
        ...program.getOptionsDiagnostics(),
        ...program.getGlobalDiagnostics(),
        ...checked.flatMap((f) => [...program.getSyntacticDiagnostics(f), ...program.getSemanticDiagnostics(f)]),
      ];
      expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url));
