import type { ConverseResponse } from '@aws-sdk/client-bedrock-runtime';
import { FailureType } from '../../../errors/failure-types';
import { fromConverseResponse, toFinishReason, toOpenAIUsage } from '../../../providers/bedrock/response-map';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const identity = { id: 'chatcmpl-req-1', model: 'amazon.nova-pro-v1:0', provider: 'bedrock', nowMs: NOW };

function response(overrides: Partial<ConverseResponse>): ConverseResponse {
  return {
    output: { message: { role: 'assistant', content: [{ text: 'Hi there' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 10, outputTokens: 4, totalTokens: 14 },
    metrics: { latencyMs: 100 },
    ...overrides,
  };
}

describe('fromConverseResponse', () => {
  it('maps text, stop reason and usage', () => {
    expect(fromConverseResponse(response({}), identity)).toEqual({
      id: 'chatcmpl-req-1',
      object: 'chat.completion',
      created: NOW / 1000,
      model: 'amazon.nova-pro-v1:0',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 10, completion_tokens: 4, total_tokens: 14, prompt_tokens_details: { cached_tokens: 0 } },
    });
  });

  it('maps toolUse blocks to tool_calls and content null', () => {
    const completion = fromConverseResponse(
      response({
        stopReason: 'tool_use',
        output: {
          message: {
            role: 'assistant',
            content: [
              { reasoningContent: { reasoningText: { text: 'thinking' } } },
              { toolUse: { toolUseId: 'tooluse_1', name: 'weather', input: { city: 'Oslo' } } },
            ],
          },
        },
      }),
      identity,
    );
    expect(completion.choices[0].finish_reason).toBe('tool_calls');
    expect(completion.choices[0].message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [{ id: 'tooluse_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }],
    });
  });

  it('counts cache reads and writes into prompt tokens', () => {
    const completion = fromConverseResponse(
      response({ usage: { inputTokens: 10, outputTokens: 4, totalTokens: 1134, cacheReadInputTokens: 20, cacheWriteInputTokens: 1100 } }),
      identity,
    );
    expect(completion.usage).toEqual({ prompt_tokens: 1130, completion_tokens: 4, total_tokens: 1134, prompt_tokens_details: { cached_tokens: 20 } });
  });

  it('throws ProviderBadResponse when there is no message', () => {
    expect(() => fromConverseResponse(response({ output: undefined }), identity)).toThrow(
      expect.objectContaining({ failureType: FailureType.ProviderBadResponse, provider: 'bedrock' }),
    );
  });
});

describe('toFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['content_filtered', 'content_filter'],
    ['guardrail_intervened', 'content_filter'],
    [undefined, 'stop'],
  ] as const)('%s → %s', (reason, expected) => {
    expect(toFinishReason(reason)).toBe(expected);
  });

  it('toOpenAIUsage tolerates missing usage', () => {
    expect(toOpenAIUsage(undefined)).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, prompt_tokens_details: { cached_tokens: 0 } });
  });
});
