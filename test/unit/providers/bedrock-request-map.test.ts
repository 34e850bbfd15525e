import { FailureType } from '../../../errors/failure-types';
import { toConverseParams, toInferenceConfig, toToolConfig } from '../../../providers/bedrock/request-map';
import type { ChatRequest } from '../../../providers/types';

const opts = { model: 'anthropic.claude-3-5-sonnet-20240620-v1:0', provider: 'bedrock' };
const base: ChatRequest = { model: 'alias', messages: [{ role: 'user', content: 'Hello' }] };
const weatherTool: NonNullable<ChatRequest['tools']>[number] = {
  type: 'function',
  function: { name: 'weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

describe('toConverseParams', () => {
  it('maps a minimal request', () => {
    expect(toConverseParams(base, opts)).toEqual({
      modelId: 'anthropic.claude-3-5-sonnet-20240620-v1:0',
      messages: [{ role: 'user', content: [{ text: 'Hello' }] }],
    });
  });

  it('maps system/developer messages, inference config and stop', () => {
    const params = toConverseParams(
      {
        ...base,
        messages: [{ role: 'system', content: 'Be brief.' }, { role: 'developer', content: 'No emoji.' }, ...base.messages],
        max_completion_tokens: 300,
        temperature: 0.3,
        top_p: 0.8,
        stop: ['###'],
        seed: 1,
      },
      opts,
    );
    expect(params.system).toEqual([{ text: 'Be brief.' }, { text: 'No emoji.' }]);
    expect(params.inferenceConfig).toEqual({ maxTokens: 300, temperature: 0.3, topP: 0.8, stopSequences: ['###'] });
  });

  it('turns data: images into bytes and rejects http image URLs', () => {
    const params = toConverseParams(
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Describe' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,AQID' } },
            ],
          },
        ],
      },
      opts,
    );
    const content = params.messages?.[0].content ?? [];
    expect(content[0]).toEqual({ text: 'Describe' });
    expect(content[1].image?.format).toBe('png');
    expect(Array.from(content[1].image?.source?.bytes ?? [])).toEqual([1, 2, 3]);

    expect(() =>
      toConverseParams({ ...base, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] }] }, opts),
    ).toThrow(expect.objectContaining({ failureType: FailureType.ProviderUnsupported, param: 'messages[0].content[0]', provider: 'bedrock' }));
  });

  it('maps tool calls and tool results, merging consecutive results into one user message', () => {
    const params = toConverseParams(
      {
        ...base,
        tools: [weatherTool],
        messages: [
          { role: 'user', content: 'Paris and Rome?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'c2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'c1', content: '18C' },
          { role: 'tool', tool_call_id: 'c2', content: '24C' },
        ],
      },
      opts,
    );
    expect(params.messages).toEqual([
      { role: 'user', content: [{ text: 'Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { toolUse: { toolUseId: 'c1', name: 'weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'c2', name: 'weather', input: { city: 'Rome' } } },
        ],
      },
      {
        role: 'user',
        content: [{ toolResult: { toolUseId: 'c1', content: [{ text: '18C' }] } }, { toolResult: { toolUseId: 'c2', content: [{ text: '24C' }] } }],
      },
    ]);
    expect(params.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: 'weather',
            description: 'Current weather',
            inputSchema: { json: { type: 'object', properties: { city: { type: 'string' } } } },
          },
        },
      ],
    });
  });

  it('response_format: strict json_schema → outputConfig, json_object → system instruction', () => {
    const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
    const strict = toConverseParams({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'answer', schema, strict: true } } }, opts);
    expect(strict.outputConfig).toEqual({
      textFormat: { type: 'json_schema', structure: { jsonSchema: { schema: JSON.stringify(schema), name: 'answer', description: undefined } } },
    });
    expect(strict.system).toBeUndefined();
    const loose = toConverseParams({ ...base, response_format: { type: 'json_object' } }, opts);
    expect(loose.system).toEqual([{ text: 'Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.' }]);
  });

  it('rejects n > 1 with param n', () => {
    expect(() => toConverseParams({ ...base, n: 3 }, opts)).toThrow(expect.objectContaining({ failureType: FailureType.ProviderUnsupported, param: 'n' }));
  });
});

describe('toToolConfig', () => {
  const withTools = (tool_choice?: ChatRequest['tool_choice']): ChatRequest => ({ ...base, tools: [weatherTool], tool_choice });

  it('maps auto / required / named choices', () => {
    expect(toToolConfig(withTools('auto'), false, 'p')?.toolChoice).toEqual({ auto: {} });
    expect(toToolConfig(withTools('required'), false, 'p')?.toolChoice).toEqual({ any: {} });
    expect(toToolConfig(withTools({ type: 'function', function: { name: 'weather' } }), false, 'p')?.toolChoice).toEqual({ tool: { name: 'weather' } });
    expect(toToolConfig(withTools(), false, 'p')).toEqual({ tools: expect.any(Array) });
  });

  it("'none' drops the tools unless the conversation already holds tool blocks", () => {
    expect(toToolConfig(withTools('none'), false, 'p')).toBeUndefined();
    expect(toToolConfig(withTools('none'), true, 'p')).toEqual({ tools: expect.any(Array) });
  });

  it('no tools → no toolConfig; parameters default to an empty object schema', () => {
    expect(toToolConfig(base, true, 'p')).toBeUndefined();
    const config = toToolConfig({ ...base, tools: [{ type: 'function', function: { name: 'ping' } }] }, false, 'p');
    expect(config?.tools?.[0].toolSpec?.inputSchema).toEqual({ json: { type: 'object', properties: {} } });
  });
});

describe('toInferenceConfig', () => {
  it('is undefined when nothing is set and falls back to max_tokens', () => {
    expect(toInferenceConfig(base)).toBeUndefined();
    expect(toInferenceConfig({ ...base, max_tokens: 50, stop: 'x' })).toEqual({ maxTokens: 50, stopSequences: ['x'] });
  });
});
