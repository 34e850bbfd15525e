import { storableJson, storableText } from '../../../db/storable-json';

describe('storable text and JSON for Postgres', () => {
  it('escapes NUL and unpaired surrogates as visible text, and keeps everything else', () => {
    expect(storableText('a\u0000b')).toBe('a\\u0000b');
    expect(storableText('x\ud800y')).toBe('x\\ud800y');
    expect(storableText('\udfffz')).toBe('\\udfffz');
    expect(storableText('end\udbff')).toBe('end\\udbff');
    // A proper pair (an emoji), other control characters and plain text are untouched.
    for (const ok of ['😀', '\ud83d\ude00', 'tab\tnew\nline\u0001', 'plain', '']) expect(storableText(ok)).toBe(ok);
  });

  it('escapes strings at any depth, object keys included, without touching the input', () => {
    const input = { model: 'm', messages: [{ role: 'user', content: 'a\u0000b\ud800' }], meta: { 'k\u0000': [1, null, true, 'v\udc00'] } };
    const copy = structuredClone(input);
    expect(storableJson(input)).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'a\\u0000b\\ud800' }],
      meta: { 'k\\u0000': [1, null, true, 'v\\udc00'] },
    });
    expect(input).toEqual(copy);
    // What JSON.stringify then writes holds no escape Postgres' jsonb refuses.
    expect(JSON.stringify(storableJson(input))).not.toMatch(/(?<!\\)\\u(0000|d[89a-f])/i);
  });

  it('keeps a __proto__ key a plain key', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": "x\\u0000"}}') as unknown;
    const out = storableJson(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
