import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import { AnthropicStreamMapper, type AnthropicStreamEvent } from '../../../providers/anthropic/stream-map';
import type { ChatCompletionChunk } from '../../../providers/types';
import { anthropicMessage, anthropicUsage } from './anthropic-fixtures';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const CREATED = NOW / 1000;

function run(events: AnthropicStreamEvent[]): { chunks: ChatCompletionChunk[]; mapper: AnthropicStreamMapper } {
  const mapper = new AnthropicStreamMapper('anthropic', 'fallback-model', NOW);
  const chunks = events.flatMap((event) => mapper.push(event));
  return { chunks, mapper };
}

const start: AnthropicStreamEvent = {
  type: 'message_start',
  message: anthropicMessage({ id: 'msg_9', stop_reason: null, usage: anthropicUsage({ input_tokens: 25, output_tokens: 1, cache_read_input_tokens: 5 }) }),
};

const chunk = (
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
): ChatCompletionChunk => ({
  id: 'msg_9',
  object: 'chat.completion.chunk',
  created: CREATED,
  model: 'claude-sonnet-4-5',
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});

describe('AnthropicStreamMapper', () => {
  it('maps a text stream to role, content deltas, finish and usage chunks', () => {
    const { chunks, mapper } = run([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      { type: 'content_block_stop', index: 0 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null, container: null, stop_details: null },
        usage: {
          output_tokens: 7,
          input_tokens: null,
          cache_read_input_tokens: null,
          cache_creation_input_tokens: null,
          output_tokens_details: null,
          server_tool_use: null,
        },
      },
      { type: 'message_stop' },
    ]);
    expect(chunks).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo' }),
      chunk({}, 'stop'),
      {
        id: 'msg_9',
        object: 'chat.completion.chunk',
        created: CREATED,
        model: 'claude-sonnet-4-5',
        choices: [],
        usage: { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37, prompt_tokens_details: { cached_tokens: 5 } },
      },
    ]);
    expect(mapper.done).toBe(true);
  });

  it('maps tool_use blocks to indexed tool_calls deltas with id, name and argument fragments', () => {
    const { chunks } = run([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '', citations: null } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_A', name: 'weather', input: {}, caller: { type: 'direct' } } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_B', name: 'time', input: {}, caller: { type: 'direct' } } },
      { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_stop', index: 2 },
      {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null, container: null, stop_details: null },
        usage: {
          output_tokens: 40,
          input_tokens: null,
          cache_read_input_tokens: null,
          cache_creation_input_tokens: null,
          output_tokens_details: null,
          server_tool_use: null,
        },
      },
      { type: 'message_stop' },
    ]);
    expect(chunks.slice(0, 6)).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Checking.' }),
      chunk({ tool_calls: [{ index: 0, id: 'toolu_A', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'toolu_B', type: 'function', function: { name: 'time', arguments: '' } }] }),
    ]);
    expect(chunks[6]).toEqual(chunk({}, 'tool_calls'));
    expect(chunks[7].usage).toEqual({ prompt_tokens: 30, completion_tokens: 40, total_tokens: 70, prompt_tokens_details: { cached_tokens: 5 } });
    expect(chunks).toHaveLength(8);
  });

  it('maps max_tokens to length and ignores thinking deltas', () => {
    const { chunks } = run([
      start,
      { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'secret reasoning' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'sig' } },
      {
        type: 'message_delta',
        delta: { stop_reason: 'max_tokens', stop_sequence: null, container: null, stop_details: null },
        usage: {
          output_tokens: 3,
          input_tokens: null,
          cache_read_input_tokens: null,
          cache_creation_input_tokens: null,
          output_tokens_details: null,
          server_tool_use: null,
        },
      },
      { type: 'message_stop' },
    ]);
    expect(chunks.map((c) => (c.choices.length === 0 ? 'usage' : c.choices[0].finish_reason))).toEqual([null, 'length', 'usage']);
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
  });

  it('throws a classified UpstreamError for an error event', () => {
    const mapper = new AnthropicStreamMapper('anthropic', 'm', NOW);
    mapper.push(start);
    let thrown: unknown;
    try {
      mapper.push({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UpstreamError);
    expect((thrown as UpstreamError).toDetails()).toMatchObject({ failureType: FailureType.ProviderServerError, provider: 'anthropic' });
    expect((thrown as UpstreamError).message).toBe('Overloaded');
    expect(mapper.done).toBe(false);
  });

  it('is not done when the stream stops before message_stop', () => {
    const { mapper } = run([start, { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }]);
    expect(mapper.done).toBe(false);
  });

  it('uses the fallback model until message_start names one', () => {
    const mapper = new AnthropicStreamMapper('anthropic', 'fallback-model', NOW);
    const [first] = mapper.push({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } });
    expect(first.model).toBe('fallback-model');
  });
});
