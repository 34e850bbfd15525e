import { chunkJson, rememberChunkJson } from '../../../providers/chunk-json';

describe('chunkJson', () => {
  it("writes a remembered chunk as the upstream's own text, byte for byte", () => {
    const text = '{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}],  "usage":null}';
    const chunk: unknown = JSON.parse(text);
    rememberChunkJson(chunk, text);
    expect(chunkJson(chunk as object)).toBe(text);
  });

  it('serialises a chunk it was not given text for (a translated provider)', () => {
    const chunk = { id: 'c2', choices: [] };
    expect(chunkJson(chunk)).toBe(JSON.stringify(chunk));
  });

  it('ignores text spanning lines, which one data: line cannot carry', () => {
    const text = '{"id":"c3",\n"choices":[]}';
    const chunk = JSON.parse(text) as object;
    rememberChunkJson(chunk, text);
    expect(chunkJson(chunk)).toBe('{"id":"c3","choices":[]}');
  });

  it('ignores values that are not objects', () => {
    expect(() => rememberChunkJson(42, '42')).not.toThrow();
    expect(() => rememberChunkJson(null, 'null')).not.toThrow();
  });
});
