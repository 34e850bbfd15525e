import { FailureType } from '../../../errors/failure-types';
import { float32Base64, parseTitanBody, titanInputs, toEmbeddingResponse, toTitanBody } from '../../../providers/bedrock/embed-map';

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe('titan embed map', () => {
  it('takes a string or a string array, in order', () => {
    expect(titanInputs({ model: 'm', input: 'one' }, 'b')).toEqual(['one']);
    expect(titanInputs({ model: 'm', input: ['a', 'b', 'c'] }, 'b')).toEqual(['a', 'b', 'c']);
  });

  it('rejects token arrays and empty lists', () => {
    expect(() => titanInputs({ model: 'm', input: [1, 2, 3] }, 'b')).toThrow(
      expect.objectContaining({ failureType: FailureType.ProviderUnsupported, param: 'input' }),
    );
    expect(() => titanInputs({ model: 'm', input: [] }, 'b')).toThrow(expect.objectContaining({ failureType: FailureType.InvalidRequest }));
  });

  it('builds the InvokeModel body, with dimensions only when asked', () => {
    expect(new TextDecoder().decode(toTitanBody('hello'))).toBe('{"inputText":"hello"}');
    expect(new TextDecoder().decode(toTitanBody('hello', 256))).toBe('{"inputText":"hello","dimensions":256}');
  });

  it('parses the Titan answer and rejects anything else as a bad response', () => {
    expect(parseTitanBody(encode({ embedding: [0.5, -1], inputTextTokenCount: 3 }), 'b')).toEqual({ embedding: [0.5, -1], inputTextTokenCount: 3 });
    expect(() => parseTitanBody(new TextEncoder().encode('<html>'), 'b')).toThrow(expect.objectContaining({ failureType: FailureType.ProviderBadResponse }));
    expect(() => parseTitanBody(encode({ message: 'x' }), 'b')).toThrow(expect.objectContaining({ failureType: FailureType.ProviderBadResponse }));
  });

  it('builds the OpenAI response with summed token usage', () => {
    const results = [
      { embedding: [0.1, 0.2], inputTextTokenCount: 2 },
      { embedding: [0.3, 0.4], inputTextTokenCount: 5 },
    ];
    expect(toEmbeddingResponse(results, { model: 'amazon.titan-embed-text-v2:0' })).toEqual({
      object: 'list',
      model: 'amazon.titan-embed-text-v2:0',
      data: [
        { object: 'embedding', index: 0, embedding: [0.1, 0.2] },
        { object: 'embedding', index: 1, embedding: [0.3, 0.4] },
      ],
      usage: { prompt_tokens: 7, total_tokens: 7 },
    });
  });

  it('encodes vectors as little-endian float32 base64 when asked', () => {
    const encoded = float32Base64([1, -2.5]);
    expect(encoded).toBe(Buffer.from(new Float32Array([1, -2.5]).buffer).toString('base64'));
    const response = toEmbeddingResponse([{ embedding: [1, -2.5], inputTextTokenCount: 1 }], { model: 'm', encodingFormat: 'base64' });
    expect(response.data[0].embedding).toBe(encoded);
    const decoded = Buffer.from(encoded, 'base64');
    expect([decoded.readFloatLE(0), decoded.readFloatLE(4)]).toEqual([1, -2.5]);
  });
});
