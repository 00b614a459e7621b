import { GetObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Keyring } from '../../../crypto/secrets.js';
import type { Pool } from '../../../db/pool.js';
import { contentType, downloadName, formatOfKey } from '../../../export/formats/format.js';
import { parseBucket } from '../../../export/keys.js';
import type { TableName } from '../../../export/tables.js';
import { loadStorageConfig } from '../../../integrations/repo.js';
import { createS3Client } from '../../../s3/client.js';

/** How long a file link works: long enough to click, short enough that a leaked one soon is worthless. */
export const FILE_LINK_TTL_SECONDS = 300;

export interface ExportedFile {
  table: TableName;
  day: string;
  key: string;
  rows: number | null;
  bytes: number | null;
  sha256: string | null;
}

/** The object the latest successful attempt of that table and day wrote, or null when none succeeded. */
export async function latestExportedFile(pool: Pool, integrationId: string, table: TableName, day: string): Promise<ExportedFile | null> {
  const { rows } = await pool.query<{ object_key: string; rows: string | null; bytes: string | null; sha256: string | null }>(
    `SELECT object_key, rows, bytes, sha256 FROM export_runs
     WHERE integration_id = $1 AND day = $2 AND table_name = $3 AND status = 'succeeded' AND object_key IS NOT NULL
     ORDER BY id DESC LIMIT 1`,
    [integrationId, day, table],
  );
  const r = rows[0];
  if (!r) return null;
  return { table, day, key: r.object_key, rows: r.rows === null ? null : Number(r.rows), bytes: r.bytes === null ? null : Number(r.bytes), sha256: r.sha256 };
}

/**
 * A presigned GET for the file, signed locally with the integration's credentials (decrypted here, in
 * the server, and never sent anywhere): no request reaches the storage until the browser follows it.
 * The response is served as a download named like the object (`<table>_<day>.csv`, `.csv.gz` or
 * `.parquet`: the format the day was exported in), with that format's content type.
 */
export async function presignFile(
  pool: Pool,
  keyring: Keyring,
  integrationId: string,
  file: ExportedFile,
): Promise<{ url: string; expiresAt: string; key: string; rows: number | null; bytes: number | null; sha256: string | null }> {
  const { integration, storage } = await loadStorageConfig(pool, keyring, integrationId);
  const s3 = createS3Client(storage);
  try {
    const command = new GetObjectCommand({
      Bucket: parseBucket(integration.bucket).bucket,
      Key: file.key,
      ResponseContentDisposition: `attachment; filename="${downloadName(file.key)}"`,
      ResponseContentType: contentType(formatOfKey(file.key)),
    });
    // The wall clock, not the API's test clock: the storage checks the signature's date against its own.
    const signedAt = new Date();
    const url = await getSignedUrl(s3, command, { expiresIn: FILE_LINK_TTL_SECONDS, signingDate: signedAt });
    return {
      url,
      expiresAt: new Date(signedAt.getTime() + FILE_LINK_TTL_SECONDS * 1000).toISOString(),
      key: file.key,
      rows: file.rows,
      bytes: file.bytes,
      sha256: file.sha256,
    };
  } finally {
    s3.destroy();
  }
}
