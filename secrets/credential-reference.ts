import { readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * Which `env:` / `file:` references a provider credential may name. A reference's value is sent
 * upstream as a bearer key (and an upstream's 401 may quote part of it), so one that names the
 * gateway's own secrets, or any file the process can read, would hand them out to whoever holds
 * the admin token.
 */
export interface CredentialReferencePolicy {
  /**
   * Absolute directories that `file:` references must lie under once `..` and symlinks are
   * resolved (`SWITCHYARD_CREDENTIAL_FILE_DIRS`). Empty: every `file:` reference is refused.
   */
  readonly fileDirs: readonly string[];
}

/** The variable that lists the directories `file:` references may read from. */
export const CREDENTIAL_FILE_DIRS_VARIABLE = 'SWITCHYARD_CREDENTIAL_FILE_DIRS';

/** The gateway's own secrets (and their close relatives), never readable through `env:`. */
const GATEWAY_SECRET_VARIABLES: ReadonlySet<string> = new Set([
  'DATABASE_URL',
  'PGPASSWORD',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
]);
/** Prefixes of variables that configure the gateway itself: its admin token, master key, history keys, Temporal API key. */
const GATEWAY_SECRET_PREFIXES: readonly string[] = ['SWITCHYARD_', 'TEMPORAL_'];

/**
 * Why `reference` may not be stored or read, as a sentence for an admin; undefined when it is
 * allowed. `env:NAME` is refused when NAME is one of the gateway's own variables (`DATABASE_URL`,
 * `PGPASSWORD`, the OTLP header variables, anything starting with `SWITCHYARD_` or `TEMPORAL_`,
 * compared case-insensitively); `file:/path` is refused unless the path, resolved (`..`, and
 * symlinks in whatever part of it exists), lies under one of `policy.fileDirs` (likewise
 * resolved). A file need not exist yet. Anything else is refused.
 */
export async function refuseReference(reference: string, policy: CredentialReferencePolicy): Promise<string | undefined> {
  if (reference.startsWith('env:')) {
    const name = reference.slice(4).toUpperCase();
    if (GATEWAY_SECRET_VARIABLES.has(name) || GATEWAY_SECRET_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      return `${reference} names one of the gateway's own settings (DATABASE_URL, PGPASSWORD, OTEL_EXPORTER_OTLP_*HEADERS, SWITCHYARD_*, TEMPORAL_*), which are never sent upstream.`;
    }
    return undefined;
  }
  if (reference.startsWith('file:')) return refuseFile(reference.slice(5), policy.fileDirs);
  return 'A reference is env:NAME or file:/absolute/path.';
}

async function refuseFile(file: string, fileDirs: readonly string[]): Promise<string | undefined> {
  if (fileDirs.length === 0) {
    return `file: references are turned off: set ${CREDENTIAL_FILE_DIRS_VARIABLE} to the directories (absolute paths, colon-separated) they may read from.`;
  }
  if (!path.isAbsolute(file) || file.includes('\0')) return 'A file: reference names an absolute path.';
  const real = await resolvedPath(file);
  const dirs = await Promise.all(fileDirs.map(resolvedPath));
  if (dirs.some((dir) => real.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep))) return undefined;
  return `file:${file} is not under a directory listed in ${CREDENTIAL_FILE_DIRS_VARIABLE}.`;
}

/** Links followed by hand at most (the kernel's own limit is 40). */
const MAX_LINKS = 40;

/**
 * `p` made absolute and normalised, with symlinks resolved in its longest existing prefix, so
 * neither `..` nor a link (in the file itself or any directory above it) can point out of an
 * allowed directory. A dangling link is followed by hand: its target may appear later.
 */
async function resolvedPath(p: string, links = 0): Promise<string> {
  const absolute = path.resolve(p);
  try {
    return await realpath(absolute);
  } catch {
    // Not there (or not reachable): a dangling link, or a path still to be created.
  }
  if (links < MAX_LINKS) {
    const target = await readlink(absolute).catch(() => undefined);
    if (target !== undefined) return resolvedPath(path.resolve(path.dirname(absolute), target), links + 1);
  }
  const parent = path.dirname(absolute);
  if (parent === absolute) return absolute;
  return path.join(await resolvedPath(parent, links), path.basename(absolute));
}
