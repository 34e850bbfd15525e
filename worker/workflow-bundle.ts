import path from 'node:path';
import { bundleWorkflowCode, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from '../observability/logger';
import { bundleOptions, checkPrebuiltBundle, type BundleVariant } from './prebuilt-workflow-bundle';
import { WORKFLOWS_PATH } from './workflows-path';

/**
 * Where `npm run build` writes the prebuilt bundles: `dist/workflow-bundles/`. Running from the
 * TypeScript sources (jest, ts-node) it points at `<repo>/workflow-bundles/`, which does not
 * exist, so those runs bundle at start as before.
 */
export const PREBUILT_BUNDLE_DIR = path.join(__dirname, '..', 'workflow-bundles');

/** The bundle a worker process runs, and where it came from. */
export interface ChosenWorkflowBundle {
  readonly bundle: WorkflowBundleOption;
  /** `prebuilt`: loaded from `codePath`; `bundled`: built by webpack in this process. */
  readonly source: 'prebuilt' | 'bundled';
}

/**
 * The workflow bundle for `variant`: the prebuilt one when it matches the files on disk (the
 * worker then loads it with `{ codePath }`), else one bundled by webpack now, with a warning
 * naming why (bundling at start costs the process tens of MiB of RSS for good).
 *
 * @param dir where prebuilt bundles are looked up; default {@link PREBUILT_BUNDLE_DIR}.
 * @param workflowsPath default {@link WORKFLOWS_PATH}.
 */
export async function chooseWorkflowBundle(opts: {
  variant: BundleVariant;
  logger: Logger;
  dir?: string;
  workflowsPath?: string;
}): Promise<ChosenWorkflowBundle> {
  const workflowsPath = opts.workflowsPath ?? WORKFLOWS_PATH;
  const check = checkPrebuiltBundle(opts.dir ?? PREBUILT_BUNDLE_DIR, workflowsPath, opts.variant);
  if (check.usable) {
    opts.logger.info({ codePath: check.codePath }, 'using the prebuilt workflow bundle');
    return { bundle: { codePath: check.codePath }, source: 'prebuilt' };
  }
  opts.logger.warn({ reason: check.reason }, 'no usable prebuilt workflow bundle (npm run build writes one): bundling the workflows at start');
  return { bundle: await bundleWorkflowCode(bundleOptions(workflowsPath, opts.variant)), source: 'bundled' };
}
