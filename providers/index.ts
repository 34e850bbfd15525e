/**
 * Provider adapters: one folder per upstream API (`openai/` also serves Azure and
 * OpenAI-compatible servers), each with the same roles — request map, response map, stream
 * map, error map — translating to and from the gateway's OpenAI-shaped types.
 */
export * from './types';
export { createAdapter } from './create-adapter';
export { OpenAIAdapter } from './openai/adapter';
export { AnthropicAdapter } from './anthropic/adapter';
export { BedrockAdapter } from './bedrock/adapter';
export { classifyOpenAIError } from './openai/error-map';
export { classifyAnthropicError } from './anthropic/error-map';
export { classifyBedrockError } from './bedrock/error-map';
export { parseRetryAfterMs, MAX_RETRY_AFTER_MS, type HeaderSource } from './retry-after';
export { failureTypeForStatus } from './error-classification';
