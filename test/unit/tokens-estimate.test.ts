import { countTokens as cl100k } from 'gpt-tokenizer/cjs/encoding/cl100k_base';
import type { Price } from '../../prices/price';
import type { ChatRequest, EmbeddingRequest } from '../../providers/types';
import {
  FALLBACK_MAX_OUTPUT_TOKENS,
  countEmbeddingInputTokens,
  countPromptTokens,
  estimateChatCost,
  estimateCostUsd,
  estimateEmbeddingCost,
} from '../../tokens/estimate';
import { tokenizerFamily } from '../../tokens/tokenizer-family';

// OpenAI cookbook "How to count tokens with tiktoken": the API reported 129 prompt tokens for
// these messages on gpt-4-0613 (cl100k_base) and 124 on gpt-4o (o200k_base).
const COOKBOOK: ChatRequest = {
  model: 'any',
  messages: [
    { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
    { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
    { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
    { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
    { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
    { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
  ],
};

function price(overrides: Partial<Price> = {}): Price {
  return {
    id: '1',
    model: 'gpt-4o-mini',
    kind: 'chat',
    inputPerMTokUsd: '0.15',
    cachedInputPerMTokUsd: '0.075',
    outputPerMTokUsd: '0.6',
    maxOutputTokens: 16384,
    source: 'seed',
    createdAt: new Date(0),
    ...overrides,
  };
}

describe('countPromptTokens', () => {
  it('matches the counts the OpenAI API reports, per encoding', () => {
    expect(countPromptTokens(COOKBOOK, 'gpt-4-0613')).toBe(129);
    expect(countPromptTokens(COOKBOOK, 'gpt-4o')).toBe(124);
    expect(countPromptTokens(COOKBOOK, 'gpt-4o-mini-2024-07-18')).toBe(124);
  });

  it('scales non-OpenAI models up by their family margin', () => {
    const cl = countPromptTokens(COOKBOOK, 'gpt-4-0613');
    expect(countPromptTokens(COOKBOOK, 'claude-3-5-haiku-latest')).toBe(Math.ceil(cl * 1.35));
    expect(countPromptTokens(COOKBOOK, 'us.anthropic.claude-sonnet-4-20250514-v1:0')).toBe(Math.ceil(cl * 1.35));
    expect(countPromptTokens(COOKBOOK, 'meta.llama3-1-8b-instruct-v1:0')).toBe(Math.ceil(cl * 1.1));
    expect(countPromptTokens(COOKBOOK, 'amazon.nova-lite-v1:0')).toBe(Math.ceil(cl * 1.35));
  });

  it('counts tool definitions, assistant tool calls and tool results', () => {
    const base: ChatRequest = { model: 'x', messages: [{ role: 'user', content: 'weather in Paris?' }] };
    const tool = {
      type: 'function' as const,
      function: { name: 'get_weather', description: 'Current weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    };
    const withTool = { ...base, tools: [tool] };
    expect(countPromptTokens(withTool, 'gpt-4-0613') - countPromptTokens(base, 'gpt-4-0613')).toBe(cl100k(JSON.stringify(tool)));
    const withCall: ChatRequest = {
      ...withTool,
      messages: [
        ...base.messages,
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: [{ type: 'text', text: '18°C and sunny' }] },
      ],
    };
    expect(countPromptTokens(withCall, 'gpt-4-0613')).toBe(
      countPromptTokens(withTool, 'gpt-4-0613') +
        2 * 3 +
        cl100k('assistant') +
        cl100k('tool') +
        cl100k('get_weather') +
        cl100k('{"city":"Paris"}') +
        cl100k('18°C and sunny'),
    );
  });

  it('counts a fixed allowance per image, never the image bytes', () => {
    const text: ChatRequest = { model: 'x', messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }] }] };
    const image = (url: string): ChatRequest => ({
      model: 'x',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url } },
          ],
        },
      ],
    });
    const huge = `data:image/png;base64,${'A'.repeat(200_000)}`;
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1-nano', 'claude-sonnet-4-20250514']) {
      const allowance = tokenizerFamily(model).imageTokens;
      expect(countPromptTokens(image(huge), model) - countPromptTokens(text, model)).toBe(allowance);
      expect(countPromptTokens(image('https://example.com/a.png'), model)).toBe(countPromptTokens(image(huge), model));
    }
    expect(tokenizerFamily('gpt-4o-mini').imageTokens).toBeGreaterThan(tokenizerFamily('gpt-4o').imageTokens);
  });

  it('treats special-token text in a prompt as plain text instead of throwing', () => {
    const req: ChatRequest = { model: 'x', messages: [{ role: 'user', content: 'say <|endoftext|> and <|im_start|>' }] };
    expect(countPromptTokens(req, 'gpt-4o')).toBeGreaterThan(7);
  });
});

