// A weather plugin written in AssemblyScript with @clawdesk/plugin-sdk, run by @clawdesk/sandbox-wasm.
import { browserDownload, config, fail, input, JSONValue, logInfo, output } from "@clawdesk/plugin-sdk/assembly";

const CONDITIONS = ["sunny", "cloudy", "rain", "windy", "snow", "fog"];

/** A stable pseudo-random number for a city and day, so answers are repeatable without a network. */
function seed(city: string, day: i32): u32 {
  let h: u32 = 2166136261;
  for (let i = 0; i < city.length; i++) h = (h ^ <u32>city.charCodeAt(i)) * 16777619;
  return (h ^ <u32>day) * 16777619;
}

/** `{city, days?}` → `{city, units, days: [{day, temperature, conditions}]}`. */
export function forecast(): i32 {
  const args = input();
  const city = args.getString("city");
  if (city.length == 0) return fail("forecast needs a city");
  const days = <i32>args.getNumber("days", 3);
  if (days < 1 || days > 7) return fail("days must be between 1 and 7");
  const units = config("units");
  const fahrenheit = units !== null && units == "imperial";
  logInfo("forecast for " + city + " over " + days.toString() + " days");

  const list = JSONValue.newArray();
  for (let d = 0; d < days; d++) {
    const r = seed(city.toLowerCase(), d);
    const celsius = <f64>(r % 35) - 5;
    list.push(
      JSONValue.newObject()
        .setNumber("day", d)
        .setNumber("temperature", fahrenheit ? Math.round(celsius * 9 / 5 + 32) : celsius)
        .setString("conditions", CONDITIONS[(r >> 8) % CONDITIONS.length]),
    );
  }
  return output(
    JSONValue.newObject()
      .setString("city", city)
      .setString("units", fahrenheit ? "imperial" : "metric")
      .set("days", list),
  );
}

/** `{url}` → downloads a radar image through the host's browser_download → the file's details. */
export function radar(): i32 {
  const url = input().getString("url");
  if (url.length == 0) return fail("radar needs a url");
  const result = browserDownload(url);
  if (!result.ok) return fail("radar download failed: " + result.error);
  return output(
    JSONValue.newObject()
      .setString("path", result.path)
      .setNumber("bytes", result.bytes)
      .setString("sha256", result.sha256)
      .setString("contentType", result.contentType),
  );
}
