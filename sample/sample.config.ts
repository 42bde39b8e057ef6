/**
 * The sample's settings, from environment variables, with demo defaults for a local
 * run. Never use these defaults in production: they are published here.
 */
export const sampleConfig = {
  port: Number(process.env.PORT ?? 3000),
  usersnapToken: process.env.USERSNAP_TOKEN ?? 'demo-usersnap-token',
  guuruSecret: process.env.GUURU_SECRET ?? 'secr3t',
  survicateSecret: process.env.SURVICATE_SECRET ?? 'demo-survicate-secret',
  survicateToken: process.env.SURVICATE_TOKEN ?? 'demo-survicate-token',
  shopSurveySecret: process.env.SHOPSURVEY_SECRET ?? 'demo-shopsurvey-secret',
  // base64 of "demo-billing-standard-webhooks!!"
  billingSecret: process.env.BILLING_WEBHOOK_SECRET ?? 'whsec_ZGVtby1iaWxsaW5nLXN0YW5kYXJkLXdlYmhvb2tzISE=',
  githubSecret: process.env.GITHUB_WEBHOOK_SECRET ?? 'demo-github-secret',
  /** Stripe's endpoint secret is used as it is, `whsec_` prefix included. */
  stripeSecret: process.env.STRIPE_WEBHOOK_SECRET ?? 'whsec_demo_stripe_endpoint_secret',
  slackSigningSecret: process.env.SLACK_SIGNING_SECRET ?? 'demo-slack-signing-secret',
  /** Opens the dashboard: `Authorization: Bearer <token>`, or GET /dashboard-login?token=<token> in a browser. */
  dashboardToken: process.env.DASHBOARD_TOKEN ?? 'demo-dashboard-token',
};
