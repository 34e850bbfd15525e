/**
 * The failure converter of encrypted histories, loaded by path (`failureConverterPath`) both
 * outside and inside the workflow sandbox, so it imports nothing but `@temporalio/common`.
 *
 * `encodeCommonAttributes` moves a failure's message and stack trace into an encoded payload,
 * which the history codec then encrypts: upstream error messages can quote prompts. Failure
 * *types* stay plain text (workflows and the HTTP mapping branch on them).
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
