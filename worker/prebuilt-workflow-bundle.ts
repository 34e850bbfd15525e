import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';

/** webpack's configuration, as the bundler's hook sees it (webpack itself is the SDK's dependency, not ours). */
type WebpackConfiguration = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];

/**
 * Workflow bundles built ahead of time (`npm run build`), each next to a manifest of the files
 * webpack built it from, so a worker can tell a bundle that still matches its code from a stale
 * one without running webpack.
 *
 * Why: webpack at start loads itself and its dependencies into the worker process and the heap
 * they grow stays with the process; prebuilding removes that from every worker start (see README
 * "Limits and known gaps", batch worker memory).
 */

/** What a bundle is built with besides the workflow code (each combination is its own file). */
export interface BundleVariant {
  /** Module exporting `failureConverter` (encrypted history); unset: the SDK's default converter. */
  readonly failureConverterPath?: string;
  /** Workflow interceptor modules (tracing); empty: none. */
  readonly workflowInterceptorModules: readonly string[];
}

/** A prebuilt bundle that matches its sources, or why it cannot be used. */
export type PrebuiltBundleCheck = { readonly usable: true; readonly codePath: string } | { readonly usable: false; readonly reason: string };

/** 2: bundles preload shared modules (`SHARED_WORKFLOW_MODULES`); a format-1 bundle is rebuilt. */
const MANIFEST_FORMAT = 2;

/** Written next to each bundle. Paths are relative to the bundle's folder, so a moved tree stays valid. */
interface BundleManifest {
  readonly format: number;
  /** `@temporalio/worker`'s version: its bundler writes the bundle's entry point. */
  readonly sdkVersion: string;
  readonly workflowsPath: string;
  readonly failureConverterPath: string | null;
  readonly workflowInterceptorModules: readonly string[];
  readonly codeSha256: string;
  /** The code webpack compiled and the package.json files it read, each with its SHA-256. */
  readonly inputs: Readonly<Record<string, string>>;
}

/**
 * Modules the reusable V8 context evaluates once and shares between workflows, besides the
 * workflows module itself (preloaded too). Without this, the SDK 1.24 evaluates the workflows
 * module and everything it imports that its own runtime has not loaded — `@temporalio/workflow`'s
 * public API and every Switchyard workflow module — again for each workflow it starts: measured
 * as the largest piece of the workflow thread's time per chat request. Safe because none of them
 * keeps per-workflow state at module level: the SDK's API looks its activator up at each call,
 * and Switchyard's workflow modules hold only constants and `proxyActivities` proxies (which
 * schedule through the calling workflow's activator). The reusable context deep-freezes shared
 * modules, so a module that tried to keep state would fail loudly rather than leak it.
 */
const SHARED_WORKFLOW_MODULES = ['@temporalio/workflow'] as const;

/** The bundler's `preloadModules` for a workflows module (see `SHARED_WORKFLOW_MODULES`). */
export function sharedWorkflowModules(workflowsPath: string): string[] {
  return [...SHARED_WORKFLOW_MODULES, workflowsPath];
}

/** `workflows[-encrypted][-traced].js`: the file name of a variant's bundle. */
export function bundleFileName(variant: BundleVariant): string {
  const encrypted = variant.failureConverterPath === undefined ? '' : '-encrypted';
  const traced = variant.workflowInterceptorModules.length === 0 ? '' : '-traced';
  return `workflows${encrypted}${traced}.js`;
}

/** The bundler options of a variant: the same for a prebuilt bundle and for one built at start. */
export function bundleOptions(workflowsPath: string, variant: BundleVariant): BundleOptions {
  return {
    workflowsPath,
    preloadModules: sharedWorkflowModules(workflowsPath),
    failureConverterPath: variant.failureConverterPath,
    workflowInterceptorModules: variant.workflowInterceptorModules.length === 0 ? undefined : [...variant.workflowInterceptorModules],
    logger: new DefaultLogger('WARN'),
  };
}

/**
 * Bundles the workflows for `variant` into `dir` (created if needed): the bundle, then its
 * manifest, each written to a temporary file and renamed, so a reader never sees half a file
 * and a bundle without its manifest is never taken for fresh.
 *
 * @returns the bundle's path and how many input files its manifest lists.
 * @throws what webpack throws for code that does not bundle.
 */
export async function writePrebuiltBundle(dir: string, workflowsPath: string, variant: BundleVariant): Promise<{ codePath: string; inputs: number }> {
  const read = new Set<string>();
  const options = bundleOptions(workflowsPath, variant);
  const { code } = await bundleWorkflowCode({ ...options, webpackConfigHook: (config) => recordInputs(config, read) });
  const inputs: Record<string, string> = {};
  // The generated entry point lives in webpack's in-memory file system only (isFile drops it);
  // the SDK version and the variant in the manifest stand for it.
  for (const file of [...read].filter(isFile).sort()) inputs[relative(dir, file)] = sha256(readFileSync(file));
  const manifest: BundleManifest = {
    format: MANIFEST_FORMAT,
    sdkVersion: sdkVersion(),
    ...manifestPaths(dir, workflowsPath, variant),
    codeSha256: sha256(Buffer.from(code, 'utf8')),
    inputs,
  };
  mkdirSync(dir, { recursive: true });
  const codePath = path.join(dir, bundleFileName(variant));
  writeAtomically(codePath, code);
  writeAtomically(manifestPath(codePath), `${JSON.stringify(manifest, null, 1)}\n`);
  return { codePath, inputs: Object.keys(inputs).length };
}

