import type { WebhookOutcome } from '../module/webhook-events.js';
import { html, SafeHtml } from './dashboard-html.js';
import type {
  DashboardDeadLetters,
  DashboardDeliveryDetail,
  DashboardDeliveryList,
  DashboardOutcomeCounts,
  DashboardOverview,
  DashboardReplay,
  DashboardTimelineBucket,
} from './dashboard.models.js';

/** Links of a page: the dashboard's root URL path as this request reached it (global prefix included). */
export interface ViewContext {
  readonly base: string;
}

const COLORS = {
  handled: '#2e7d32',
  queued: '#6a1b9a',
  duplicate: '#78909c',
  handshake: '#00838f',
  rejected: '#ef6c00',
  failed: '#c62828',
} as const;
const STACKED = ['handled', 'queued', 'duplicate', 'handshake', 'rejected', 'failed'] as const;

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:.7rem 1rem;display:flex;flex-wrap:wrap;gap:.4rem 1.2rem;align-items:baseline}
header strong{font-size:1.05rem;margin-right:.6rem}header a{color:#cfe3ff;text-decoration:none}header a:hover{text-decoration:underline}
main{padding:1rem;max-width:1200px;margin:0 auto}h1{font-size:1.3rem;margin:.2rem 0 1rem}h2{font-size:1.05rem;margin:1.4rem 0 .5rem}
.scroll{overflow-x:auto;background:#fff;border:1px solid #dde1e7;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.9rem}th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #eceff3;vertical-align:top}
th{background:#f0f2f5;font-weight:600;white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.o{display:inline-block;padding:0 .45rem;border-radius:9px;font-size:.8rem;color:#fff;background:#546e7a}
.o-handled{background:${COLORS.handled}}.o-queued{background:${COLORS.queued}}.o-duplicate{background:${COLORS.duplicate}}.o-handshake{background:${COLORS.handshake}}.o-rejected{background:${COLORS.rejected}}.o-failed{background:${COLORS.failed}}.o-verified{background:#1565c0}
.legend{display:flex;flex-wrap:wrap;gap:.3rem 1rem;font-size:.85rem;margin:.3rem 0}.sw{display:inline-block;width:.8rem;height:.8rem;border-radius:2px;margin-right:.3rem;vertical-align:-1px}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.8rem}label{display:flex;flex-direction:column;font-size:.8rem;color:#4a5261}
select,button{font:inherit;padding:.25rem .5rem}button{cursor:pointer;border:1px solid #1565c0;background:#1565c0;color:#fff;border-radius:4px}
code,pre{font:.85rem/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}pre{white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #dde1e7;padding:.6rem;border-radius:6px;max-height:30rem;overflow:auto}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.6rem .8rem}dt{font-weight:600}dd{margin:0;word-break:break-all}
.muted{color:#6b7382}.chart{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:.5rem}svg{display:block;width:100%;height:140px}
.inline{display:inline;margin:0}
`;

/** The whole page around `body`. */
export function layout(context: ViewContext, title: string, body: SafeHtml): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="no-referrer" />
        <title>${title} · Webhooks dashboard</title>
        <style>
          ${rawStyle()}
        </style>
      </head>
      <body>
        <header>
          <strong>Webhooks dashboard</strong> <a href="${context.base}">Overview</a
          ><a href="${context.base}/deliveries">Recent deliveries</a
          ><a href="${context.base}/dead-letters">Dead letters</a>
        </header>
        <main>
          <h1>${title}</h1>
          ${body}
        </main>
      </body>
    </html>`.value;
}

// The style sheet is a constant of this file, not a value from a request.
function rawStyle(): SafeHtml {
  return new SafeHtml(STYLE);
}

export function overviewView(context: ViewContext, model: DashboardOverview): string {
  const table = (label: string, pick: (counts: DashboardOverview['sources'][number]) => DashboardOutcomeCounts) =>
    html` <h2>${label}</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Source</th>
              <th class="n">Verified</th>
              <th class="n">Handled</th>
              <th class="n">Queued</th>
              <th class="n">Duplicate</th>
              <th class="n">Handshake</th>
              <th class="n">Rejected</th>
              <th class="n">Failed</th>
              <th>Rejected by reason</th>
            </tr>
          </thead>
          <tbody>
            ${model.sources.map((source) => {
              const counts = pick(source);
              const link = (outcome: WebhookOutcome, count: number) =>
                html`<a
                  href="${context.base}/deliveries?source=${encodeURIComponent(source.source)}&amp;outcome=${outcome}"
                  >${count}</a
                >`;
              return html`<tr>
                <td>
                  <a href="${context.base}/deliveries?source=${encodeURIComponent(source.source)}">${source.source}</a>
                </td>
                <td class="n">${link('verified', counts.verified)}</td>
                <td class="n">${link('handled', counts.handled)}</td>
                <td class="n">${link('queued', counts.queued)}</td>
                <td class="n">${link('duplicate', counts.duplicate)}</td>
                <td class="n">${link('handshake', counts.handshake)}</td>
                <td class="n">${link('rejected', counts.rejected)}</td>
                <td class="n">${link('failed', counts.failed)}</td>
                <td>
                  ${Object.entries(counts.rejectedByReason).map(
                    ([reason, count]) =>
                      html`<a
                          href="${context.base}/deliveries?source=${encodeURIComponent(source.source)}&amp;reason=${encodeURIComponent(reason)}"
                          ><code>${reason}</code></a
                        >
                        ${count} `,
                  )}
                </td>
              </tr>`;
            })}
          </tbody>
        </table>
      </div>`;
  return layout(
    context,
    'Overview',
    html`<h2>Deliveries in the last hour, by minute</h2>
      <div class="chart">
        ${chart(model.timeline)}
        <div class="legend">
          ${STACKED.map((outcome) => html`<span><span class="sw" style="background:${COLORS[outcome]}"></span>${outcome}</span>`)}
        </div>
      </div>
      ${table('Last hour', (source) => source.lastHour)}${table('Last 24 hours', (source) => source.last24Hours)}
      <p class="muted">
        Counted per outcome of each attempt: every accepted request is verified first, then handled, queued, a
        duplicate, a handshake or failed; a queue worker's run counts its own outcome. Generated ${model.generatedAt}.
      </p>`,
  );
}

/** Stacked bars, one per minute, each with a `<title>` that says its counts. */
function chart(buckets: readonly DashboardTimelineBucket[]): SafeHtml {
  const width = 600;
  const height = 120;
  const barWidth = width / Math.max(1, buckets.length);
  const max = Math.max(1, ...buckets.map((bucket) => STACKED.reduce((sum, outcome) => sum + bucket[outcome], 0)));
  const bars = buckets.map((bucket, index) => {
    let y = height;
    const parts = STACKED.filter((outcome) => bucket[outcome] > 0).map((outcome) => {
      const h = (bucket[outcome] / max) * (height - 4);
      y -= h;
      return html`<rect
        x="${(index * barWidth + 1).toFixed(1)}"
        y="${y.toFixed(1)}"
        width="${(barWidth - 2).toFixed(1)}"
        height="${h.toFixed(1)}"
        fill="${COLORS[outcome]}"
      ></rect>`;
    });
    const label = `${bucket.start.slice(11, 16)} UTC: ${STACKED.map((outcome) => `${bucket[outcome]} ${outcome}`).join(', ')}`;
    return html`<g
      ><title>${label}</title
      ><rect
        x="${(index * barWidth).toFixed(1)}"
        y="0"
        width="${barWidth.toFixed(1)}"
        height="${height}"
        fill="transparent"
      ></rect
      >${parts}</g
    >`;
  });
  return html`<svg
    viewBox="0 0 ${width} ${height}"
    preserveAspectRatio="none"
    role="img"
    aria-label="Deliveries per minute by outcome, last hour (highest bar: ${max})"
  >
    <line x1="0" y1="${height - 0.5}" x2="${width}" y2="${height - 0.5}" stroke="#cfd5dd"></line>
    ${bars}
  </svg>`;
}

export function listView(
  context: ViewContext,
  model: DashboardDeliveryList,
  outcomes: readonly WebhookOutcome[],
): string {
  const option = (value: string, selected: string | undefined) =>
    html`<option value="${value}" ${selected === value ? html` selected` : false}>${value}</option>`;
  return layout(
    context,
    'Recent deliveries',
    html`<form class="filters" method="get" action="${context.base}/deliveries">
        <label
          >Source<select name="source">
            <option value="">any</option>
            ${model.sources.map((s) => option(s, model.filters.source))}
          </select></label
        >
        <label
          >Outcome<select name="outcome">
            <option value="">any</option>
            ${outcomes.map((o) => option(o, model.filters.outcome))}
          </select></label
        >
        <label
          >Reason<select name="reason">
            <option value="">any</option>
            ${model.reasons.map((r) => option(r, model.filters.reason))}
          </select></label
        >
        <button type="submit">Filter</button> <a href="${context.base}/deliveries">clear</a>
      </form>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Time (UTC)</th>
              <th>Source</th>
              <th>Event</th>
              <th>Delivery id</th>
              <th>Outcome</th>
              <th>Reason</th>
              <th class="n">Verify ms</th>
              <th class="n">Validate ms</th>
              <th class="n">Handlers ms</th>
            </tr>
          </thead>
          <tbody>
            ${model.deliveries.map(
              (d) =>
                html`<tr>
                  <td><a href="${context.base}/deliveries/${d.id}">${d.at.slice(0, 19).replace('T', ' ')}</a></td>
                  <td>
                    ${d.source}${d.tenant === undefined ? false : html` <span class="muted">/ ${d.tenant}</span>`}
                  </td>
                  <td>${d.event ?? ''}</td>
                  <td>${shortId(d.deliveryId)}</td>
                  <td>
                    <span class="o o-${d.outcome}">${d.outcome}</span
                    >${d.via === 'queue' ? html` <span class="muted">worker</span>` : false}
                  </td>
                  <td>${d.reason ? html`<code>${d.reason}</code>` : ''}</td>
                  <td class="n">${d.verifyMs ?? ''}</td>
                  <td class="n">${d.validateMs ?? ''}</td>
                  <td class="n">${d.handlersMs ?? ''}</td>
                </tr>`,
            )}
            ${
              model.deliveries.length === 0
                ? html`<tr>
                    <td colspan="9" class="muted">No deliveries match.</td>
                  </tr>`
                : false
            }
          </tbody>
        </table>
      </div>`,
  );
}

export function deliveryView(context: ViewContext, model: DashboardDeliveryDetail, showBodies: boolean): string {
  const verification = model.verified
    ? html`signature verified${model.verifyMs === undefined ? '' : ` in ${model.verifyMs} ms`}`
    : html`refused: <code>${model.reason ?? 'unknown'}</code>`;
  return layout(
    context,
    `Delivery ${model.deliveryId ? model.deliveryId.slice(0, 16) : model.id}`,
    html`<dl>
        <dt>Received</dt>
        <dd>${model.at}</dd>
        <dt>Source</dt>
        <dd>${model.source}</dd>
        ${
          model.tenant === undefined
            ? false
            : html`<dt>Tenant</dt>
                <dd>${model.tenant}</dd>`
        }
        <dt>Event</dt>
        <dd>${model.event ?? '—'}</dd>
        <dt>Delivery id</dt>
        <dd>${shortId(model.deliveryId)}</dd>
        <dt>Attempt id</dt>
        <dd><code>${model.attemptId}</code></dd>
        <dt>Outcome</dt>
        <dd>
          <span class="o o-${model.outcome}">${model.outcome}</span
          >${model.status === undefined ? '' : ` (HTTP ${model.status})`}, via ${model.via}
        </dd>
        <dt>Verification</dt>
        <dd>${verification}</dd>
        ${
          model.reason
            ? html`<dt>Reason</dt>
                <dd><code>${model.reason}</code></dd>`
            : false
        }
        ${
          model.detail
            ? html`<dt>Detail</dt>
                <dd>${model.detail}</dd>`
            : false
        }
        <dt>Durations</dt>
        <dd>
          verify ${model.verifyMs ?? '—'} ms · validate ${model.validateMs ?? '—'} ms · handlers
          ${model.handlersMs ?? '—'} ms
        </dd>
      </dl>
      <h2>Handler runs</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Handler</th>
              <th>Result</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            ${model.handlers.map(
              (run) =>
                html`<tr>
                  <td><code>${run.handler}</code></td>
                  <td>${run.succeeded ? 'succeeded' : 'failed'}</td>
                  <td>${run.error ?? ''}</td>
                </tr>`,
            )}${
              model.handlers.length === 0
                ? html`<tr>
                    <td colspan="3" class="muted">No handler ran.</td>
                  </tr>`
                : false
            }
          </tbody>
        </table>
      </div>
      <h2>Headers</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Name</th>
              <th>Value</th>
            </tr>
          </thead>
          <tbody>
            ${Object.entries(model.headers).map(
              ([name, value]) =>
                html`<tr>
                  <td><code>${name}</code></td>
                  <td><code>${Array.isArray(value) ? value.join(', ') : value}</code></td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <h2>Body</h2>
      ${
        showBodies && model.body !== undefined
          ? html`<pre>${model.body}</pre>`
          : html`<p class="muted">
              ${model.bodyBytes === undefined ? 'Not read.' : `${model.bodyBytes} bytes, not shown`}${showBodies ? '' : ' (showBodies is off).'}
            </p>`
      }`,
  );
}

export function deadLettersView(context: ViewContext, model: DashboardDeadLetters): string {
  if (!model.queueMode) {
    return layout(
      context,
      'Dead letters',
      html`<p>
        Dead letters exist in queue mode only:
        <code>WebhooksModule.forRoot({ processing: 'queue', queue: { connection, jobSigningKey } })</code>. Inline
        deliveries that fail are answered with an error, and their sender retries.
      </p>`,
    );
  }
  const csrf = html`<input type="hidden" name="csrf" value="${model.csrfToken}" />`;
  const sources = [...new Set(model.deadLetters.map((entry) => entry.source))];
  return layout(
    context,
    'Dead letters',
    html`<p>
        ${model.deadLetters.length} failed ${model.deadLetters.length === 1 ? 'delivery' : 'deliveries'}. A replay runs
        the handlers again through the workers and shows what came of it.
      </p>
      ${sources.map(
        (source) =>
          html`<form class="inline" method="post" action="${context.base}/dead-letters/replay">
            ${csrf}<input type="hidden" name="source" value="${source}" /><button type="submit">
              Replay all of ${source}
            </button>
          </form> `,
      )}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Failed at (UTC)</th>
              <th>Source</th>
              <th>Event</th>
              <th>Delivery id</th>
              <th class="n">Attempts</th>
              <th>Reason</th>
              <th>Error</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            ${model.deadLetters.map(
              (entry) =>
                html`<tr>
                  <td>${entry.failedAt.slice(0, 19).replace('T', ' ')}</td>
                  <td>${entry.source}</td>
                  <td>${entry.event ?? ''}</td>
                  <td>${shortId(entry.deliveryId)}</td>
                  <td class="n">${entry.attempts}</td>
                  <td>${entry.reason ? html`<code>${entry.reason}</code>` : ''}</td>
                  <td>${entry.error}</td>
                  <td>
                    <form
                      class="inline"
                      method="post"
                      action="${context.base}/dead-letters/${encodeURIComponent(entry.id)}/replay"
                    >
                      ${csrf}<button type="submit">Replay</button>
                    </form>
                  </td>
                </tr>`,
            )}${
              model.deadLetters.length === 0
                ? html`<tr>
                    <td colspan="8" class="muted">No dead letters.</td>
                  </tr>`
                : false
            }
          </tbody>
        </table>
      </div>`,
  );
}

export function replayView(context: ViewContext, model: DashboardReplay): string {
  return layout(
    context,
    'Replay',
    html`${model.results.length === 0 ? html`<p>Nothing was replayed: no such dead letter.</p>` : false}
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Dead letter</th>
              <th>Result</th>
              <th>Error</th>
            </tr>
          </thead>
          <tbody>
            ${model.results.map(
              (result) =>
                html`<tr>
                  <td><code>${result.id}</code></td>
                  <td><span class="o o-${result.status}">${result.status}</span></td>
                  <td>${result.error ?? ''}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <p><a href="${context.base}/dead-letters">Back to the dead letters</a></p>`,
  );
}

/** A delivery id cut to 16 characters (the whole one in its title): ids derived from signatures are digests, long and alike. */
function shortId(id: string | undefined): SafeHtml {
  if (id === undefined) return html`<span class="muted">—</span>`;
  return id.length <= 16 ? html`<code>${id}</code>` : html`<code title="${id}">${id.slice(0, 16)}…</code>`;
}
