/**
 * An index for the upload sweeper (`workflows/delete-stale-uploads.ts`): it looks every minute
 * for uploads still `uploading` long after they began, which only a process that died mid-upload
 * leaves. Partial, so it holds only the few uploads in progress, not every file ever stored.
 */
export const sql = `
CREATE INDEX files_uploading_created ON files (created_at) WHERE status = 'uploading';
`;
