import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { ThrottlingException } from '@aws-sdk/client-bedrock-runtime';
import { FailureType } from '../../../errors/failure-types';
import { UpstreamError } from '../../../errors/upstream-error';
import { BedrockStreamMapper } from '../../../providers/bedrock/stream-map';
import type { ChatCompletionChunk } from '../../../providers/types';

const meta = { id: 'chatcmpl-req-7', model: 'amazon.nova-lite-v1:0', created: 1_790_000_000 };

function run(events: ConverseStreamOutput[]): { chunks: ChatCompletionChunk[]; mapper: BedrockStreamMapper } {
  const mapper = new BedrockStreamMapper('bedrock', meta);
  return { chunks: events.flatMap((e) => mapper.push(e)), mapper };
}

const chunk = (
  delta: ChatCompletionChunk['choices'][number]['delta'],
  finish: ChatCompletionChunk['choices'][number]['finish_reason'] = null,
): ChatCompletionChunk => ({
  id: 'chatcmpl-req-7',
  object: 'chat.completion.chunk',
  created: 1_790_000_000,
  model: 'amazon.nova-lite-v1:0',
  choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
});

describe('BedrockStreamMapper', () => {
  it('maps a text stream, then a usage chunk from the trailing metadata event', () => {
    const { chunks, mapper } = run([
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Hello' } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: ' there' } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { messageStop: { stopReason: 'end_turn' } },
      { metadata: { usage: { inputTokens: 9, outputTokens: 2, totalTokens: 14, cacheReadInputTokens: 3 }, metrics: { latencyMs: 50 } } },
    ]);
    expect(chunks).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hello' }),
      chunk({ content: ' there' }),
      chunk({}, 'stop'),
      {
        ...meta,
        object: 'chat.completion.chunk',
        choices: [],
        usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14, prompt_tokens_details: { cached_tokens: 3 } },
      },
    ]);
    expect(mapper.done).toBe(true);
  });

  it('maps toolUse blocks to indexed tool_calls deltas', () => {
    const { chunks } = run([
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'Looking up.' } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      { contentBlockStart: { contentBlockIndex: 1, start: { toolUse: { toolUseId: 'tu_1', name: 'weather' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '"Oslo"}' } } } },
      { contentBlockStop: { contentBlockIndex: 1 } },
      { contentBlockStart: { contentBlockIndex: 2, start: { toolUse: { toolUseId: 'tu_2', name: 'time' } } } },
      { contentBlockDelta: { contentBlockIndex: 2, delta: { toolUse: { input: '{}' } } } },
      { messageStop: { stopReason: 'tool_use' } },
    ]);
    expect(chunks).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Looking up.' }),
      chunk({ tool_calls: [{ index: 0, id: 'tu_1', type: 'function', function: { name: 'weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'tu_2', type: 'function', function: { name: 'time', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
    ]);
  });

  it('maps length and content filter stops', () => {
    expect(run([{ messageStop: { stopReason: 'max_tokens' } }]).chunks).toEqual([chunk({}, 'length')]);
    expect(run([{ messageStop: { stopReason: 'content_filtered' } }]).chunks).toEqual([chunk({}, 'content_filter')]);
  });

  it('throws a classified UpstreamError for an exception event', () => {
    const mapper = new BedrockStreamMapper('bedrock', meta);
    const event: ConverseStreamOutput = {
      throttlingException: new ThrottlingException({ message: 'Too many tokens', $metadata: {} }),
    };
    let thrown: unknown;
    try {
      mapper.push(event);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UpstreamError);
    expect((thrown as UpstreamError).failureType).toBe(FailureType.ProviderRateLimited);
    expect((thrown as UpstreamError).message).toBe('Too many tokens');
    expect((thrown as UpstreamError).code).toBe('ThrottlingException');
  });

  it('is not done before messageStop', () => {
    expect(run([{ messageStart: { role: 'assistant' } }, { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'x' } } }]).mapper.done).toBe(false);
  });
});
