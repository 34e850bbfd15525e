// The workflow bundle's entry point: every workflow the worker registers.
export { chatCompletionWorkflow } from './chat-completion';
export { embeddingsWorkflow } from './embeddings';
export { releaseExpiredReservationsWorkflow } from './release-expired-reservations';
export { budgetAlertWorkflow } from './budget-alert';
export { redeliverBudgetAlertsWorkflow } from './redeliver-budget-alerts';
export { batchWorkflow } from './batch';
