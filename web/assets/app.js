// Ferry dashboard: hash-routed views over the JSON API under api/.
// Every piece of data reaches the page through textContent or
// setAttribute; nothing is parsed as HTML.
'use strict';

const SVG_NS = 'http://www.w3.org/2000/svg';
const REFRESH_MS = 2000;

// ---- small DOM helpers ----

// h builds an element. props: class, text, on (event -> function), any
// other key is an attribute. Children are nodes or strings (as text).
function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(el, props, children) {
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

// TOKEN is the server's token for this page, sent with every API call: a
// page on another site can neither read it nor send the header unasked.
const TOKEN = document.querySelector('meta[name="ferry-token"]')?.content || '';

async function api(path, opts) {
  opts = Object.assign({}, opts);
  opts.headers = Object.assign({}, opts.headers, TOKEN ? { 'X-Ferry-Token': TOKEN } : {});
  const res = await fetch('api/' + path, opts);
  let body = null;
  try { body = await res.json(); } catch (e) { /* not JSON */ }
  if (!res.ok) throw new Error((body && body.error) || (res.status + ' ' + res.statusText));
  return body;
}

function post(path, body) {
  return api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body || {}) });
}

const enc = encodeURIComponent;
const traceHref = (id) => '#/trace/' + enc(id);
const queueHref = (name) => '#/queues/' + enc(name);

// statusOf matches the server's filter: pending until the outcome is
// final, failed for a failure condition or a function error.
function statusOf(inv) {
  if (!inv.done) return 'pending';
  const failed = (inv.condition && inv.condition !== 'Success') || inv.functionError;
  return failed ? 'failed' : 'succeeded';
}

// stateOf says where an invocation without a final outcome is (the
// server's state): queued, paused, running, waiting for its retry at T.
function stateOf(inv) {
  const st = statusOf(inv);
  if (st !== 'pending') return st;
  const n = (inv.attempts || []).length;
  const at = fmtTime(inv.nextAttempt);
  switch (inv.state) {
    case 'queued': return 'queued';
    case 'paused': return 'queued (function paused)';
    case 'running': return n ? `running (retry ${n})` : 'running';
    case 'retry-wait': return `waiting for retry ${n} at ${at}`;
    case 'backoff': return `throttled ${inv.throttles}×, tried again at ${at}`;
    case 'delivering': return `delivering outcome (${inv.condition})`;
  }
  return st;
}

