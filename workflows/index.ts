// The workflow bundle's entry point: every workflow the worker registers.
export { chatCompletionWorkflow } from './chat-completion';
export { embeddingsWorkflow } from './embeddings';
export { releaseExpiredReservationsWorkflow } from './release-expired-reservations';
export { budgetAlertWorkflow } from './budget-alert';
export { redeliverBudgetAlertsWorkflow } from './redeliver-budget-alerts';
export { deleteExpiredRequestBodiesWorkflow } from './delete-expired-request-bodies';
export { deleteStaleUploadsWorkflow } from './delete-stale-uploads';
export { deploymentHealthCheckWorkflow } from './health-check';
export { keyRotationWorkflow } from './key-rotation';
export { credentialRotationWorkflow } from './credential-rotation';
export { scheduledKeyRotationsWorkflow } from './scheduled-key-rotations';
export { batchWorkflow } from './batch';
