import { Access } from './console-auth';
import { ConsoleInfo } from './console-api';

/** HTML text with `& < > " '` escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export type ConsolePage = 'overview' | 'outcomes' | 'dead-letters';

const TITLES: Record<ConsolePage, string> = { overview: 'Overview', outcomes: 'Recent outcomes', 'dead-letters': 'Dead letters' };

function layout(title: string, body: string, page: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · flunq executor</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body data-page="${escapeHtml(page)}">
${body}
<script src="/console/assets/console-trace.js" defer></script>
<script src="/console/assets/console.js" defer></script>
</body>
</html>
`;
}

function header(page: ConsolePage, info: ConsoleInfo, access: Access, deadLetters: boolean): string {
  const links = (['overview', 'outcomes', 'dead-letters'] as const)
    .filter((p) => p !== 'dead-letters' || deadLetters)
    .map((p) => `<a href="/console${p === 'overview' ? '' : `/${p}`}"${p === page ? ' aria-current="page"' : ''}>${TITLES[p]}</a>`)
    .join('');
  const who =
    access.via === 'loopback'
      ? `<span class="badge">read-only (loopback)</span>${info.tokenSet ? ' <a href="/console/login">log in</a>' : ''}`
      : `<span class="badge ok">signed in</span>${access.via === 'cookie' ? ' <form method="post" action="/console/logout" class="inline"><button type="submit">log out</button></form>' : ''}`;
  return `<header>
<h1>flunq executor <small>${escapeHtml(info.instance)} · ${escapeHtml(info.mode)}</small></h1>
<nav>${links}</nav>
<div class="who">${who} <span id="status" class="badge">…</span></div>
</header>`;
}

function overviewBody(info: ConsoleInfo): string {
  return `<section>
<h2>Throughput <small>outcomes per second, last 60 s</small></h2>
<div id="rates-summary" class="summary"></div>
<div id="chart" class="chart" role="img" aria-label="outcomes per second"></div>
<p class="legend"><span class="key success">success</span> <span class="key failure">failure</span> <span class="key dead_letter">dead letter</span> <span class="key duplicate">duplicate</span></p>
</section>
<section>
<h2>In flight <small id="inflight-count">0 / ${info.concurrency}</small></h2>
<table id="inflight"><thead><tr><th>task</th><th>type</th><th>workflow</th><th>tenant</th><th>attempt</th><th>age</th></tr></thead><tbody></tbody></table>
</section>
<section>
<h2>Backlog <small id="backlog-note">busiest first</small></h2>
<table id="backlog"><thead><tr><th>where</th><th>not received yet</th><th>received, not settled</th></tr></thead><tbody></tbody></table>
</section>
<section>
<h2>Circuit breakers <small>per tenant and downstream host</small></h2>
<table id="circuits"><thead><tr><th>state</th><th>tenant</th><th>host</th><th>calls</th><th>failures</th><th>refused</th></tr></thead><tbody></tbody></table>
</section>`;
}

function outcomesBody(): string {
  return `<section>
<h2>Recent outcomes <small>this replica, newest first</small></h2>
<form id="filters" class="filters">
<label>workflow <input name="workflow" autocomplete="off"></label>
<label>task id <input name="task" autocomplete="off"></label>
<label>type <input name="type" autocomplete="off"></label>
<label>status <select name="status"><option value="">any</option><option>success</option><option>failure</option><option value="dead_letter">dead letter</option><option>duplicate</option></select></label>
<button type="submit">filter</button>
</form>
<table id="outcomes"><thead><tr><th>finished</th><th>status</th><th>task</th><th>type</th><th>workflow</th><th>attempt</th><th>duration</th><th>error</th></tr></thead><tbody></tbody></table>
</section>
<section id="detail" hidden>
<h2>Completion <small id="detail-title"></small></h2>
<p class="note">The payload as the executor published it (secrets redacted).</p>
<pre id="detail-payload"></pre>
<div id="detail-trace"></div>
<h2>History <small id="history-title"></small></h2>
<p class="note">Every request, outcome and dead letter of this task in the backend, oldest first.</p>
<p><button type="button" id="history-load">show the task's history</button></p>
<pre id="detail-history" hidden></pre>
</section>`;
}

function deadLettersBody(access: Access): string {
  const writeNote = access.write ? '' : '<p class="note">Replaying, resolving and purging need CONSOLE_TOKEN: <a href="/console/login">log in</a>.</p>';
  const disabled = access.write ? '' : ' disabled';
  return `<section>
<h2>Dead letters <small>every workflow, newest first</small></h2>
<form id="dl-filters" class="filters">
<label>workflow <input name="workflow" autocomplete="off"></label>
<label>task id <input name="task" autocomplete="off"></label>
<label>type <input name="type" autocomplete="off"></label>
<label>reason <input name="reason" autocomplete="off"></label>
<label>status <select name="status"><option value="unresolved">unresolved</option><option>open</option><option>replayed</option><option>resolved</option><option value="any">any</option></select></label>
<button type="submit">filter</button>
<button type="button" id="dl-refresh">refresh</button>
</form>
${writeNote}
<p class="actions"><button type="button" id="dl-replay"${disabled}>replay selected</button> <button type="button" id="dl-resolve"${disabled}>resolve selected</button> <button type="button" id="dl-purge" class="danger"${disabled}>purge selected</button> <span id="dl-message" role="status"></span></p>
<table id="dead-letters"><thead><tr><th><input type="checkbox" id="dl-all" aria-label="select all"></th><th>age</th><th>task</th><th>type</th><th>workflow</th><th>attempts</th><th>status</th><th>replays</th><th>reason</th></tr></thead><tbody></tbody></table>
<p id="dl-total" class="note"></p>
</section>
<section id="dl-detail" hidden>
<h2>Dead letter <small id="dl-detail-title"></small></h2>
<p class="note">The original request (secrets redacted), its replays and its resolution.</p>
<p class="actions"><button type="button" id="dl-detail-replay"${disabled}>replay this dead letter</button> <button type="button" id="dl-detail-resolve"${disabled}>resolve</button> <button type="button" id="dl-detail-purge" class="danger"${disabled}>purge</button></p>
<pre id="dl-detail-payload"></pre>
</section>
<dialog id="dl-confirm" aria-labelledby="dl-confirm-title">
<h2 id="dl-confirm-title"></h2>
<p id="dl-confirm-text"></p>
<label id="dl-confirm-note" class="note-field">note (optional) <textarea name="note" rows="3" maxlength="1000"></textarea></label>
<p class="actions"><button type="button" id="dl-confirm-cancel" class="secondary">cancel</button> <button type="button" id="dl-confirm-ok"></button></p>
</dialog>`;
}

/** A console page: the shell the script fills from the JSON API. */
export function renderPage(page: ConsolePage, info: ConsoleInfo, access: Access, deadLetters: boolean): string {
  const body = page === 'overview' ? overviewBody(info) : page === 'outcomes' ? outcomesBody() : deadLettersBody(access);
  return layout(TITLES[page], `${header(page, info, access, deadLetters)}\n<main>\n${body}\n</main>`, page);
}

/** The login form (the token as a password field; the answer sets the session cookie). */
export function renderLogin(info: ConsoleInfo, problem?: string): string {
  const body = info.tokenSet
    ? `<form method="post" action="/console/login" class="login">
<label>Console token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">log in</button>
</form>${problem ? `<p class="error" role="alert">${escapeHtml(problem)}</p>` : ''}`
    : '<p class="error">No CONSOLE_TOKEN is set: the console is readable only from this machine (loopback), and replays, resolves and purges are off.</p>';
  return layout('Log in', `<header><h1>flunq executor <small>${escapeHtml(info.instance)}</small></h1></header>\n<main><section><h2>Log in</h2>${body}</section></main>`, 'login');
}
