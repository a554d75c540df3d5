export declare const REPO_ROOT: string;
export interface CodeBlock {
  lang: string;
  body: string;
  heading: string;
}
export declare function codeBlocks(markdown: string): CodeBlock[];
export declare function codeBlock(markdown: string, where: { heading?: string; lang?: string; includes?: string }): string;
export interface SnippetRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}
export interface SnippetDir {
  dir: string;
  write(file: string, text: string): Promise<string>;
  run(args: string[], opts?: { cwd?: string; input?: string; env?: Record<string, string>; timeoutMs?: number }): Promise<SnippetRun>;
  start(args: string[], opts?: { cwd?: string; env?: Record<string, string> }): RunningSnippet;
  dispose(): Promise<void>;
}
export interface RunningSnippet {
  child: import('node:child_process').ChildProcessWithoutNullStreams;
  output: { stdout: string; stderr: string };
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(pattern: RegExp, stream?: 'stdout' | 'stderr'): Promise<RegExpExecArray>;
}
export declare function createSnippetDir(name: string): Promise<SnippetDir>;
export declare function importedPackages(code: string): string[];
export declare function installedPackages(text: string): string[];
