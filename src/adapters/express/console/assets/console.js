// The console's script: fills the server-rendered page from /console/api, every 1.5 s
// (dead letters: on demand and every 10 s). Text goes in with textContent only, never as HTML.
'use strict';
(function () {
  const page = document.body.dataset.page;
  const STATUSES = ['success', 'failure', 'dead_letter', 'duplicate'];

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function svg(tag, attrs) {
    const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
  }

  function age(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    if (ms < 3600000) return `${Math.floor(ms / 60000)} min`;
    if (ms < 86400000) return `${Math.floor(ms / 3600000)} h`;
    return `${Math.floor(ms / 86400000)} d`;
  }

  function badge(text, cls) {
    return el('span', { class: `badge ${cls || text}`, text: text.replace('_', ' ') });
  }

  function fillTable(id, rows, emptyText, columns) {
    const body = document.querySelector(`#${id} tbody`);
    body.replaceChildren();
    if (rows.length === 0) {
      body.append(el('tr', {}, [el('td', { class: 'empty', colspan: String(columns), text: emptyText })]));
      return body;
    }
    for (const row of rows) body.append(row);
    return body;
  }

  function cells(values) {
    return values.map((v) => (v instanceof Node ? el('td', {}, [v]) : el('td', { text: String(v) })));
  }

  async function getJson(url) {
    const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(body.detail || body.error || `HTTP ${res.status}`);
    return body;
  }

  function showStatus(overview) {
    const status = document.getElementById('status');
    if (!status) return;
    const ok = overview.status.ready && overview.status.live;
    status.className = `badge ${ok ? 'ok' : 'bad'}`;
    status.textContent = ok ? 'ready' : `not ready${overview.status.reason ? `: ${overview.status.reason}` : ''}`;
  }

  function drawChart(rates) {
    const chart = document.getElementById('chart');
    const width = 600;
    const height = 140;
    const samples = rates.samples;
    const max = Math.max(1, ...samples.map((s) => STATUSES.reduce((n, k) => n + s[k], 0)));
    const barWidth = width / samples.length;
    const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: 'none' });
    root.append(svg('line', { class: 'axis', x1: 0, y1: height, x2: width, y2: height }));
    samples.forEach((sample, i) => {
      let y = height;
      for (const status of STATUSES) {
        const h = (sample[status] / max) * (height - 4);
        if (h <= 0) continue;
        y -= h;
        const bar = svg('rect', { class: `bar ${status}`, x: (i * barWidth + 0.5).toFixed(1), y: y.toFixed(1), width: Math.max(1, barWidth - 1).toFixed(1), height: h.toFixed(1) });
        bar.append(svg('title'));
        bar.firstChild.textContent = `${sample[status]} ${status.replace('_', ' ')}`;
        root.append(bar);
      }
    });
    // Labels in HTML: the drawing stretches to the page's width, text in it would too.
    const axis = el('div', { class: 'axis-labels' }, [el('span', { text: `-${samples.length} s` }), el('span', { text: `peak ${max}/s` }), el('span', { text: 'now' })]);
    chart.replaceChildren(root, axis);
    const sum = (k) => samples.reduce((n, s) => n + s[k], 0);
    const last10 = samples.slice(-10).reduce((n, s) => n + STATUSES.reduce((m, k) => m + s[k], 0), 0) / 10;
    const summary = document.getElementById('rates-summary');
    summary.replaceChildren(
      el('div', {}, [el('strong', { text: last10.toFixed(1) }), 'tasks/s (last 10 s)']),
      ...STATUSES.map((k) => el('div', {}, [el('strong', { text: String(sum(k)) }), `${k.replace('_', ' ')} (60 s) · ${rates.totals[k]} in all`])),
    );
  }

  async function refreshOverview() {
    const o = await getJson('/console/api/overview?seconds=60');
    showStatus(o);
    drawChart(o.rates);
    document.getElementById('inflight-count').textContent = `${o.inFlight.length} / ${o.concurrency}` + (o.waiting > 0 ? ` (${o.waiting} read ahead, waiting for a slot)` : '');
    fillTable(
      'inflight',
      o.inFlight.map((t) => el('tr', { 'data-task-id': t.taskId }, cells([t.taskId, t.taskType, t.workflowId, t.tenantId, t.attempt, age(t.ageMs)]))),
      'no task running',
      6,
    );
    const b = o.backlog;
    document.getElementById('backlog-note').textContent =
      b === undefined ? 'not counted on this backend' : b === null ? 'counting…' : `busiest first · ${b.totals.undelivered} not received, ${b.totals.pending} not settled over ${b.locations} queue${b.locations === 1 ? '' : 's'} · counted ${age(Math.max(0, o.now - b.at))} ago`;
    fillTable(
      'backlog',
      (b ? b.busiest : []).map((l) => el('tr', { 'data-location': l.location }, cells([l.location, l.undelivered, l.pending]))),
      b === undefined ? 'this backend does not count its backlog per queue' : 'nothing waiting',
      3,
    );
    fillTable(
      'circuits',
      o.circuits.map((c) => el('tr', {}, cells([badge(c.state), c.tenant, c.host, c.calls, c.failures, c.rejected]))),
      'no circuit yet (one per tenant and host, on the first call)',
      6,
    );
  }

  function query(form) {
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim()) params.set(k, String(v).trim());
    return params.toString();
  }

  // The task of the completion shown, whose history the button asks for.
  let shownTask;
  async function showHistory() {
    if (!shownTask) return;
    const title = document.getElementById('history-title');
    const pre = document.getElementById('detail-history');
    title.textContent = 'searching…';
    const params = new URLSearchParams({ task: shownTask.taskId });
    if (shownTask.workflowId) params.set('workflow', shownTask.workflowId);
    const res = await fetch(`/console/api/tasks/history?${params}`, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok && res.status !== 404) throw new Error(body.detail || body.error || `HTTP ${res.status}`);
    const cut = body.cutShort ? ` · search cut short after ${body.examined} entries (${body.cutShort})` : '';
    title.textContent = `${body.status ? body.status.replace('_', ' ') : 'not found'} · ${body.examined ?? 0} entries searched${cut}`;
    pre.hidden = false;
    pre.textContent = (body.entries || [])
      .map((e) => {
        const what = e.kind === 'requested' ? (e.replay ? `requested (replay ${e.replay})` : 'requested') : e.kind === 'completed' ? `completed: ${e.success === false ? 'failed' : 'succeeded'}` : 'dead-lettered';
        const lines = [`${new Date(e.recordedAtMs).toISOString()}  ${what}  ${e.location} ${e.messageId}`, `    event ${e.eventId} from ${e.source}${e.traceId ? `, trace ${e.traceId}` : ''}`];
        if (e.kind === 'dead_lettered') lines.push(`    attempt ${e.attempt}: ${e.reason}`);
        if (e.kind === 'completed' && e.success === false) lines.push(`    error ${e.errorCode || '-'}: ${e.error || ''}`);
        if (e.output !== undefined) lines.push(`    output ${JSON.stringify(e.output)}`);
        return lines.join('\n');
      })
      .join('\n');
  }

  let selectedOutcome;
  async function showOutcome(seq, task) {
    selectedOutcome = seq;
    shownTask = task;
    document.getElementById('history-title').textContent = '';
    document.getElementById('detail-history').hidden = true;
    const d = await getJson(`/console/api/outcomes/${seq}`);
    document.getElementById('detail').hidden = false;
    document.getElementById('detail-title').textContent = `${d.taskId} · ${d.status.replace('_', ' ')}${d.truncated ? ' · preview of a long payload' : ''}`;
    document.getElementById('detail-payload').textContent = typeof d.payload === 'string' ? d.payload : JSON.stringify(d.payload, null, 2);
    if (window.flunqTrace) await window.flunqTrace.show(document.getElementById('detail-trace'), d.traceparent);
  }

  async function refreshOutcomes() {
    const o = await getJson('/console/api/overview?seconds=1');
    showStatus(o);
    const r = await getJson(`/console/api/outcomes?${query(document.getElementById('filters'))}`);
    fillTable(
      'outcomes',
      r.items.map((t) => {
        const row = el('tr', { class: `clickable${t.seq === selectedOutcome ? ' selected' : ''}`, 'data-seq': String(t.seq), 'data-task-id': t.taskId }, cells([new Date(t.finishedAt).toLocaleTimeString(), badge(t.status), t.taskId, t.taskType, t.workflowId, t.attempt, age(t.durationMs)]));
        row.append(el('td', { class: 'wrap', text: t.error }));
        row.addEventListener('click', () => void showOutcome(t.seq, { taskId: t.taskId, workflowId: t.workflowId }).catch(report));
        return row;
      }),
      'no outcome yet',
      8,
    );
  }

  function dlKey(d) {
    return JSON.stringify([d.location, d.messageId]);
  }

  const selectedLetters = new Set();
  let shownLetter;
  async function showDeadLetter(d) {
    shownLetter = d;
    const r = await getJson(`/console/api/dead-letters/detail?location=${encodeURIComponent(d.location)}&id=${encodeURIComponent(d.messageId)}`);
    document.getElementById('dl-detail').hidden = false;
    document.getElementById('dl-detail-title').textContent = `${d.taskId || d.eventId} · ${d.location} ${d.messageId} · ${r.summary.status}`;
    const shown = { reason: r.summary.reason, attempts: r.summary.attempts, status: r.summary.status };
    if (r.summary.resolution) shown.resolution = r.summary.resolution;
    document.getElementById('dl-detail-payload').textContent = JSON.stringify({ ...shown, event: r.event, payload: r.payload, replays: r.replays }, null, 2);
  }

  function hideDetailOf(items) {
    if (shownLetter && items.some((i) => i.location === shownLetter.location && i.messageId === shownLetter.messageId)) {
      shownLetter = undefined;
      document.getElementById('dl-detail').hidden = true;
    }
  }

  async function refreshDeadLetters() {
    const o = await getJson('/console/api/overview?seconds=1');
    showStatus(o);
    const r = await getJson(`/console/api/dead-letters?${query(document.getElementById('dl-filters'))}`);
    const known = new Set(r.items.map(dlKey));
    for (const key of [...selectedLetters]) if (!known.has(key)) selectedLetters.delete(key);
    fillTable(
      'dead-letters',
      r.items.map((d) => {
        const box = el('input', { type: 'checkbox', 'aria-label': `select ${d.taskId}` });
        box.checked = selectedLetters.has(dlKey(d));
        box.addEventListener('click', (e) => e.stopPropagation());
        box.addEventListener('change', () => (box.checked ? selectedLetters.add(dlKey(d)) : selectedLetters.delete(dlKey(d))));
        const row = el('tr', { class: 'clickable', 'data-message-id': d.messageId, 'data-task-id': d.taskId, 'data-status': d.status }, [el('td', {}, [box]), ...cells([age(d.ageMs), d.taskId, d.taskType, d.workflowId, d.attempts, badge(d.status), d.replays ?? ''])]);
        row.append(el('td', { class: 'wrap', text: d.reason }));
        row.addEventListener('click', () => void showDeadLetter(d).catch(report));
        return row;
      }),
      'no dead letter',
      9,
    );
    document.getElementById('dl-total').textContent = `${r.total} dead letter(s) match${r.total > r.items.length ? `; the newest ${r.items.length} shown` : ''}.`;
  }

  function selectedItems() {
    return [...selectedLetters].map((key) => {
      const [location, messageId] = JSON.parse(key);
      return { location, messageId };
    });
  }

  // What each write does: its API path, its confirmation (none for a replay) and its report.
  const ACTIONS = {
    replay: { verb: 'Replay', past: 'Replayed', done: (r) => r.replayed },
    resolve: {
      verb: 'Resolve',
      past: 'Resolved',
      done: (r) => r.resolved,
      confirm: (n) => ({ title: `Resolve ${n} dead letter(s)?`, text: 'They are marked handled, with your note, and leave the default listing (status "resolved" shows them). Nothing is deleted.', ok: 'resolve', note: true }),
    },
    purge: {
      verb: 'Purge',
      past: 'Purged',
      done: (r) => r.purged,
      confirm: (n) => ({ title: `Purge ${n} dead letter(s) for good?`, text: 'They are deleted from the stream with their replay records and resolution. This cannot be undone.', ok: 'purge for good', note: false, danger: true }),
    },
  };

  // The confirmation dialog: resolves with { note } when confirmed, undefined when cancelled.
  function confirmAction(spec) {
    const dialog = document.getElementById('dl-confirm');
    const note = dialog.querySelector('textarea');
    document.getElementById('dl-confirm-title').textContent = spec.title;
    const text = document.getElementById('dl-confirm-text');
    text.textContent = spec.text;
    text.className = spec.danger ? 'warning' : '';
    document.getElementById('dl-confirm-note').hidden = !spec.note;
    note.value = '';
    const ok = document.getElementById('dl-confirm-ok');
    ok.textContent = spec.ok;
    ok.className = spec.danger ? 'danger' : '';
    return new Promise((resolve) => {
      const finish = (value) => {
        ok.removeEventListener('click', onOk);
        cancel.removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        dialog.close();
        resolve(value);
      };
      const onOk = () => finish({ note: note.value.trim() });
      const onCancel = () => finish(undefined);
      const cancel = document.getElementById('dl-confirm-cancel');
      ok.addEventListener('click', onOk);
      cancel.addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
      (spec.note ? note : cancel).focus();
    });
  }

  async function act(kind, items) {
    const action = ACTIONS[kind];
    const message = document.getElementById('dl-message');
    if (items.length === 0) {
      message.textContent = `Select dead letters to ${kind} first.`;
      return;
    }
    const body = { items };
    const spec = action.confirm && action.confirm(items.length);
    if (spec) {
      const answer = await confirmAction(spec);
      if (!answer) {
        message.textContent = `${action.verb} cancelled: nothing changed.`;
        return;
      }
      if (spec.note && answer.note) body.note = answer.note;
    }
    const res = await fetch(`/console/api/dead-letters/${kind}`, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) });
    const reply = await res.json().catch(() => ({}));
    if (!res.ok) {
      message.textContent = `${action.verb} refused: ${reply.detail || reply.error || `HTTP ${res.status}`}`;
      return;
    }
    const done = reply.results.filter(action.done);
    const failed = reply.results.filter((r) => !action.done(r));
    const already = kind === 'resolve' ? done.filter((r) => r.alreadyResolved).length : 0;
    message.textContent = `${action.past} ${done.length} dead letter(s)${already ? ` (${already} already resolved)` : ''}${failed.length ? `; ${failed.length} refused: ${failed.map((f) => f.problem).join('; ')}` : ''}.`;
    selectedLetters.clear();
    if (kind === 'purge') hideDetailOf(done);
    else if (shownLetter && items.some((i) => i.location === shownLetter.location && i.messageId === shownLetter.messageId)) await showDeadLetter(shownLetter);
    await refreshDeadLetters();
  }

  function shownItems() {
    return shownLetter ? [{ location: shownLetter.location, messageId: shownLetter.messageId }] : [];
  }

  function report(error) {
    const status = document.getElementById('status');
    if (status) {
      status.className = 'badge bad';
      status.textContent = `console: ${error.message}`;
    }
  }

  // Runs `fn` now and every `ms` (not while the tab is hidden); a tick asked for while one runs
  // (a filter submitted) runs right after it rather than being dropped.
  function every(ms, fn) {
    let busy = false;
    let again = false;
    const tick = () => {
      if (busy) {
        again = true;
        return;
      }
      if (document.hidden) return;
      busy = true;
      fn()
        .catch(report)
        .finally(() => {
          busy = false;
          if (again) {
            again = false;
            tick();
          }
        });
    };
    tick();
    setInterval(tick, ms);
    return tick;
  }

  if (page === 'overview') every(1500, refreshOverview);
  if (page === 'outcomes') {
    const tick = every(1500, refreshOutcomes);
    document.getElementById('filters').addEventListener('submit', (e) => {
      e.preventDefault();
      tick();
    });
    document.getElementById('history-load').addEventListener('click', () => void showHistory().catch(report));
  }
  if (page === 'dead-letters') {
    const tick = every(10000, refreshDeadLetters);
    document.getElementById('dl-filters').addEventListener('submit', (e) => {
      e.preventDefault();
      tick();
    });
    document.getElementById('dl-refresh').addEventListener('click', tick);
    for (const kind of Object.keys(ACTIONS)) {
      document.getElementById(`dl-${kind}`).addEventListener('click', () => void act(kind, selectedItems()).catch(report));
      document.getElementById(`dl-detail-${kind}`).addEventListener('click', () => {
        if (shownLetter) void act(kind, shownItems()).catch(report);
      });
    }
    document.getElementById('dl-all').addEventListener('change', (e) => {
      for (const box of document.querySelectorAll('#dead-letters tbody input[type=checkbox]')) {
        box.checked = e.target.checked;
        box.dispatchEvent(new Event('change'));
      }
    });
  }
})();
