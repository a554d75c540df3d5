// @clawdesk/plugin-sdk for AssemblyScript: write clawdesk wasm plugins on the Extism PDK ABI.
//
// A tool is an exported function named like the tool, returning an i32:
//
//   import { input, output, fail, JSONValue } from "@clawdesk/plugin-sdk/assembly";
//   export function greet(): i32 {
//     const name = input().getString("name", "world");
//     return output(JSONValue.newObject().setString("greeting", "hello " + name));
//   }
//
// Build with `asc assembly/index.ts --outFile dist/plugin.wasm --optimize --use abort=~lib/@clawdesk/plugin-sdk/assembly/index/abort`
// so aborts reach the host with their message (see README.md).
import { Host } from "@extism/as-pdk";
import { JSONValue, parse } from "./json";
import { setError } from "./host";

export { JSONKind, JSONValue, parse as parseJSON, quote as quoteJSON } from "./json";
export { browserDownload, config, DownloadResult, log, logDebug, logError, logInfo, logWarn, now, sleep } from "./host";

/** The call's input as text (a tool's JSON arguments, or `{hook, payload}` for `on_hook`). */
export function inputText(): string {
  return String.UTF8.decode(Host.input().buffer);
}

/** The call's input parsed as JSON; a null value when it is empty or not JSON. */
export function input(): JSONValue {
  const value = parse(inputText());
  return value === null ? JSONValue.fromNull() : value;
}

/** Sets the call's output to `json` (already JSON text), encoded as UTF-8. Returns 0 for `return output…`. */
export function outputText(json: string): i32 {
  // as-pdk 1.0.0's Host.outputString writes the UTF-16 length: encode ourselves.
  Host.output(Uint8Array.wrap(String.UTF8.encode(json)));
  return 0;
}

/** Sets the call's output to `value` serialized as JSON. Returns 0 for `return output(…)`. */
export function output(value: JSONValue): i32 {
  return outputText(value.toString());
}

/**
 * Reports a tool-level failure: the host answers with an `isError` result carrying `message`.
 * Returns 1 for `return fail(…)`.
 */
export function fail(message: string): i32 {
  setError(message);
  return 1;
}

let aborting = false;

/**
 * AssemblyScript's abort hook: reports "message (file:line:col)" to the host, then traps, so the
 * host's CrashedError carries the plugin's own message. Wire it with
 * `--use abort=~lib/@clawdesk/plugin-sdk/assembly/index/abort`.
 */
export function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  if (!aborting) {
    aborting = true;
    const where = fileName === null ? "" : " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")";
    setError((message === null ? "abort" : message) + where);
  }
  unreachable();
}