describe('tokenizerFamily', () => {
  it.each([
    ['gpt-4o', 'o200k_base', 1],
    ['gpt-4.1-mini', 'o200k_base', 1],
    ['o3-mini', 'o200k_base', 1],
    ['gpt-5-nano', 'o200k_base', 1],
    ['gpt-4-turbo', 'cl100k_base', 1],
    ['gpt-3.5-turbo', 'cl100k_base', 1],
    ['text-embedding-3-small', 'cl100k_base', 1],
    ['claude-3-5-haiku-latest', 'cl100k_base', 1.35],
    ['anthropic.claude-3-haiku-20240307-v1:0', 'cl100k_base', 1.35],
    ['eu.anthropic.claude-3-haiku-20240307-v1:0', 'cl100k_base', 1.35],
    ['amazon.titan-embed-text-v2:0', 'cl100k_base', 1.35],
    ['some-local-model', 'cl100k_base', 1.35],
  ])('%s → %s × %s', (model, encoding, margin) => {
    expect(tokenizerFamily(model)).toMatchObject({ encoding, margin });
  });
});

describe('estimateCostUsd', () => {
  it('is exact decimal arithmetic: prompt × input price + output cap × output price', () => {
    expect(estimateCostUsd(price(), { promptTokens: 1000, maxOutputTokens: 500 })).toBe('0.00045');
    // 0.1 + 0.2 style float traps do not exist here.
    expect(estimateCostUsd(price({ inputPerMTokUsd: '0.1', outputPerMTokUsd: '0.2' }), { promptTokens: 1_000_000, maxOutputTokens: 1_000_000 })).toBe('0.3');
  });

  it('rounds sub-unit costs up, never to zero', () => {
    expect(estimateCostUsd(price({ inputPerMTokUsd: '0.035' }), { promptTokens: 1, maxOutputTokens: 0 })).toBe('0.000000035');
    expect(estimateCostUsd(price({ inputPerMTokUsd: '0.00001' }), { promptTokens: 1, maxOutputTokens: 0 })).toBe('0.0000000001');
  });
});

describe('estimateChatCost', () => {
  const req: ChatRequest = { model: 'x', messages: [{ role: 'user', content: 'hi' }] };

  it('reserves the request cap, × n choices', () => {
    expect(estimateChatCost({ ...req, max_tokens: 100 }, 'gpt-4o-mini', price()).maxOutputTokens).toBe(100);
    expect(estimateChatCost({ ...req, max_completion_tokens: 50, max_tokens: 100 }, 'gpt-4o-mini', price()).maxOutputTokens).toBe(50);
    expect(estimateChatCost({ ...req, max_tokens: 100, n: 3 }, 'gpt-4o-mini', price()).maxOutputTokens).toBe(300);
  });

  it('falls back to the adapter default, then the model cap, then a fixed cap', () => {
    expect(estimateChatCost(req, 'claude-3-5-haiku-latest', price(), { defaultMaxOutputTokens: 4096 }).maxOutputTokens).toBe(4096);
    expect(estimateChatCost(req, 'gpt-4o-mini', price()).maxOutputTokens).toBe(16384);
    expect(estimateChatCost(req, 'gpt-4o-mini', price({ maxOutputTokens: null })).maxOutputTokens).toBe(FALLBACK_MAX_OUTPUT_TOKENS);
  });

  it('prices the estimate from the counted prompt', () => {
    const e = estimateChatCost({ ...req, max_tokens: 10 }, 'gpt-4o-mini', price());
    expect(e.costUsd).toBe(estimateCostUsd(price(), { promptTokens: e.promptTokens, maxOutputTokens: 10 }));
  });
});

describe('embeddings', () => {
  it('counts strings with the tokenizer and token arrays by length', () => {
    const one: EmbeddingRequest = { model: 'x', input: 'hello world' };
    expect(countEmbeddingInputTokens(one, 'text-embedding-3-small')).toBe(2);
    expect(countEmbeddingInputTokens({ model: 'x', input: ['hello world', 'hello'] }, 'text-embedding-3-small')).toBe(3);
    expect(countEmbeddingInputTokens({ model: 'x', input: [1, 2, 3, 4] }, 'text-embedding-3-small')).toBe(4);
    expect(countEmbeddingInputTokens({ model: 'x', input: [[1, 2], [3]] }, 'text-embedding-3-small')).toBe(3);
    expect(countEmbeddingInputTokens(one, 'amazon.titan-embed-text-v2:0')).toBe(Math.ceil(2 * 1.35));
  });

  it('charges input only', () => {
    const p = price({ model: 'text-embedding-3-small', kind: 'embedding', inputPerMTokUsd: '0.02', outputPerMTokUsd: '0', maxOutputTokens: null });
    expect(estimateEmbeddingCost({ model: 'x', input: 'hello world' }, 'text-embedding-3-small', p)).toEqual({ promptTokens: 2, costUsd: '0.00000004' });
  });
});
