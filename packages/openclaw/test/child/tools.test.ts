import { checkTool, toJsonSchema, toToolResult } from '../../src/child/tools.js';

describe('toJsonSchema', () => {
  test('drops the symbol keys TypeBox puts on its schemas', () => {
    const kind = Symbol.for('TypeBox.Kind');
    const name = { type: 'string', [kind]: 'String' };
    const schema = { type: 'object', properties: { name }, required: ['name'], [kind]: 'Object' };
    const plain = toJsonSchema(schema);
    expect(plain).toEqual({ type: 'object', properties: { name: { type: 'string' } }, required: ['name'] });
    expect(Object.getOwnPropertySymbols(plain)).toEqual([]);
    expect(Object.getOwnPropertySymbols(plain.properties as object)).toEqual([]);
  });

  test('a missing or non-object schema means "any object"', () => {
    expect(toJsonSchema(undefined)).toEqual({ type: 'object' });
    expect(toJsonSchema('string')).toEqual({ type: 'object' });
  });
});

describe('toToolResult', () => {
  test('maps OpenClaw details to structuredContent and keeps isError', () => {
    expect(toToolResult({ content: [{ type: 'text', text: '{}' }], details: { a: 1 } })).toEqual({
      content: [{ type: 'text', text: '{}' }],
      structuredContent: { a: 1 },
    });
    expect(toToolResult({ content: [{ type: 'text', text: 'bad' }], isError: true, details: 'x' })).toEqual({
      content: [{ type: 'text', text: 'bad' }],
      isError: true,
    });
  });

  test('wraps strings as text and other values as JSON', () => {
    expect(toToolResult('hi')).toEqual({ content: [{ type: 'text', text: 'hi' }] });
    expect(toToolResult({ n: 1 })).toEqual({ content: [{ type: 'text', text: '{"n":1}' }], structuredContent: { n: 1 } });
    expect(toToolResult(undefined)).toEqual({ content: [{ type: 'text', text: 'null' }] });
  });
});

describe('checkTool', () => {
  test.each([
    [null, 'registerTool: expected a tool object, got null'],
    [{ execute() {} }, 'registerTool: the tool needs a non-empty string "name"'],
    [{ name: 't' }, 'registerTool: tool "t" needs an execute(toolCallId, params, signal) function'],
  ])('rejects %p with a message naming the problem', (value, message) => {
    expect(() => checkTool(value, 'registerTool')).toThrow(message);
  });
});
