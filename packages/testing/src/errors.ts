/** Errors of the test harness itself; plugin and host failures keep their own typed errors and codes. */
export type TestingErrorCode = 'DRIVER_NOT_INSTALLED' | 'TOOL_ERROR' | 'CLOSED';

export class TestingError extends Error {
  readonly code: TestingErrorCode;
  readonly data: Record<string, unknown>;
  constructor(code: TestingErrorCode, message: string, data: Record<string, unknown> = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TestingError';
    this.code = code;
    this.data = data;
  }
}

/** `data`: `{ plugin, sandbox, package }` — the driver package to add to the plugin's devDependencies. */
export class DriverNotInstalledError extends TestingError {
  constructor(plugin: string, sandbox: string, pkg: string, cause?: unknown) {
    super(
      'DRIVER_NOT_INSTALLED',
      `plugin "${plugin}" runs in the ${sandbox} sandbox, whose driver ${pkg} is not installed: npm install --save-dev ${pkg}`,
      { plugin, sandbox, package: pkg },
      cause,
    );
    this.name = 'DriverNotInstalledError';
  }
}

/** `callValue` of a tool that answered `isError: true`. `data`: `{ plugin, tool, result }`. */
export class ToolErrorResult extends TestingError {
  constructor(plugin: string, tool: string, text: string, result: unknown) {
    super('TOOL_ERROR', `tool "${tool}" of plugin "${plugin}" reported an error: ${text}`, { plugin, tool, result });
    this.name = 'ToolErrorResult';
  }
}
