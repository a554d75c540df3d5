/** One failing place in a tool's arguments or a hook's payload; `path` is `''` for the whole value. */
export interface InputProblem {
  path: string;
  message: string;
}

/**
 * Thrown by a defined tool or hook before the author's `run` when the input does not match its
 * zod schema. Drivers turn it into an `isError` tool result, so the model sees every problem.
 */
export class InvalidInputError extends Error {
  readonly code = 'INVALID_ARGUMENTS';
  readonly plugin: string | undefined;
  /** `tool` or `hook` name, as `kind` says. */
  readonly target: string | undefined;
  readonly kind: 'tool' | 'hook';
  readonly problems: InputProblem[];

  constructor(problems: InputProblem[], where: { kind: 'tool' | 'hook'; plugin?: string; target?: string }) {
    const list = problems.map((p) => `${p.path || '(root)'}: ${p.message}`).join('; ');
    const subject = `${where.kind === 'tool' ? 'arguments for tool' : 'payload for hook'}${where.target ? ` "${where.target}"` : ''}`;
    super(`invalid ${subject}${where.plugin ? ` of plugin "${where.plugin}"` : ''}: ${list}`);
    this.name = 'InvalidInputError';
    this.plugin = where.plugin;
    this.target = where.target;
    this.kind = where.kind;
    this.problems = problems;
  }
}

/** Thrown by `definePlugin`/`tool` when the definition itself is wrong; lists every problem. */
export class PluginDefinitionError extends Error {
  readonly code = 'INVALID_DEFINITION';
  readonly problems: string[];

  constructor(problems: string[], plugin?: string) {
    super(`invalid plugin definition${plugin ? ` "${plugin}"` : ''}: ${problems.join('; ')}`);
    this.name = 'PluginDefinitionError';
    this.problems = problems;
  }
}
