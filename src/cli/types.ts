import type { Static } from '@fastify/type-provider-typebox';
import type { Backfill, BackfillList, BackfillStarted, CancelBackfillResponse, PauseBackfillResponse, StartBackfillBody } from '../api/schemas/backfills.js';
import type { ErrorResponse } from '../api/schemas/common.js';
import type { EventTypeCatalog } from '../api/schemas/event-types.js';
import type { ExportsResponse, LedgerEntry } from '../api/schemas/exports.js';
import type { CreateIntegrationBody, Integration, IntegrationList, PatchIntegrationBody, TestConnectionResponse } from '../api/schemas/integrations.js';
import type { Schedule, TriggerResponse } from '../api/schemas/schedule.js';
import type { ResumeResponse } from '../api/schemas/schedule.js';
import type { AlertTestResponse } from '../api/schemas/integrations.js';

/**
 * The API's request and response shapes, taken from its TypeBox schemas (types only: nothing of the
 * server is loaded at run time), so the CLI and the API cannot drift apart unnoticed.
 */
export type IntegrationView = Static<typeof Integration>;
export type IntegrationListView = Static<typeof IntegrationList>;
export type CreateIntegrationRequest = Static<typeof CreateIntegrationBody>;
export type PatchIntegrationRequest = Static<typeof PatchIntegrationBody>;
export type TestConnectionView = Static<typeof TestConnectionResponse>;
export type StartBackfillRequest = Static<typeof StartBackfillBody>;
export type BackfillStartedView = Static<typeof BackfillStarted>;
export type BackfillView = Static<typeof Backfill>;
export type BackfillListView = Static<typeof BackfillList>;
export type CancelBackfillView = Static<typeof CancelBackfillResponse>;
export type PauseBackfillView = Static<typeof PauseBackfillResponse>;
export type ScheduleView = Static<typeof Schedule>;
export type TriggerView = Static<typeof TriggerResponse>;
export type ExportsView = Static<typeof ExportsResponse>;
export type LedgerEntryView = Static<typeof LedgerEntry>;
export type EventTypeCatalogView = Static<typeof EventTypeCatalog>;
export type ApiErrorBody = Static<typeof ErrorResponse>;
// issue 12
export type ResumeView = Static<typeof ResumeResponse>;
export type AlertTestView = Static<typeof AlertTestResponse>;
export type TableName = LedgerEntryView['table'];
