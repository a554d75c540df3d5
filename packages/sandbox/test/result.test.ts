import fc from 'fast-check';
import { errorResult, InvalidOutputError, isToolResult, resultValue, toToolResult } from '../src/index.js';

describe('tool results', () => {
  test('a JSON value becomes a text part plus structuredContent', () => {
    expect(toToolResult({ temp: 21.5, city: 'Zürich' })).toEqual({
      content: [{ type: 'text', text: '{"temp":21.5,"city":"Zürich"}' }],
      structuredContent: { temp: 21.5, city: 'Zürich' },
    });
  });

  test('undefined becomes null, so the text is always JSON', () => {
    expect(toToolResult(undefined)).toEqual({ content: [{ type: 'text', text: 'null' }], structuredContent: null });
  });

  test('a full ToolResult passes through unchanged', () => {
    const result = { content: [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }], isError: false };
    expect(toToolResult(result)).toBe(result);
  });

  test('values JSON cannot carry throw INVALID_OUTPUT instead of producing non-JSON text', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    for (const value of [circular, 10n, () => 1, Symbol('s')]) {
      expect(() => toToolResult(value)).toThrow(InvalidOutputError);
    }
    expect(() => toToolResult(10n)).toThrow(/returned invalid output: value is not JSON-serializable/);
  });

  test('any JSON value survives toToolResult then resultValue, also through the text part alone', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = toToolResult(value);
        expect(resultValue(result)).toEqual(value ?? null);
        const textOnly = { content: result.content };
        expect(resultValue(textOnly)).toEqual(JSON.parse(JSON.stringify(value ?? null)));
      }),
    );
  });

  test('resultValue falls back to the raw text when it is not JSON, and to undefined without text', () => {
    expect(resultValue({ content: [{ type: 'text', text: 'sunny, 21 °C' }] })).toBe('sunny, 21 °C');
    expect(resultValue({ content: [{ type: 'image', data: 'AAAA', mimeType: 'image/png' }] })).toBeUndefined();
    expect(resultValue({ content: [] })).toBeUndefined();
  });

  test('resultValue prefers structuredContent, even when it is null', () => {
    expect(resultValue({ content: [{ type: 'text', text: '"text"' }], structuredContent: null })).toBeNull();
  });

  test('errorResult marks an MCP error result', () => {
    expect(errorResult('city not found')).toEqual({ content: [{ type: 'text', text: 'city not found' }], isError: true });
  });

  test('isToolResult needs a content array', () => {
    expect(isToolResult({ content: [] })).toBe(true);
    expect(isToolResult({ content: 'text' })).toBe(false);
    expect(isToolResult(null)).toBe(false);
    expect(isToolResult([])).toBe(false);
  });
});
