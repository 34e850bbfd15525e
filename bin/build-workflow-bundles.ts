/**
 * Run by `npm run build` after tsc: bundles the workflows once per variant (history encryption on
 * or off × tracing on or off) into dist/workflow-bundles/, so workers load a file instead of
 * running webpack at start. A variant whose bundle still matches its inputs is left alone.
 */
import { TRACING_WORKFLOW_MODULES } from '../observability/tracing';
import { FAILURE_CONVERTER_PATH } from '../temporal/data-converter';
import { checkPrebuiltBundle, writePrebuiltBundle, type BundleVariant } from '../worker/prebuilt-workflow-bundle';
import { PREBUILT_BUNDLE_DIR } from '../worker/workflow-bundle';
import { WORKFLOWS_PATH } from '../worker/workflows-path';

/** Every combination a worker can ask for (see `startGateway`). */
const VARIANTS: readonly BundleVariant[] = [
  { failureConverterPath: FAILURE_CONVERTER_PATH, workflowInterceptorModules: [] },
  { failureConverterPath: undefined, workflowInterceptorModules: [] },
  { failureConverterPath: FAILURE_CONVERTER_PATH, workflowInterceptorModules: TRACING_WORKFLOW_MODULES },
  { failureConverterPath: undefined, workflowInterceptorModules: TRACING_WORKFLOW_MODULES },
];

async function main(): Promise<void> {
  for (const variant of VARIANTS) {
    if (checkPrebuiltBundle(PREBUILT_BUNDLE_DIR, WORKFLOWS_PATH, variant).usable) continue;
    const { codePath, inputs } = await writePrebuiltBundle(PREBUILT_BUNDLE_DIR, WORKFLOWS_PATH, variant);
    process.stderr.write(`[switchyard] workflow bundle ${codePath} (${inputs} inputs)\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`switchyard: building the workflow bundles failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
