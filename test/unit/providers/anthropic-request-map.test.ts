import { FailureType } from '../../../errors/failure-types';
import { DEFAULT_MAX_TOKENS, toAnthropicRequest, toAnthropicToolChoice } from '../../../providers/anthropic/request-map';
import type { ChatRequest } from '../../../providers/types';

const opts = { model: 'claude-sonnet-4-5', provider: 'anthropic' };
const base: ChatRequest = { model: 'alias', messages: [{ role: 'user', content: 'Hello' }] };

describe('toAnthropicRequest', () => {
  it('maps a minimal request with the default max_tokens', () => {
    expect(toAnthropicRequest(base, opts)).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: DEFAULT_MAX_TOKENS,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
    });
    expect(DEFAULT_MAX_TOKENS).toBe(4096);
  });

  it('hoists system and developer messages into system, in order', () => {
    const params = toAnthropicRequest(
      {
        ...base,
        messages: [
          { role: 'system', content: 'You are terse.' },
          { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
          { role: 'user', content: 'Hi' },
        ],
      },
      opts,
    );
    expect(params.system).toBe('You are terse.\n\nAnswer in French.');
    expect(params.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }]);
  });

  it('maps images: data URLs to base64 sources, http URLs to url sources', () => {
    const params = toAnthropicRequest(
      {
        ...base,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
              { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
              { type: 'image_url', image_url: { url: 'data:image/jpg;base64,/9j/4AAQ' } },
            ],
          },
        ],
      },
      opts,
    );
    expect(params.messages[0].content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
    ]);
  });

  it('maps assistant tool calls to tool_use and merges consecutive tool results into one user turn', () => {
    const params = toAnthropicRequest(
      {
        ...base,
        messages: [
          { role: 'user', content: 'Weather in Paris and Rome?' },
          {
            role: 'assistant',
            content: 'Checking.',
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '18C' },
          { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '24C' }] },
          { role: 'user', content: 'Thanks, and tomorrow?' },
        ],
      },
      opts,
    );
    expect(params.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: '24C' },
          { type: 'text', text: 'Thanks, and tomorrow?' },
        ],
      },
    ]);
  });

  it('drops empty assistant text and keeps null-content tool-call turns', () => {
    const params = toAnthropicRequest(
      {
        ...base,
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'noop', arguments: '' } }] },
        ],
      },
      opts,
    );
    expect(params.messages[1]).toEqual({ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'noop', input: {} }] });
  });

  it('maps tools, tool_choice and parallel_tool_calls', () => {
    const params = toAnthropicRequest(
      {
        ...base,
        tools: [
          {
            type: 'function',
            function: {
              name: 'weather',
              description: 'Current weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
              strict: true,
            },
          },
          { type: 'function', function: { name: 'ping' } },
        ],
        tool_choice: { type: 'function', function: { name: 'weather' } },
        parallel_tool_calls: false,
      },
      opts,
    );
    expect(params.tools).toEqual([
      {
        name: 'weather',
        description: 'Current weather',
        input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        strict: true,
      },
      { name: 'ping', input_schema: { type: 'object' } },
    ]);
    expect(params.tool_choice).toEqual({ type: 'tool', name: 'weather', disable_parallel_tool_use: true });
  });

  it('maps each tool_choice form', () => {
    expect(toAnthropicToolChoice('auto', undefined, 'p')).toEqual({ type: 'auto' });
    expect(toAnthropicToolChoice('none', undefined, 'p')).toEqual({ type: 'none' });
    expect(toAnthropicToolChoice('required', undefined, 'p')).toEqual({ type: 'any' });
    expect(toAnthropicToolChoice('required', false, 'p')).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(toAnthropicToolChoice(undefined, undefined, 'p')).toBeUndefined();
    expect(toAnthropicToolChoice(undefined, false, 'p')).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(() => toAnthropicToolChoice({ type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [] } }, undefined, 'p')).toThrow(
      expect.objectContaining({ failureType: FailureType.ProviderUnsupported, param: 'tool_choice' }),
    );
  });

  it('leaves tool_choice out when there are no tools', () => {
    expect(toAnthropicRequest({ ...base, tool_choice: 'required' }, opts).tool_choice).toBeUndefined();
  });

  it('maps limits, stop, user; drops temperature, top_p and seed', () => {
    const params = toAnthropicRequest(
      { ...base, max_tokens: 100, max_completion_tokens: 200, stop: 'END', user: 'u-42', temperature: 0.1, top_p: 0.9, seed: 7 },
      opts,
    );
    expect(params).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stop_sequences: ['END'],
      metadata: { user_id: 'u-42' },
    });
    expect(toAnthropicRequest({ ...base, max_tokens: 100, stop: ['a', 'b'] }, opts)).toMatchObject({ max_tokens: 100, stop_sequences: ['a', 'b'] });
  });

  it('response_format: strict json_schema → output_config, others → system instruction', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'], additionalProperties: false };
    const strict = toAnthropicRequest({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'r', schema, strict: true } } }, opts);
    expect(strict.output_config).toEqual({ format: { type: 'json_schema', schema } });
    expect(strict.system).toBeUndefined();

    const loose = toAnthropicRequest(
      {
        ...base,
        messages: [{ role: 'system', content: 'Be helpful.' }, ...base.messages],
        response_format: { type: 'json_schema', json_schema: { name: 'r', schema } },
      },
      opts,
    );
    expect(loose.output_config).toBeUndefined();
    expect(loose.system).toMatch(/^Be helpful\.\n\nRespond with a single JSON value that conforms to the JSON schema below/);
    expect(loose.system).toContain(JSON.stringify(schema));

    const object = toAnthropicRequest({ ...base, response_format: { type: 'json_object' } }, opts);
    expect(object.system).toBe('Respond with a single valid JSON object and nothing else: no prose, no Markdown code fences.');
    expect(toAnthropicRequest({ ...base, response_format: { type: 'text' } }, opts).system).toBeUndefined();
  });

  it('rejects n > 1 as ProviderUnsupported with param n', () => {
    expect(() => toAnthropicRequest({ ...base, n: 2 }, opts)).toThrow(
      expect.objectContaining({ failureType: FailureType.ProviderUnsupported, param: 'n', provider: 'anthropic' }),
    );
    expect(() => toAnthropicRequest({ ...base, n: 2 }, opts)).toThrow(/n > 1 is not supported/);
    expect(() => toAnthropicRequest({ ...base, n: 1 }, opts)).not.toThrow();
  });

  it('rejects logprobs, audio parts and bad tool arguments', () => {
    expect(() => toAnthropicRequest({ ...base, logprobs: true }, opts)).toThrow(expect.objectContaining({ param: 'logprobs' }));
    expect(() =>
      toAnthropicRequest({ ...base, messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }] }, opts),
    ).toThrow(expect.objectContaining({ failureType: FailureType.ProviderUnsupported, param: 'messages[0].content[0]' }));
    expect(() =>
      toAnthropicRequest(
        {
          ...base,
          messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: '{oops' } }] }],
        },
        opts,
      ),
    ).toThrow(expect.objectContaining({ failureType: FailureType.InvalidRequest, param: 'messages[0].tool_calls[0].function.arguments' }));
  });

  it('rejects images that are neither data: nor http(s) URLs, and unsupported image types', () => {
    const withImage = (url: string): ChatRequest => ({
      ...base,
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }] }],
    });
    expect(() => toAnthropicRequest(withImage('file:///etc/passwd'), opts)).toThrow(expect.objectContaining({ failureType: FailureType.ProviderUnsupported }));
    expect(() => toAnthropicRequest(withImage('data:image/bmp;base64,Qk0='), opts)).toThrow(/image\/bmp/);
  });
});
