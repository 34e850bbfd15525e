/**
 * Real SDK clients pointed at a fake upstream, configured the way Switchyard configures them:
 * no SDK retries (Temporal owns retries).
 */
import Anthropic from '@anthropic-ai/sdk';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import OpenAI, { AzureOpenAI } from 'openai';

export const BEDROCK_MODEL = 'anthropic.claude-3-haiku-20240307-v1:0';
export const TITAN_MODEL = 'amazon.titan-embed-text-v2:0';
export const AZURE_API_VERSION = '2024-10-21';

/** Client options the tests vary. */
export interface ClientOptions {
  apiKey?: string;
  /** Request timeout in ms. */
  timeout?: number;
  /** Silence the SDK's own logging (it logs unparseable stream data before throwing). */
  quiet?: boolean;
}

export function openAiClient(url: string, opts: ClientOptions = {}): OpenAI {
  return new OpenAI({
    apiKey: opts.apiKey ?? 'sk-test',
    baseURL: `${url}/v1`,
    maxRetries: 0,
    timeout: opts.timeout,
    logLevel: opts.quiet ? 'off' : undefined,
  });
}

export function azureClient(url: string, deployment: string, opts: ClientOptions = {}): AzureOpenAI {
  return new AzureOpenAI({
    apiKey: opts.apiKey ?? 'azure-key',
    endpoint: url,
    deployment,
    apiVersion: AZURE_API_VERSION,
    maxRetries: 0,
    timeout: opts.timeout,
  });
}

export function anthropicClient(url: string, opts: ClientOptions = {}): Anthropic {
  return new Anthropic({
    apiKey: opts.apiKey ?? 'sk-ant-test',
    baseURL: url,
    maxRetries: 0,
    timeout: opts.timeout,
    logLevel: opts.quiet ? 'off' : undefined,
  });
}

export function bedrockClient(url: string, opts: ClientOptions = {}): BedrockRuntimeClient {
  return new BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: url,
    credentials: { accessKeyId: opts.apiKey ?? 'x', secretAccessKey: 'y' },
    maxAttempts: 1,
    ...(opts.timeout === undefined ? {} : { requestHandler: { requestTimeout: opts.timeout } }),
  });
}

/** The rejection of `promise`, asserted to be an instance of `errorClass`. */
export async function rejectionOf<E>(promise: Promise<unknown>, errorClass: abstract new (...args: never[]) => E): Promise<E> {
  const error = await anyRejectionOf(promise);
  expect(error).toBeInstanceOf(errorClass);
  return error as E;
}

/**
 * The rejection of `promise` as a plain record, for errors from outside jest's realm (fetch's
 * `TypeError: terminated`) that fail `instanceof` checks; fails the test when it resolves.
 */
export async function anyRejectionOf(promise: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await promise;
  } catch (error) {
    if (typeof error === 'object' && error !== null) return error as Record<string, unknown>;
    throw new Error(`rejected with a non-object: ${String(error)}`, { cause: error });
  }
  throw new Error('expected a rejection, but the promise resolved');
}

/** Drains an async iterable, keeping what arrived before an error and the error itself. */
export async function drain<T>(iterable: AsyncIterable<T>): Promise<{ items: T[]; error?: Error }> {
  const items: T[] = [];
  try {
    for await (const item of iterable) items.push(item);
  } catch (error) {
    return { items, error: error as Error };
  }
  return { items };
}
