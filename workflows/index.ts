// The workflow bundle's entry point: every workflow the worker registers.
export { chatCompletionWorkflow } from './chat-completion';
export { embeddingsWorkflow } from './embeddings';
export { releaseExpiredReservationsWorkflow } from './release-expired-reservations';
