/**
 * How long the export keeps retrying, in one place: the day's workflow sets its activity options from
 * these, and the orphaned-upload sweep derives from them how long a live attempt can hold an upload.
 * Pure constants (milliseconds), so workflow code may import them.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Backoff cap between attempts. Once the provider (or Postgres) is back, the next attempt comes within
 * this, so recovery after an outage costs minutes, not the outage's length again.
 */
export const RETRY_MAX_INTERVAL_MS = 2 * MINUTE;

/**
 * How long a short activity (plan, open / complete the upload, manifest, ledger) keeps retrying a
 * transient failure. A provider outage of a few hours must be ridden out and the day delivered when it
 * returns; an outage longer than this fails the day, which a rerun or backfill then delivers.
 */
export const SHORT_SCHEDULE_TO_CLOSE_MS = 12 * HOUR;
export const SHORT_START_TO_CLOSE_MS = 2 * MINUTE;
/**
 * A short activity heartbeats on a timer while it runs, so a lost attempt (its worker killed, or its
 * completion lost to a Temporal server restart) is retried after this, not after SHORT_START_TO_CLOSE_MS.
 */
export const SHORT_HEARTBEAT_TIMEOUT_MS = 20_000;
/**
 * A short activity's S3 requests (create, abort, list uploads, put a manifest) each end within this, so
 * the SDK's two attempts fit in SHORT_START_TO_CLOSE_MS and a hung request fails the attempt in time.
 */
export const SHORT_REQUEST_TIMEOUT_MS = 30_000;
/** Completion reads a resumed file back to hash it, so one attempt may take a while. */
export const COMPLETE_START_TO_CLOSE_MS = 1 * HOUR;

/**
 * The streaming upload: one attempt may legitimately take hours on a slow provider, and the whole
 * activity must still outlast an outage of SHORT_SCHEDULE_TO_CLOSE_MS on top of that.
 */
export const UPLOAD_START_TO_CLOSE_MS = 6 * HOUR;
export const UPLOAD_SCHEDULE_TO_CLOSE_MS = 24 * HOUR;
/** A killed worker's upload attempt is retried once this passes without a heartbeat. */
export const UPLOAD_HEARTBEAT_TIMEOUT_MS = 20_000;

/**
 * The longest a live workflow can keep one multipart upload open: the upload is created by the last
 * attempt of startFile, then streamed by uploadParts and closed by completeFile or abandonFile, each
 * within its schedule-to-close bound. An open upload of ours older than this has no live owner.
 */
export const MAX_LIVE_UPLOAD_AGE_MS = SHORT_START_TO_CLOSE_MS + UPLOAD_SCHEDULE_TO_CLOSE_MS + 2 * SHORT_SCHEDULE_TO_CLOSE_MS;
