/** The catalog of exportable event types, grouped the way a settings page shows them. */
export const EVENT_TYPE_GROUPS = [
  { group: 'install', label: 'Installs', types: ['install', 'reinstall'] },
  {
    group: 'trial',
    label: 'Trials',
    types: ['trial_started', 'trial_converted', 'trial_cancelled', 'trial_expired', 'trial_renewal_cancelled', 'trial_renewal_reactivated'],
  },
  {
    group: 'subscription',
    label: 'Subscriptions',
    types: [
      'subscription_started',
      'subscription_renewed',
      'subscription_cancelled',
      'subscription_expired',
      'subscription_refunded',
      'subscription_renewal_reactivated',
      'subscription_paused',
      'subscription_product_changed',
      'billing_issue_detected',
      'entered_grace_period',
    ],
  },
  { group: 'purchase', label: 'One-time purchases', types: ['non_subscription_purchase', 'non_subscription_purchase_refunded'] },
] as const;

export const EVENT_TYPES: readonly string[] = EVENT_TYPE_GROUPS.flatMap((g) => g.types);

export function isEventType(value: string): boolean {
  return EVENT_TYPES.includes(value);
}
