/** Table types of webhook endpoints, deliveries and their attempts (migration 0005). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the webhooks capability
export interface WebhookTables {}
