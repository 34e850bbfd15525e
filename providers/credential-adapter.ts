import { createHash } from 'node:crypto';
import { FailureType } from '../errors/failure-types';
import { UpstreamError } from '../errors/upstream-error';
import type { CredentialResolver } from '../secrets/credential-resolver';
import { createAdapter } from './create-adapter';
import type {
  CallContext,
  ChatCompletion,
  ChatCompletionChunk,
  ChatRequest,
  EmbeddingRequest,
  EmbeddingResponse,
  ProviderAdapter,
  ProviderSettings,
} from './types';

/** Most per-secret adapters kept per provider (a rotation needs two; old ones are dropped). */
const MAX_ADAPTERS = 4;

function isAuthFailure(err: unknown): boolean {
  return err instanceof UpstreamError && err.failureType === FailureType.ProviderAuth;
}

/**
 * A provider whose key is a stored credential (`credential: <id>` in the config). Each call
 * resolves the credential (cached briefly) and uses the adapter built for that secret (one SDK
 * client per secret, cached). On 401/403 it tries the next secret: the fallback of a rotation in
 * grace, then whatever a fresh read of the credential gives (another instance may have rotated
 * it within the cache TTL). So a key revoked upstream mid-rotation causes no client-visible
 * error on either path; both call this adapter.
 */
export class CredentialAdapter implements ProviderAdapter {
  private readonly bySecret = new Map<string, ProviderAdapter>();

  constructor(
    readonly settings: ProviderSettings,
    private readonly credentialId: string,
    private readonly resolver: CredentialResolver,
  ) {}

  chat(req: ChatRequest, ctx: CallContext): Promise<ChatCompletion> {
    return this.withSecrets((adapter) => adapter.chat(req, ctx));
  }

  embed(req: EmbeddingRequest, ctx: CallContext): Promise<EmbeddingResponse> {
    return this.withSecrets((adapter) => adapter.embed(req, ctx));
  }

  async *chatStream(req: ChatRequest, ctx: CallContext): AsyncIterable<ChatCompletionChunk> {
    // Only the first chunk decides which secret serves: an auth failure comes before any byte.
    const { iterator, first } = await this.withSecrets(async (adapter) => {
      const it = adapter.chatStream(req, ctx)[Symbol.asyncIterator]();
      return { iterator: it, first: await it.next() };
    });
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }

  private async withSecrets<T>(call: (adapter: ProviderAdapter) => Promise<T>): Promise<T> {
    const tried = new Set<string>();
    let lastError: unknown;
    for (const fresh of [false, true]) {
      const { secrets } = fresh ? await this.resolver.refresh(this.credentialId) : await this.resolver.resolve(this.credentialId);
      for (const secret of secrets) {
        if (tried.has(secret)) continue;
        tried.add(secret);
        try {
          return await call(this.adapterFor(secret));
        } catch (err) {
          if (!isAuthFailure(err)) throw err;
          lastError = err;
        }
      }
    }
    throw (
      lastError ??
      new UpstreamError(`provider "${this.settings.id}": credential ${this.credentialId} has no usable secret`, {
        failureType: FailureType.ProviderAuth,
        provider: this.settings.id,
        status: 401,
      })
    );
  }

  private adapterFor(secret: string): ProviderAdapter {
    const digest = createHash('sha256').update(secret).digest('base64');
    let adapter = this.bySecret.get(digest);
    if (!adapter) {
      if (this.bySecret.size >= MAX_ADAPTERS) this.bySecret.delete(this.bySecret.keys().next().value!);
      adapter = createAdapter({ ...this.settings, apiKey: secret });
      this.bySecret.set(digest, adapter);
    }
    return adapter;
  }
}