function fmtTime(t) {
  if (!t || t.startsWith('0001-')) return '';
  const d = new Date(t);
  return d.toLocaleTimeString([], { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

const fmtMs = (ms) => (ms >= 1000 ? (ms / 1000).toFixed(2) + ' s' : ms >= 10 ? ms.toFixed(1) + ' ms' : ms.toFixed(2) + ' ms');

function pretty(raw) {
  if (raw === undefined || raw === null) return '';
  try { return JSON.stringify(typeof raw === 'string' ? JSON.parse(raw) : raw, null, 2); } catch (e) { return String(raw); }
}

// ---- routing ----

const view = () => document.getElementById('view');
let generation = 0;
let timer = null;

// current returns a check that is true while the view that asked is shown.
function current() {
  const g = generation;
  return () => g === generation;
}

function every(fn) {
  fn();
  timer = setInterval(fn, REFRESH_MS);
}

function show(...nodes) {
  view().replaceChildren(...nodes);
}

function fail(err) {
  return h('p', { class: 'error', role: 'alert', text: err.message || String(err) });
}

function route() {
  generation++;
  if (timer) { clearInterval(timer); timer = null; }
  const [path, query] = (location.hash.slice(1) || '/graph').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  for (const a of document.querySelectorAll('[data-nav]')) {
    a.classList.toggle('active', a.dataset.nav === parts[0]);
  }
  switch (parts[0]) {
    case 'invocations': return invocationsView(params);
    case 'trace': return traceView(parts[1] || '');
    case 'queues': return parts[1] ? queueView(parts[1]) : queuesView();
    case 'invoke': return invokeView(params);
    default: return graphView();
  }
}

// ---- graph ----

function graphView() {
  const live = current();
  const wrap = h('div', { class: 'graph-wrap', id: 'graph' });
  const msg = h('div');
  show(h('h1', { text: 'Stack' }), msg, wrap);
  every(async () => {
    try {
      const g = await api('graph');
      if (!live()) return;
      msg.replaceChildren();
      wrap.replaceChildren(drawGraph(g));
    } catch (e) {
      if (live()) msg.replaceChildren(fail(e));
    }
  });
}

function drawGraph(g) {
  const svg = s('svg', { class: 'graph', width: g.width, height: g.height, viewBox: `0 0 ${g.width} ${g.height}` });
  svg.appendChild(s('defs', {},
    s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      s('path', { d: 'M0 0 L10 5 L0 10 z', fill: '#64748b' }))));
  for (const e of g.edges) {
    const label = s('text', { x: e.labelX, y: e.labelY },
      e.label, e.count > 0 ? s('tspan', { class: 'count', text: ' · ' + e.count }) : null);
    svg.appendChild(s('g', {
      class: 'edge edge-' + e.label.replace(/[^A-Za-z0-9_-]/g, '') + (e.count > 0 ? ' live' : ''),
      'data-from': e.from, 'data-to': e.to, 'data-label': e.label, 'data-count': e.count,
    }, s('title', { text: `${e.from} → ${e.to}: ${e.label} (${e.count})` }),
      s('path', { d: e.path, 'marker-end': 'url(#arrow)' }), label));
  }
  for (const n of g.nodes) {
    const box = s('g', { class: 'node node-' + n.kind.replace(/[^a-z]/g, ''), 'data-id': n.id, 'data-kind': n.kind },
      s('title', { text: `${n.kind}: ${n.label}` }),
      s('rect', { x: n.x, y: n.y, width: n.w, height: n.h, rx: n.kind === 'function' ? 8 : 3 }),
      s('text', { class: 'kind', x: n.x + 10, y: n.y + 16, text: n.kind }),
      s('text', { class: 'label', x: n.x + 10, y: n.y + 35, text: clip(n.label, 24) }));
    const href = n.kind === 'function' ? '#/invocations?function=' + enc(n.label)
      : n.kind === 'queue' ? queueHref(n.label) : null;
    svg.appendChild(href ? s('a', { href }, box) : box);
  }
  return svg;
}

const clip = (t, n) => (t.length > n ? t.slice(0, n - 1) + '…' : t);

// ---- invocations ----

async function functionNames() {
  const g = await api('graph');
  return g.nodes.filter((n) => n.kind === 'function').map((n) => n.label).sort();
}

function select(name, values, chosen, labelAll) {
  return h('select', { name, id: name },
    h('option', { value: '', text: labelAll }),
    values.map((v) => h('option', { value: v, text: v, selected: v === chosen ? 'selected' : null })));
}

async function invocationsView(params) {
  const live = current();
  const fn = params.get('function') || '';
  const status = params.get('status') || '';
  let names = [];
  try { names = await functionNames(); } catch (e) { /* the list still works without it */ }
  if (fn && !names.includes(fn)) names.push(fn);
  if (!live()) return;
  const fnSel = select('function', names, fn, 'all functions');
  const stSel = select('status', ['succeeded', 'failed', 'pending'], status, 'any status');
  const refilter = () => {
    const q = new URLSearchParams();
    if (fnSel.value) q.set('function', fnSel.value);
    if (stSel.value) q.set('status', stSel.value);
    location.hash = '#/invocations' + (q.toString() ? '?' + q : '');
  };
  fnSel.addEventListener('change', refilter);
  stSel.addEventListener('change', refilter);
  const body = h('tbody');
  const msg = h('div');
  show(h('h1', { text: 'Invocations' }),
    h('div', { class: 'toolbar' }, fnSel, stSel),
    msg,
    h('table', { id: 'invocations' },
      h('thead', {}, h('tr', {}, ['request id', 'function', 'status', 'accepted', 'attempts', 'condition'].map((t) => h('th', { text: t })))),
      body));
  const q = new URLSearchParams();
  if (fn) q.set('function', fn);
  if (status) q.set('status', status);
  every(async () => {
    try {
      const list = await api('invocations?' + q);
      if (!live()) return;
      msg.replaceChildren(list.length ? '' : h('p', { class: 'muted', text: 'No invocations yet.' }));
      body.replaceChildren(...list.map((inv) => {
        const st = statusOf(inv);
        return h('tr', { 'data-request-id': inv.requestId },
          h('td', { class: 'mono' }, h('a', { href: traceHref(inv.requestId), text: inv.requestId })),
          h('td', { text: inv.function }),
          h('td', { class: 'status-' + st, 'data-state': inv.state || '', text: stateOf(inv) }),
          h('td', { text: fmtTime(inv.accepted) }),
          h('td', { text: (inv.attempts || []).length }),
          h('td', { text: inv.condition || '' }));
      }));
    } catch (e) {
      if (live()) msg.replaceChildren(fail(e));
    }
  });
}

// ---- trace ----

function traceView(id) {
  const live = current();
  const out = h('div', { id: 'trace' });
  show(h('h1', {}, 'Trace of ', h('span', { class: 'mono', text: id })), out);
  // Later hops appear while the view is open (a destination's queue feeds
  // a trigger), so it keeps polling; it redraws only on a change, which
  // keeps an opened "request and response" open.
  let shown = '';
  const load = async () => {
    try {
      const t = await api('trace/' + enc(id));
      if (!live()) return;
      const key = JSON.stringify(t);
      if (key === shown) return;
      shown = key;
      out.replaceChildren(
        h('p', { class: 'muted' }, 'trace id ', h('span', { class: 'mono', text: t.traceId || '(none)' }),
          ` · ${t.hops.length} hop${t.hops.length === 1 ? '' : 's'}`),
        ...t.hops.map((hp, i) => hopCard(hp, i, id)));
    } catch (e) {
      if (live()) { shown = ''; out.replaceChildren(fail(e)); }
    }
  };
  every(load);
}

function hopCard(hp, i, focus) {
  const st = statusOf(hp);
  const total = Math.max(hp.queueDelayMs + hp.runMs, 0.001);
  const pct = (v) => Math.max(0, (100 * v) / total).toFixed(1) + '%';
  return h('section', { class: 'card hop', 'data-request-id': hp.requestId },
    h('h2', {}, `${i + 1}. `, h('a', { href: '#/invocations?function=' + enc(hp.function), text: hp.function }), ' ',
      h('span', { class: 'status-' + st, 'data-state': hp.state || '', text: stateOf(hp) }),
      hp.requestId === focus ? h('span', { class: 'muted', text: ' (this invocation)' }) : null),
    h('p', { class: 'muted' }, 'request ', h('a', { class: 'mono', href: traceHref(hp.requestId), text: hp.requestId }),
      ` · ${hp.type || ''} · accepted ${fmtTime(hp.accepted)}`,
      hp.condition ? ` · ${hp.condition}` : '', hp.functionError ? ` · ${hp.functionError} error` : '',
      hp.throttles ? ` · throttled ${hp.throttles}×` : ''),
    h('div', { class: 'timing' },
      h('div', { class: 'bar', title: 'queue delay vs run time' },
        h('div', { class: 'delay', 'data-w': pct(hp.queueDelayMs) }),
        h('div', { class: 'run', 'data-w': pct(hp.runMs) })),
      h('span', { class: 'queue-delay', text: `queue delay ${fmtMs(hp.queueDelayMs)}` +
        (hp.coldStartMs ? ` (cold start ${fmtMs(hp.coldStartMs)})` : '') }), ' · ',
      h('span', { class: 'run-time', text: `run ${fmtMs(hp.runMs)}` })),
    attemptsTable(hp.attempts || []),
    deliveriesTable(hp.deliveries || []),
    h('details', {}, h('summary', { text: 'request and response' }),
      h('pre', { class: 'request', text: pretty(hp.request) }),
      h('pre', { class: 'response', text: pretty(hp.response) })));
}

function attemptsTable(attempts) {
  if (!attempts.length) return h('p', { class: 'muted', text: 'No attempt yet.' });
  return h('table', { class: 'attempts' },
    h('thead', {}, h('tr', {}, ['attempt', 'start', 'duration', 'error', 'logs'].map((t) => h('th', { text: t })))),
    h('tbody', {}, attempts.map((a, i) => h('tr', {},
      h('td', { text: i + 1 }),
      h('td', { text: fmtTime(a.start) }),
      h('td', { text: fmtMs(a.duration / 1e6) }),
      h('td', { class: a.errorType ? 'error' : '' }, a.errorType ? h('strong', { text: a.errorType }) : 'ok',
        a.errorMessage ? h('div', { class: 'error-message', text: a.errorMessage }) : null),
      // A runtime writes one record per console call, its line breaks as
      // \r (as on AWS); a page would draw those as spaces.
      h('td', {}, a.logs ? h('pre', { class: 'logs', text: a.logs.replace(/\r/g, '\n    ') }) : '')))));
}

function deliveriesTable(ds) {
  if (!ds.length) return h('p', { class: 'muted', text: 'No deliveries.' });
  return h('table', { class: 'deliveries' },
    h('thead', {}, h('tr', {}, ['delivery', 'target', 'at', 'result'].map((t) => h('th', { text: t })))),
    h('tbody', {}, ds.map((d) => h('tr', {},
      h('td', { text: d.kind }),
      h('td', { class: 'mono', text: d.target }),
      h('td', { text: fmtTime(d.at) }),
      h('td', { class: d.error ? 'error' : 'status-succeeded', text: d.error || 'ok' })))));
}

// ---- queues ----

function queuesView() {
  const live = current();
  const body = h('tbody');
  const msg = h('div');
  show(h('h1', { text: 'Queues' }), msg,
    h('table', { id: 'queues' },
      h('thead', {}, h('tr', {}, ['queue', 'visible', 'in flight', 'delayed', 'dead-letter queue of'].map((t) => h('th', { text: t })))),
      body));
  every(async () => {
    try {
      const qs = await api('queues');
      if (!live()) return;
      msg.replaceChildren();
      body.replaceChildren(...qs.map((q) => h('tr', { 'data-queue': q.name },
        h('td', {}, h('a', { href: queueHref(q.name), text: q.name })),
        h('td', { text: q.visible }), h('td', { text: q.inFlight }), h('td', { text: q.delayed }),
        h('td', { text: q.isDLQ ? (q.sources || []).join(', ') || 'yes' : '' }))));
    } catch (e) {
      if (live()) msg.replaceChildren(fail(e));
    }
  });
}

function queueView(name) {
  const live = current();
  const counts = h('p', { class: 'counts' });
  const msg = h('div', { class: 'result' });
  const msgs = h('div', { id: 'messages' });
  const actions = h('div', { class: 'toolbar' });
  show(h('h1', {}, 'Queue ', h('span', { class: 'mono', text: name })), counts, actions, msg, msgs);

  const peek = async () => {
    try {
      const list = await api('queues/' + enc(name) + '/peek?max=10');
      if (!live()) return;
      msgs.replaceChildren(list.length ? '' : h('p', { class: 'muted', text: 'No visible messages.' }),
        ...list.map((m) => h('div', { class: 'card message' },
          h('p', { class: 'muted' }, h('span', { class: 'mono', text: m.messageId }),
            ` · received ${m.receiveCount}×`, m.traceId ? ' · trace ' + m.traceId : ''),
          h('pre', { text: pretty(m.body) }))));
    } catch (e) {
      if (live()) msg.replaceChildren(fail(e));
    }
  };
  const act = async (path, done) => {
    try { done(await post('queues/' + enc(name) + '/' + path)); } catch (e) { msg.replaceChildren(fail(e)); }
    peek();
  };
  const purgeBtn = h('button', { class: 'danger', id: 'purge', text: 'Purge…' });
  purgeBtn.addEventListener('click', () => {
    const yes = h('button', { class: 'danger', id: 'purge-confirm', text: `Yes, delete every message in ${name}` });
    const no = h('button', { text: 'Cancel' });
    yes.addEventListener('click', () => act('purge', () => msg.replaceChildren(h('p', { text: 'Purged.' }))));
    no.addEventListener('click', () => msg.replaceChildren());
    msg.replaceChildren(h('p', {}, 'Purge cannot be undone. ', yes, ' ', no));
  });
  const peekBtn = h('button', { id: 'peek', text: 'Peek' });
  peekBtn.addEventListener('click', peek);
  actions.append(peekBtn, purgeBtn);

  every(async () => {
    try {
      const q = (await api('queues')).find((x) => x.name === name);
      if (!live()) return;
      if (!q) { counts.replaceChildren(fail(new Error(`queue "${name}" not found`))); return; }
      counts.textContent = `${q.visible} visible · ${q.inFlight} in flight · ${q.delayed} delayed` +
        (q.isDLQ ? ` · dead-letter queue of ${(q.sources || []).join(', ')}` : '');
      if (q.isDLQ && !document.getElementById('redrive')) {
        const rd = h('button', { class: 'primary', id: 'redrive', text: 'Redrive to source' });
        rd.addEventListener('click', () => act('redrive', (r) => msg.replaceChildren(h('p', { text: `Moved ${r.moved} message(s).` }))));
        actions.append(rd);
      }
    } catch (e) {
      if (live()) counts.replaceChildren(fail(e));
    }
  });
  peek();
}

// ---- invoke ----

async function invokeView(params) {
  const live = current();
  let names = [];
  try { names = await functionNames(); } catch (e) { show(fail(e)); return; }
  if (!live()) return;
  const fn = h('select', { name: 'function', id: 'invoke-function', required: 'required' },
    names.map((n) => h('option', { value: n, text: n, selected: n === params.get('function') ? 'selected' : null })));
  const payload = h('textarea', { name: 'payload', id: 'invoke-payload', spellcheck: 'false' });
  payload.value = '{\n  "amount": 42\n}';
  const result = h('div', { id: 'invoke-result' });
  const form = h('form', { id: 'invoke-form' },
    h('p', {}, h('label', { for: 'invoke-function', text: 'Function ' }), fn),
    h('p', {}, h('label', { for: 'invoke-payload', text: 'JSON payload' }), h('br'), payload),
    h('button', { class: 'primary', type: 'submit', text: 'Invoke (Event)' }),
    result);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let body;
    try { body = JSON.parse(payload.value || '{}'); } catch (e) {
      result.replaceChildren(fail(new Error('payload is not valid JSON: ' + e.message)));
      return;
    }
    try {
      const r = await post('invoke', { function: fn.value, payload: body });
      result.replaceChildren(h('p', {}, 'Accepted: request ',
        h('a', { class: 'mono', id: 'invoke-request-id', href: traceHref(r.requestId), text: r.requestId }),
        ' · ', h('a', { href: '#/invocations?function=' + enc(r.function), text: 'all invocations of ' + r.function })));
    } catch (e) {
      result.replaceChildren(fail(e));
    }
  });
  show(h('h1', { text: 'Invoke async' }), form);
}

// Widths of timing bars are set from data-w after render: inline style
// attributes would need 'unsafe-inline' under the page's CSP, CSSOM does not.
new MutationObserver(() => {
  for (const el of document.querySelectorAll('[data-w]')) {
    el.style.width = el.dataset.w;
    el.removeAttribute('data-w');
  }
}).observe(document.documentElement, { childList: true, subtree: true });

window.addEventListener('hashchange', route);
route();
