/**
 * Maps a method and URL to the dialect that owns it, on each provider's real paths.
 */
import { anthropicDialect, parseAnthropicMessages } from './anthropic-dialect';
import { bedrockDialect, parseConverse, parseTitanEmbeddings } from './bedrock-dialect';
import { createOpenAiDialect, parseOpenAiChat, parseOpenAiEmbeddings } from './openai-dialect';
import type { RouteMatch } from './types';

const openAiDialect = createOpenAiDialect('openai');
const azureDialect = createOpenAiDialect('azure');

const AZURE_PATH = /^\/openai\/deployments\/([^/]+)\/(chat\/completions|embeddings)$/;
const BEDROCK_PATH = /^\/model\/([^/]+)\/(converse|converse-stream|invoke)$/;

/** The route for a request, or undefined when no fake serves it (only POST is served). */
export function matchRoute(method: string, url: string): RouteMatch | undefined {
  if (method !== 'POST') return undefined;
  const queryAt = url.indexOf('?');
  const path = queryAt === -1 ? url : url.slice(0, queryAt);
  switch (path) {
    case '/v1/chat/completions':
      return { dialect: openAiDialect, path, parse: (body) => parseOpenAiChat(body) };
    case '/v1/embeddings':
      return { dialect: openAiDialect, path, parse: (body) => parseOpenAiEmbeddings(body) };
    case '/v1/messages':
      return { dialect: anthropicDialect, path, parse: parseAnthropicMessages };
    default:
      return matchPathWithModel(path);
  }
}

function matchPathWithModel(path: string): RouteMatch | undefined {
  const azure = AZURE_PATH.exec(path);
  if (azure) {
    const deployment = decodeURIComponent(azure[1]);
    const parse = azure[2] === 'embeddings' ? parseOpenAiEmbeddings : parseOpenAiChat;
    return { dialect: azureDialect, path, parse: (body) => parse(body, deployment) };
  }
  const bedrock = BEDROCK_PATH.exec(path);
  if (bedrock) {
    // The SDK URL-encodes the model id, so `:` arrives as `%3A`.
    const modelId = decodeURIComponent(bedrock[1]);
    const operation = bedrock[2];
    return {
      dialect: bedrockDialect,
      path,
      parse: (body) => (operation === 'invoke' ? parseTitanEmbeddings(body, modelId) : parseConverse(body, modelId, operation === 'converse-stream')),
    };
  }
  return undefined;
}
