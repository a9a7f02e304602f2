// polish — the page over a workspace. Plain JavaScript: talks to the JSON API (docs/API.md) with
// the token of the URL 'polish serve' printed, follows /api/events, and shows per domain what
// the engine's report already holds (pictures, tables, claims).
'use strict';

const token = (() => {
  const u = new URL(location.href);
  const t = u.searchParams.get('token');
  if (t) {
    sessionStorage.setItem('polish-token', t);
    u.searchParams.delete('token');
    history.replaceState(null, '', u.pathname + u.search + u.hash); // keep it out of the address bar
    return t;
  }
  return sessionStorage.getItem('polish-token') || '';
})();

function withToken(url) {
  if (!token) return url; // the cookie set on the first visit carries it
  return url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
}

async function api(method, url, body) {
  const opt = { method, headers: {} };
  if (token) opt.headers.Authorization = 'Bearer ' + token;
  if (body !== undefined) opt.body = body;
  const r = await fetch(url, opt);
  const text = await r.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!r.ok) throw new Error((json && json.error) || r.status + ' ' + r.statusText);
  return json;
}

const $ = (sel, el = document) => el.querySelector(sel);
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}
function fmt(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
function kvList(obj, dl) {
  dl.replaceChildren();
  for (const [k, v] of Object.entries(obj || {})) dl.append(el('dt', { text: k }), el('dd', { text: fmt(v) }));
}

let registry = null;
const cards = new Map(); // id -> {root, item}

// ---- uploads --------------------------------------------------------------------------------

async function upload(file) {
  const line = el('div', { class: 'muted', text: 'uploading ' + file.name + '…' });
  $('#uploads').append(line);
  const fd = new FormData();
  fd.append('file', file, file.name);
  try {
    const r = await api('POST', '/api/items', fd);
    line.textContent = 'added ' + file.name;
    await refresh(r.id);
    setTimeout(() => line.remove(), 3000);
  } catch (e) {
    line.className = 'error';
    line.textContent = file.name + ': ' + e.message;
  }
}

function setupDrop() {
  const drop = $('#drop');
  for (const ev of ['dragenter', 'dragover']) drop.addEventListener(ev, e => { e.preventDefault(); drop.classList.add('over'); });
  for (const ev of ['dragleave', 'drop']) drop.addEventListener(ev, () => drop.classList.remove('over'));
  drop.addEventListener('drop', e => {
    e.preventDefault();
    for (const f of e.dataTransfer.files) upload(f);
  });
  $('#file').addEventListener('change', e => {
    for (const f of e.target.files) upload(f);
    e.target.value = '';
  });
}

// ---- one item -------------------------------------------------------------------------------

function currentVersion(item) {
  return (item.versions || []).find(v => v.id === item.current) || null;
}

function card(id) {
  let c = cards.get(id);
  if (c) return c;
  const root = $('#item-tpl').content.firstElementChild.cloneNode(true);
  root.dataset.id = id;
  c = { root, item: null, inspected: false, viewKey: '' };
  cards.set(id, c);
  $('#items').prepend(root);
  $('#empty').hidden = true;
  $('.fix', root).addEventListener('click', () => act(id, 'fix'));
  $('.approve', root).addEventListener('click', () => act(id, 'approve'));
  $('.reject', root).addEventListener('click', () => act(id, 'reject'));
  $('.undo', root).addEventListener('click', () => act(id, 'undo'));
  $('.recipe-toggle', root).addEventListener('click', () => {
    const f = $('form.recipe', root);
    f.hidden = !f.hidden;
    if (!f.hidden) buildForm(c);
  });
  $('form.recipe', root).addEventListener('submit', e => { e.preventDefault(); runRecipe(c); });
  $('.inspect', root).addEventListener('toggle', () => loadInspect(c));
  return c;
}

async function act(id, what, body) {
  id = Number(id); // cards are keyed by the number (a dataset value is a string)
  const c = card(id);
  const err = $('.error', c.root);
  err.hidden = true;
  try {
    await api('POST', '/api/items/' + id + '/' + what, body);
  } catch (e) {
    err.hidden = false;
    err.textContent = what + ': ' + e.message;
  }
  await refresh(id);
}

async function loadInspect(c) {
  if (c.inspected) return;
  c.inspected = true;
  const dl = $('.inspect dl', c.root);
  dl.replaceChildren(el('dd', { class: 'muted', text: 'measuring…' }));
  try {
    const r = await api('GET', '/api/items/' + c.root.dataset.id + '/inspect');
    if (r.error) dl.replaceChildren(el('dd', { class: 'error', text: r.error.message || fmt(r.error) }));
    else kvList(r.inspect, dl);
  } catch (e) {
    dl.replaceChildren(el('dd', { class: 'error', text: e.message }));
  }
}

async function refresh(id) {
  let item;
  try { item = await api('GET', '/api/items/' + id); } catch (e) { return; }
  render(item);
}

function render(item) {
  const c = card(item.id);
  c.item = item;
  const r = c.root;
  r.dataset.state = item.state;
  r.dataset.domain = item.domain;
  $('.name', r).textContent = item.name;
  $('.domain', r).textContent = item.domain;
  const st = $('.state', r);
  st.textContent = item.state;
  st.className = 'state tag ' + item.state;
  const busy = item.state === 'queued' || item.state === 'running';
  const prog = $('.progress', r);
  prog.hidden = !busy;
  prog.classList.toggle('busy', busy);
  const err = $('.error', r);
  if (item.state === 'failed' && item.error) { err.hidden = false; err.textContent = item.error; }
  const rendered = item.state === 'done' || item.state === 'approved' || item.state === 'rejected';
  $('.fix', r).disabled = busy;
  $('.approve', r).disabled = item.state !== 'done';
  $('.reject', r).disabled = !(item.state === 'done' || item.state === 'approved');
  const dl = $('.download', r);
  dl.hidden = !rendered;
  if (rendered) dl.href = withToken('/api/items/' + item.id + '/output?download=1');
  const v = currentVersion(item);
  const key = item.state + ':' + (v ? v.id + ':' + (v.render || '') : '');
  if (key !== c.viewKey) {
    c.viewKey = key;
    view(c, item, v, rendered);
  }
}

// ---- before / after, per domain --------------------------------------------------------------

function outputUrl(item, v, index) {
  return withToken('/api/items/' + item.id + '/output?index=' + index + '&v=' + encodeURIComponent(v.render || v.id));
}
function originalUrl(item) {
  return withToken('/api/items/' + item.id + '/original');
}
function steps(item) {
  const rep = item.report;
  if (!rep) return [];
  const it = rep.items ? rep.items[0] : rep;
  return (it && it.steps) || [];
}
function outputsOf(v) { return (v && v.outputs) || []; }
function extOf(p) { const m = /\.([A-Za-z0-9]+)$/.exec(p || ''); return m ? m[1].toLowerCase() : ''; }

function figures(item) {
  const box = el('div', { class: 'figures' });
  for (const s of steps(item))
    for (const f of s.figures || []) {
      if (!/^image\/(png|jpeg|svg\+xml)$/.test(f.mime) || !/^[A-Za-z0-9+/=]*$/.test(f.base64)) continue;
      box.append(el('figure', {}, el('img', { alt: f.title || s.op, src: 'data:' + f.mime + ';base64,' + f.base64 }),
        el('figcaption', { text: s.op + (f.title ? ': ' + f.title : '') })));
    }
  return box.childElementCount ? box : null;
}

function stepsTable(item) {
  const body = el('div');
  const t = el('table', {}, el('tr', {}, ...['step', 'status', 'confidence', 'decisions'].map(h => el('th', { text: h }))));
  for (const s of steps(item)) {
    t.append(el('tr', {}, el('td', { text: s.op }), el('td', { text: (s.status || '') + (s.declined ? ': ' + s.declined : '') }),
      el('td', { text: fmt(s.confidence) }), el('td', { text: (s.decisions || []).join('; ') })));
  }
  body.append(t);
  return body;
}

function photoView(item, v) {
  const outs = outputsOf(v);
  const idx = Math.max(0, outs.findIndex(o => /^(jpe?g|png|webp|gif|avif)$/.test(extOf(o.path))));
  const wrap = el('div', { class: 'compare' });
  const before = el('img', { class: 'before', alt: 'before', src: originalUrl(item) });
  const after = el('img', { class: 'after', alt: 'after', src: outputUrl(item, v, idx) });
  const line = el('div', { class: 'line' });
  wrap.append(before, after, line, el('span', { class: 'lbl l', text: 'before' }),
    el('span', { class: 'lbl r', text: 'after' }));
  const slider = el('input', { type: 'range', min: '0', max: '100', value: '50', class: 'slider', 'aria-label': 'before/after' });
  const move = () => {
    after.style.clipPath = 'inset(0 0 0 ' + slider.value + '%)';
    line.style.left = slider.value + '%';
  };
  slider.addEventListener('input', move);
  move();
  return el('div', {}, el('h3', { text: 'Before / after (drag the slider)' }), wrap, slider);
}

function audioView(item, v) {
  const outs = outputsOf(v);
  const idx = Math.max(0, outs.findIndex(o => /^(wav|flac|ogg|opus|mp3)$/.test(extOf(o.path))));
  const players = el('div', { class: 'players' },
    el('span', { text: 'before' }), el('audio', { controls: '', preload: 'metadata', class: 'before', src: originalUrl(item) }),
    el('span', { text: 'after' }), el('audio', { controls: '', preload: 'metadata', class: 'after', src: outputUrl(item, v, idx) }));
  return el('div', {}, el('h3', { text: 'Listen before and after' }), players);
}

function parseCsv(text, maxRows) {
  const rows = [];
  let row = [], f = '', q = false, i = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  const delim = (text.split('\n', 1)[0].match(/\t/g) || []).length > (text.split('\n', 1)[0].match(/,/g) || []).length ? '\t' : ',';
  for (; i < text.length && rows.length < maxRows; i++) {
    const ch = text[i];
    if (q) {
      if (ch === '"') { if (text[i + 1] === '"') { f += '"'; i++; } else q = false; } else f += ch;
    } else if (ch === '"') q = true;
    else if (ch === delim) { row.push(f); f = ''; }
    else if (ch === '\n') { row.push(f.replace(/\r$/, '')); rows.push(row); row = []; f = ''; }
    else f += ch;
  }
  if (f || row.length) { row.push(f); rows.push(row); }
  return rows;
}

function table(rows, opts = {}) {
  const t = el('table');
  if (!rows.length) return t;
  t.append(el('tr', {}, ...rows[0].map(h => el('th', { text: h }))));
  for (let r = 1; r < rows.length; r++) {
    const tr = el('tr', opts.rowClass ? { class: opts.rowClass(rows[r], r) } : {});
    rows[r].forEach((v, k) => tr.append(el('td', k === opts.reasonCol ? { class: 'reason', text: v } : { text: v })));
    t.append(tr);
  }
  return t;
}

function recordsView(item, v) {
  const box = el('div');
  const outs = outputsOf(v);
  outs.forEach(async (o, i) => {
    const name = o.path.split('/').pop();
    if (!/^(csv|tsv)$/.test(extOf(name))) return;
    const part = el('div');
    box.append(part);
    let text;
    try {
      const r = await fetch(outputUrl(item, v, i), { headers: token ? { Authorization: 'Bearer ' + token } : {} });
      text = await r.text();
    } catch (e) { return; }
    const rows = parseCsv(text, 400);
    if (!rows.length) return;
    const head = rows[0];
    const reason = head.indexOf('quarantine_reason');
    const cl = head.indexOf('cluster_id');
    const src = head.indexOf('source_rows');
    if (reason >= 0) {
      // the reason first, so it is seen without scrolling
      const order = [reason, ...head.map((_, k) => k).filter(k => k !== reason)];
      const moved = rows.map(r => order.map(k => r[k] === undefined ? '' : r[k]));
      part.append(el('h3', { text: 'Quarantined rows and why (' + (rows.length - 1) + ')' }), table(moved, { reasonCol: 0 }));
    } else if (head.includes('decision') && head.includes('line_a')) {
      part.append(el('h3', { text: 'Candidate duplicate pairs and the decision on each (' + (rows.length - 1) + ')' }), table(rows));
    } else if (cl >= 0 || src >= 0) {
      // duplicate clusters: rows merged from several input lines, and clusters of several rows
      const groups = new Map();
      for (const r of rows.slice(1)) { const k = cl >= 0 ? r[cl] : r; if (!groups.has(k)) groups.set(k, []); groups.get(k).push(r); }
      const multi = [...groups.values()].filter(g => g.length > 1 || (src >= 0 && /[;,]/.test(g[0][src] || '')));
      const out = [head];
      const starts = new Set();
      for (const g of multi) { starts.add(out.length); out.push(...g); }
      part.append(el('h3', { class: 'clusters', text: 'Duplicate clusters (' + multi.length + ') in ' + name }),
        multi.length ? table(out, { rowClass: (r, k) => starts.has(k) ? 'cluster-start' : '' }) : el('p', { class: 'muted', text: 'no duplicates found' }));
      part.append(el('p', { class: 'muted', text: (rows.length - 1) + ' rows kept in ' + name + (src >= 0 ? '; source_rows names the input lines merged into each' : '') }));
    } else {
      part.append(el('h3', { text: name + ' (first ' + Math.min(rows.length - 1, 20) + ' rows)' }), table(rows.slice(0, 21)));
    }
  });
  return box;
}

function claimsView(item) {
  const box = el('div');
  for (const s of steps(item)) {
    const doc = s.result && Array.isArray(s.result.claims) ? s.result
      : s.measured && s.measured.check && Array.isArray(s.measured.check.claims) ? s.measured.check : null;
    const claims = doc ? doc.claims : null;
    if (!claims) continue;
    box.append(el('h3', { text: 'Claims and their evidence (' + s.op + ')' }));
    for (const c of claims) {
      box.append(el('div', { class: 'claim' }, el('mark', { class: c.verdict, text: c.text }), ' ', el('span', { class: 'tag', text: c.verdict }),
        c.evidence ? el('div', { class: 'evidence', text: '“' + c.evidence + '” — ' + (c.source || '') }) : null,
        (c.fix || []).length ? el('div', { class: 'fixed', text: 'corrected: ' + c.fix.map(f => f.from + ' → ' + f.to).join(', ') }) : null,
        c.reason ? el('div', { class: 'evidence', text: c.reason }) : null));
    }
  }
  return box.childElementCount ? box : null;
}

function textView(item, v) {
  const box = el('div');
  const outs = outputsOf(v);
  if (outs.length) {
    const list = el('ul');
    outs.forEach((o, i) => list.append(el('li', {}, el('a', { href: outputUrl(item, v, i), target: '_blank', text: o.path.split('/').pop() }))));
    box.append(el('h3', { text: 'Outputs' }), list);
  }
  return box;
}

// A forecast table's automatic recipe changes nothing; its pictures are the verification's:
// reliability diagrams and rank/PIT histograms against the table's own observations.
function forecastView(c, item, v) {
  const box = textView(item, v);
  const hasPlots = steps(item).some(s => (s.figures || []).some(f => /^Reliability/.test(f.title || '')));
  if (!hasPlots) {
    const b = el('button', { class: 'verify', type: 'button', text: 'Reliability plots (verify against the observations)' });
    b.addEventListener('click', () => act(item.id, 'fix', JSON.stringify({ recipe: 'domain: forecast\nsteps:\n  - op: verify\n' })));
    box.append(b);
  }
  return box;
}

function view(c, item, v, rendered) {
  const box = $('.view', c.root);
  box.replaceChildren();
  $('.steps-body', c.root).replaceChildren();
  if (!rendered || !v) return;
  const d = item.domain;
  if (d === 'image') box.append(photoView(item, v));
  else if (d === 'audio') box.append(audioView(item, v));
  else if (d === 'records') box.append(recordsView(item, v));
  else if (d === 'text') { const cv = claimsView(item); if (cv) box.append(cv); box.append(textView(item, v)); if (outputsOf(v).some(o => /\.(csv|tsv)$/.test(o.path))) box.append(recordsView(item, v)); }
  else if (d === 'video') box.append(el('video', { controls: '', preload: 'metadata', src: outputUrl(item, v, 0) }));
  else if (d === 'forecast') box.append(forecastView(c, item, v));
  else if (d === 'track' || d === 'render') box.append(textView(item, v));
  const figs = figures(item);
  if (figs) box.append(el('h3', { text: 'From the report' }), figs);
  $('.steps-body', c.root).append(stepsTable(item));
}

// ---- parameter forms from the registry --------------------------------------------------------

function sidePorts(op) { return (op.inputs || []).filter(p => !p.item); }

function buildForm(c) {
  const f = $('form.recipe', c.root);
  const sel = $('select.op', f);
  if (sel.options.length || !registry || !c.item) return;
  // every op of the item's domain that a form can run: the files it reads are uploaded with it
  // (not text.kb-add: the knowledge base has its own place on the page)
  const ops = registry.ops.filter(o => o.domain === c.item.domain && !o.delivery && (o.inputs || []).some(p => p.item) &&
    o.name !== 'text.kb-add');
  for (const o of ops) sel.append(el('option', { value: o.name, text: o.name.split('.')[1] }));
  sel.addEventListener('change', () => fillParams(f, ops.find(o => o.name === sel.value)));
  fillParams(f, ops[0]);
}

// A file the operation reads: the knowledge base of this workspace, or a file uploaded now (stored
// by its hash; the recipe names it ws:<sha256>, never a path).
function fileInput(box, name, help, types, isKb, required) {
  const id = 'p-' + Math.random().toString(36).slice(2);
  const wrap = el('div', { class: 'side' });
  if (isKb) {
    const pick = el('select', { id, 'data-kb': name });
    pick.append(el('option', { value: kbRef || '', text: kbRef ? 'the knowledge base (' + kbDocs.length + ' documents)' : '(the knowledge base is empty: add documents above)' }));
    pick.append(el('option', { value: 'upload', text: 'a knowledge base file (.db) I upload' }));
    wrap.append(pick);
  }
  const file = el('input', { type: 'file', id: isKb ? id + '-f' : id, 'data-file': name });
  if (types && types.length) file.accept = types.map(t => '.' + t).join(',');
  wrap.append(file);
  box.append(el('label', { for: id, text: name + (required ? ' (file, needed)' : ' (file)') }), wrap);
  if (help) box.append(el('div', { class: 'help', text: help }));
}

function fillParams(f, op) {
  const box = $('.params', f);
  box.replaceChildren();
  $('.op-summary', f).textContent = op ? op.summary : 'no operation of this domain can run from a form';
  if (!op) return;
  f.dataset.document = op.document ? '1' : '';
  for (const p of sidePorts(op)) fileInput(box, p.name, p.help, p.types, p.name === 'kb', p.required);
  for (const p of op.params || []) {
    if (p.path) { fileInput(box, p.name, p.help, null, false, p.required); continue; }
    let input;
    const id = 'p-' + Math.random().toString(36).slice(2);
    if (p.type === 'bool') {
      input = el('input', { type: 'checkbox', id });
      input.checked = p.default === true || p.default === 'true';
    } else if (p.type === 'enum') {
      input = el('select', { id });
      if (p.default === null || p.default === undefined) input.append(el('option', { value: '', text: '(automatic)' }));
      for (const ch of p.choices) input.append(el('option', { value: ch.value, text: ch.value }));
      if (p.default !== null && p.default !== undefined) input.value = String(p.default);
    } else if (p.type === 'int' || p.type === 'number') {
      input = el('input', { type: 'number', id, step: p.type === 'int' ? '1' : 'any', placeholder: p.default === null || p.default === undefined ? 'automatic' : String(p.default) });
      if (p.min !== undefined && p.min <= p.max) { input.min = p.min; input.max = p.max; }
    } else {
      input = el('input', { type: 'text', id, placeholder: p.default === null || p.default === undefined ? '' : String(p.default) });
    }
    input.dataset.param = p.name;
    input.dataset.type = p.type;
    box.append(el('label', { for: id, text: p.name + (p.unit ? ' (' + p.unit + ')' : '') }), input);
    if (p.help) box.append(el('div', { class: 'help', text: p.help }));
  }
}

function yamlStr(s) { return JSON.stringify(String(s)); } // a JSON string is a YAML string

async function uploadSide(file) {
  const fd = new FormData();
  fd.append('file', file, file.name);
  return (await api('POST', '/api/files', fd)).ref;
}

async function runRecipe(c) {
  const f = $('form.recipe', c.root);
  const op = $('select.op', f).value;
  if (!op) return;
  const [domain, name] = op.split('.');
  const err = $('.error', c.root);
  err.hidden = true;
  let y = 'domain: ' + domain + '\nsteps:\n  - op: ' + name + '\n';
  const ports = [];
  try {
    const opDesc = registry.ops.find(o => o.name === op);
    const portNames = new Set(sidePorts(opDesc).map(p => p.name));
    for (const input of f.querySelectorAll('[data-file]')) {
      const pname = input.dataset.file;
      const kb = f.querySelector('[data-kb="' + pname + '"]');
      let ref = '';
      if (kb && kb.value !== 'upload') ref = kb.value;
      else if (input.files.length) ref = await uploadSide(input.files[0]);
      if (!ref) continue;
      if (portNames.has(pname)) ports.push(pname + ': ' + yamlStr(ref));
      else y += '    ' + pname + ': ' + yamlStr(ref) + '\n';
    }
  } catch (e) {
    err.hidden = false;
    err.textContent = 'upload: ' + e.message;
    return;
  }
  if (ports.length) y += '    inputs: {' + ports.join(', ') + '}\n';
  for (const input of f.querySelectorAll('[data-param]')) {
    let val;
    if (input.dataset.type === 'bool') val = input.checked ? 'true' : 'false';
    else if (input.value === '') continue;
    else val = input.dataset.type === 'int' || input.dataset.type === 'number' ? String(Number(input.value)) : yamlStr(input.value);
    y += '    ' + input.dataset.param + ': ' + val + '\n';
  }
  await act(c.item.id, 'fix', JSON.stringify({ recipe: y }));
}

// ---- the knowledge base: approved documents answers are checked against ----------------------

let kbRef = null, kbDocs = [];

async function loadKb() {
  try {
    const kb = await api('GET', '/api/kb');
    kbRef = kb.kb;
    kbDocs = kb.documents || [];
  } catch (e) { return; }
  const list = $('#kb-docs');
  list.replaceChildren();
  for (const d of kbDocs) {
    const rm = el('button', { class: 'secondary small', type: 'button', text: 'Remove' });
    rm.addEventListener('click', async () => {
      try { await api('POST', '/api/kb/remove', JSON.stringify({ name: d.name })); } catch (e) { kbStatus(e.message, true); }
      loadKb();
    });
    list.append(el('li', {}, el('span', { class: 'kb-doc', text: d.name }), ' ', el('span', { class: 'muted', text: d.size + ' bytes' }), ' ', rm));
  }
  $('#kb-empty').hidden = kbDocs.length > 0;
}

function kbStatus(text, bad) {
  const s = $('#kb-status');
  s.className = bad ? 'error' : 'muted';
  s.textContent = text;
}

async function kbUpload(files) {
  for (const file of files) {
    kbStatus('adding ' + file.name + '…');
    const fd = new FormData();
    fd.append('file', file, file.name);
    try {
      await api('POST', '/api/kb', fd);
      kbStatus('added ' + file.name + ': fix an answer to check it against the documents');
    } catch (e) {
      kbStatus(file.name + ': ' + e.message, true);
    }
  }
  await loadKb();
}

// ---- live updates -----------------------------------------------------------------------------

function listen() {
  const es = new EventSource(withToken('/api/events'));
  es.addEventListener('open', () => { $('#conn').textContent = 'live'; });
  es.addEventListener('error', () => { $('#conn').textContent = 'reconnecting…'; });
  es.addEventListener('item', e => { const d = JSON.parse(e.data); refresh(d.id); });
  es.addEventListener('kb', () => loadKb());
  es.addEventListener('progress', e => {
    const d = JSON.parse(e.data);
    const c = cards.get(d.id);
    if (!c || !d.total) return;
    const bar = $('.progress', c.root);
    bar.classList.remove('busy');
    $('div', bar).style.width = Math.round(100 * d.done / d.total) + '%';
  });
}

async function main() {
  $('#zip').href = withToken('/api/export.zip');
  setupDrop();
  $('#kb-file').addEventListener('change', e => { const fs = [...e.target.files]; e.target.value = ''; kbUpload(fs); });
  try {
    registry = await api('GET', '/api/ops');
    await loadKb();
    const list = await api('GET', '/api/items');
    for (const it of list.items || []) await refresh(it.id);
    $('#empty').hidden = cards.size > 0;
    listen();
  } catch (e) {
    $('#conn').textContent = e.message;
    $('#conn').className = 'error';
  }
}

main();
