import type { Message, Usage } from '@anthropic-ai/sdk/resources/messages';

/** A complete Anthropic `Usage` with zero counts, overridable per test. */
export function anthropicUsage(overrides: Partial<Usage> = {}): Usage {
  return {
    cache_creation: null,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    inference_geo: null,
    input_tokens: 0,
    output_tokens: 0,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: 'standard',
    speed: null,
    ...overrides,
  };
}

/** A complete Anthropic `Message`, overridable per test. */
export function anthropicMessage(overrides: Partial<Message> = {}): Message {
  return {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    container: null,
    diagnostics: null,
    stop_details: null,
    stop_reason: 'end_turn',
    stop_sequence: null,
    content: [],
    usage: anthropicUsage(),
    ...overrides,
  };
}
