// Test support for README snippets: the tests read the code blocks out of the README text itself,
// so a README edit that breaks a snippet breaks its test, and run them as a user would.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every fenced code block of a markdown text, in order, with the `##`/`###` heading it sits under. */
export function codeBlocks(markdown) {
  const blocks = [];
  let heading = '';
  const fence = /^(#{1,6}) (.*)$|^( *)```(\w*)\n([\s\S]*?)^\3```$/gm;
  for (const m of markdown.matchAll(fence)) {
    if (m[1] !== undefined) heading = m[2].trim();
    else {
      const indent = m[3];
      const body = m[5].split('\n').map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line)).join('\n');
      blocks.push({ lang: m[4], body, heading });
    }
  }
  return blocks;
}

/** The one block of `lang` under `heading` whose text includes `includes` (when given); throws unless exactly one. */
export function codeBlock(markdown, { heading, lang, includes }) {
  const found = codeBlocks(markdown).filter(
    (b) => (heading === undefined || b.heading === heading) && (lang === undefined || b.lang === lang) && (includes === undefined || b.body.includes(includes)),
  );
  if (found.length !== 1) throw new Error(`expected one ${lang ?? ''} block under "${heading ?? '*'}"${includes ? ` with "${includes}"` : ''}, found ${found.length}`);
  return found[0].body;
}

/**
 * An empty directory under the repository's git-ignored `.tmp/`, so a snippet's `import '@clawdesk/…'`
 * finds the built packages in the workspace's node_modules by walking up, as in an installed project.
 * (Not a temp dir with a node_modules symlink: the process sandbox refuses a symlink leading out of
 * a plugin dir, and Node's permission model checks the link's path, not its target.)
 */
export async function createSnippetDir(name) {
  await mkdir(path.join(REPO_ROOT, '.tmp'), { recursive: true });
  const dir = await mkdtemp(path.join(REPO_ROOT, '.tmp', `readme-${name}-`));
  return {
    dir,
    async write(file, text) {
      const full = path.join(dir, file);
      await mkdir(path.dirname(full), { recursive: true });
      await writeFile(full, text);
      return full;
    },
    /** Runs Node (this one: 24) on `args` in the dir; resolves with the exit code and output, never rejects on exit. */
    run(args, { cwd = dir, input, env, timeoutMs = 60_000 } = {}) {
      return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, args, {
          cwd,
          env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
        child.stdin.end(input ?? '');
      });
    },
    /** Starts Node on `args` in the dir and keeps it running: wait for its output, signal it, await its exit. */
    start(args, { cwd = dir, env } = {}) {
      const child = spawn(process.execPath, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1', ...env } });
      const output = { stdout: '', stderr: '' };
      const waiters = [];
      const check = () => {
        for (const w of [...waiters]) {
          const m = w.pattern.exec(output[w.stream]);
          if (m) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(m);
          }
        }
      };
      for (const stream of ['stdout', 'stderr']) {
        child[stream].setEncoding('utf8').on('data', (d) => {
          output[stream] += d;
          check();
        });
      }
      const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
      exited.then(() => {
        for (const w of waiters.splice(0)) w.reject(new Error(`exited before ${w.stream} matched ${w.pattern}\n${output.stdout}\n${output.stderr}`));
      });
      return {
        child,
        output,
        exited,
        /** Resolves with the match once the output (all of it so far) matches `pattern`. */
        waitFor: (pattern, stream = 'stdout') =>
          new Promise((resolve, reject) => {
            waiters.push({ pattern, stream, resolve, reject });
            check();
          }),
      };
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

/** The npm packages a snippet imports (`node:` builtins left out), in order of first import. */
export function importedPackages(code) {
  const names = [...code.matchAll(/^import [^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]).filter((s) => !s.startsWith('node:') && !s.startsWith('.'));
  return [...new Set(names.map((s) => s.split('/').slice(0, s.startsWith('@') ? 2 : 1).join('/')))];
}

/** The packages the `npm install …` lines of a text install (flags and version ranges dropped). */
export function installedPackages(text) {
  return [...text.matchAll(/^npm install ([^#\n]*)/gm)].flatMap((m) =>
    m[1].trim().split(/\s+/).filter((w) => !w.startsWith('-')).map((w) => w.replace(/(?<=.)@[^/]*$/, '')),
  );
}
