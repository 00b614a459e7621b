import { headline, type AlertPayload } from './events.js';

/** Slack's incoming-webhook JSON: mrkdwn text a person reads in the channel. */
export function slackMessage(p: AlertPayload): { text: string } {
  const icon =
    p.event === 'export.failed' || p.event === 'integration.auto_paused' ? ':red_circle:' : p.event === 'alert.test' ? ':wave:' : ':large_green_circle:';
  const lines = [`${icon} *ua-export*: ${escape(headline(p))}`];
  for (const t of p.tables ?? []) lines.push(`• \`${t.table}\` after ${t.attempts} attempt(s): ${escape(t.error ?? 'failed')}`);
  if (!p.tables && p.error) lines.push(`> ${escape(p.error)}`);
  for (const r of p.redelivered ?? []) lines.push(`• \`${r.table}\`: ${r.rowsBefore} → ${r.rowsAfter} rows`);
  if (p.autoPaused) lines.push(`> ${escape(p.autoPaused.reason)}`, 'Fix the cause, then resume with catch-up: `ua-export schedule resume <id> --catch-up`');
  if (p.backfill?.failedDays.length)
    lines.push(`${p.backfill.failedDays.length} day(s) failed, first: ${p.backfill.failedDays[0]!.day}: ${escape(p.backfill.failedDays[0]!.error)}`);
  if (p.uiUrl) lines.push(`<${p.uiUrl}|Open in Temporal>`);
  return { text: lines.join('\n') };
}

// Slack's mrkdwn treats &, < and > as control characters.
function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
