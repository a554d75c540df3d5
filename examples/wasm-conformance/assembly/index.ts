// The wasm driver's conformance plugin: echo, sleep, spin, crash and the on_test hook.
import { fail, input, inputText, JSONValue, output, outputText, parseJSON, sleep as pause } from "@clawdesk/plugin-sdk/assembly";

/** Returns its arguments unchanged. */
export function echo(): i32 {
  return outputText(inputText());
}

/** Parses its arguments with the SDK's JSON value and serializes them back (exercises the AssemblyScript JSON code). */
export function json_echo(): i32 {
  const value = parseJSON(inputText());
  if (value === null) return fail("arguments are not JSON");
  return output(value);
}

/** `{ms}` → waits ms (WASI clock, no CPU), then `{slept: ms}`. */
export function sleep(): i32 {
  const ms = input().getNumber("ms");
  pause(<i64>ms);
  return output(JSONValue.newObject().setNumber("slept", ms));
}

let spins: u64 = 0;

/** Never returns: the runaway plugin the driver must stop. */
export function spin(): i32 {
  while (true) spins++;
  return 0;
}

/** Traps with a message: the sandbox "dies". */
export function crash(): i32 {
  throw new Error("conformance crash requested");
}

/** `{hook, payload}` → `{got: payload}` for on_test; null for anything else. */
export function on_hook(): i32 {
  const event = input();
  if (event.getString("hook") != "on_test") return outputText("null");
  const payload = event.get("payload");
  return output(JSONValue.newObject().set("got", payload === null ? JSONValue.fromNull() : payload));
}