/**
 * Whether `dir` holds a bundle of `variant` built from exactly the files on disk now: same SDK,
 * same options, same bytes in every input and in the bundle itself. Reads and hashes the inputs
 * (a few MB), never runs webpack.
 */
export function checkPrebuiltBundle(dir: string, workflowsPath: string, variant: BundleVariant): PrebuiltBundleCheck {
  const codePath = path.join(dir, bundleFileName(variant));
  const manifest = readManifest(manifestPath(codePath));
  if (manifest === undefined || !existsSync(codePath)) return { usable: false, reason: `no prebuilt bundle at ${codePath}` };
  if (manifest.format !== MANIFEST_FORMAT) return { usable: false, reason: `manifest format ${manifest.format}, expected ${MANIFEST_FORMAT}` };
  if (manifest.sdkVersion !== sdkVersion()) return { usable: false, reason: `built with @temporalio/worker ${manifest.sdkVersion}, running ${sdkVersion()}` };
  const expected = manifestPaths(dir, workflowsPath, variant);
  if (
    manifest.workflowsPath !== expected.workflowsPath ||
    manifest.failureConverterPath !== expected.failureConverterPath ||
    manifest.workflowInterceptorModules.join('\n') !== expected.workflowInterceptorModules.join('\n')
  ) {
    return { usable: false, reason: 'built with other bundle options' };
  }
  if (sha256(readFileSync(codePath)) !== manifest.codeSha256) return { usable: false, reason: `${codePath} does not match its manifest` };
  for (const [file, digest] of Object.entries(manifest.inputs)) {
    const absolute = path.resolve(dir, file);
    if (!isFile(absolute)) return { usable: false, reason: `input ${absolute} is gone` };
    if (sha256(readFileSync(absolute)) !== digest) return { usable: false, reason: `input ${absolute} changed since the bundle was built` };
  }
  return { usable: true, codePath };
}

/**
 * Adds a plugin that records the bundle's inputs: the file of every module webpack compiled and
 * every package.json it read (they steer module resolution). Source maps and the TypeScript
 * sources they point at are left out: they only feed the bundle's own source map, and a
 * deployment (the Docker image) ships dist/ without the sources.
 */
function recordInputs(config: WebpackConfiguration, inputs: Set<string>): WebpackConfiguration {
  const recorder = {
    apply(compiler: { hooks: { afterCompile: { tap(name: string, fn: (compilation: CompilationView) => void): void } } }) {
      compiler.hooks.afterCompile.tap('switchyard-bundle-inputs', (compilation) => {
        for (const module of compilation.modules) {
          if ('resource' in module && typeof module.resource === 'string') inputs.add(module.resource.split('?')[0]!);
        }
        for (const file of compilation.fileDependencies) if (path.basename(file) === 'package.json') inputs.add(file);
      });
    },
  };
  return { ...config, plugins: [...(config.plugins ?? []), recorder] };
}

/** The part of webpack's Compilation the recorder reads. */
interface CompilationView {
  readonly modules: Iterable<object>;
  readonly fileDependencies: Iterable<string>;
}

function manifestPaths(
  dir: string,
  workflowsPath: string,
  variant: BundleVariant,
): Pick<BundleManifest, 'workflowsPath' | 'failureConverterPath' | 'workflowInterceptorModules'> {
  return {
    workflowsPath: relative(dir, workflowsPath),
    failureConverterPath: variant.failureConverterPath === undefined ? null : relative(dir, variant.failureConverterPath),
    workflowInterceptorModules: variant.workflowInterceptorModules.map((m) => relative(dir, m)),
  };
}

function readManifest(file: string): BundleManifest | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  return isManifest(parsed) ? parsed : undefined;
}

function isManifest(value: unknown): value is BundleManifest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (
    typeof m.format === 'number' &&
    typeof m.sdkVersion === 'string' &&
    typeof m.workflowsPath === 'string' &&
    (typeof m.failureConverterPath === 'string' || m.failureConverterPath === null) &&
    Array.isArray(m.workflowInterceptorModules) &&
    m.workflowInterceptorModules.every((x) => typeof x === 'string') &&
    typeof m.codeSha256 === 'string' &&
    typeof m.inputs === 'object' &&
    m.inputs !== null &&
    Object.values(m.inputs).every((x) => typeof x === 'string')
  );
}

function manifestPath(codePath: string): string {
  return codePath.replace(/\.js$/, '.manifest.json');
}

let cachedSdkVersion: string | undefined;

function sdkVersion(): string {
  if (cachedSdkVersion === undefined) {
    const pkg: unknown = JSON.parse(readFileSync(require.resolve('@temporalio/worker/package.json'), 'utf8'));
    const version = typeof pkg === 'object' && pkg !== null && 'version' in pkg ? pkg.version : undefined;
    cachedSdkVersion = typeof version === 'string' ? version : 'unknown';
  }
  return cachedSdkVersion;
}

function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, 'utf8');
  renameSync(temporary, file);
}

/** `to` relative to `dir`, with forward slashes (manifests read the same on every platform). */
function relative(dir: string, to: string): string {
  return path.relative(dir, to).split(path.sep).join('/');
}

function isFile(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
