import { fromAnthropicMessage, toFinishReason, toOpenAIUsage } from '../../../providers/anthropic/response-map';
import { anthropicMessage, anthropicUsage } from './anthropic-fixtures';

const NOW = Date.parse('2026-11-28T12:00:00Z');

describe('fromAnthropicMessage', () => {
  it('joins text blocks into content and maps usage with cache reads', () => {
    const completion = fromAnthropicMessage(
      anthropicMessage({
        content: [
          { type: 'text', text: 'Hello, ', citations: null },
          { type: 'text', text: 'world.', citations: null },
        ],
        usage: anthropicUsage({ input_tokens: 12, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 8 }),
      }),
      NOW,
    );
    expect(completion).toEqual({
      id: 'msg_01',
      object: 'chat.completion',
      created: NOW / 1000,
      model: 'claude-sonnet-4-5',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, world.', refusal: null }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 120, completion_tokens: 5, total_tokens: 125, prompt_tokens_details: { cached_tokens: 100 } },
    });
  });

  it('maps tool_use blocks to tool_calls with JSON-string arguments and content null', () => {
    const completion = fromAnthropicMessage(
      anthropicMessage({
        stop_reason: 'tool_use',
        content: [
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris', days: 2 }, caller: { type: 'direct' } },
          { type: 'tool_use', id: 'toolu_2', name: 'time', input: {}, caller: { type: 'direct' } },
        ],
      }),
      NOW,
    );
    expect(completion.choices[0]).toEqual({
      index: 0,
      finish_reason: 'tool_calls',
      logprobs: null,
      message: {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris","days":2}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
    });
  });

  it('keeps text next to tool calls and ignores thinking blocks', () => {
    const completion = fromAnthropicMessage(
      anthropicMessage({
        stop_reason: 'tool_use',
        content: [
          { type: 'thinking', thinking: 'hmm', signature: 'sig' },
          { type: 'text', text: 'Let me check.', citations: null },
          { type: 'tool_use', id: 't', name: 'f', input: { a: 1 }, caller: { type: 'direct' } },
        ],
      }),
      NOW,
    );
    expect(completion.choices[0].message.content).toBe('Let me check.');
    expect(completion.choices[0].message.tool_calls).toHaveLength(1);
  });

  it('returns empty content (not null) for an empty answer', () => {
    expect(fromAnthropicMessage(anthropicMessage(), NOW).choices[0].message.content).toBe('');
  });
});

describe('toFinishReason', () => {
  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['pause_turn', 'stop'],
    ['max_tokens', 'length'],
    ['model_context_window_exceeded', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    [null, 'stop'],
  ] as const)('%s → %s', (reason, expected) => {
    expect(toFinishReason(reason)).toBe(expected);
  });
});

describe('toOpenAIUsage', () => {
  it('counts cache reads and writes as prompt tokens, cache reads as cached', () => {
    expect(toOpenAIUsage({ input_tokens: 10, output_tokens: 3, cache_read_input_tokens: null, cache_creation_input_tokens: null })).toEqual({
      prompt_tokens: 10,
      completion_tokens: 3,
      total_tokens: 13,
      prompt_tokens_details: { cached_tokens: 0 },
    });
    expect(toOpenAIUsage({ input_tokens: 2, output_tokens: 1, cache_read_input_tokens: 50, cache_creation_input_tokens: 30 })).toEqual({
      prompt_tokens: 82,
      completion_tokens: 1,
      total_tokens: 83,
      prompt_tokens_details: { cached_tokens: 50 },
    });
  });
});
