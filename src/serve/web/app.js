/*
 * app.js - the web page of senti serve: Try, Compare, Score a file, Watch.
 *
 * Plain JavaScript, no library, no build step; it calls only the server that served it
 * (same origin: the Content-Security-Policy allows nothing else).
 *
 *   Try      POST /v1/explain as you type (debounced): the label, a bar per class, and the
 *            text with each word coloured by what it adds toward "positive" (or toward the
 *            predicted label for models without one): each feature's weight (word, word pair,
 *            pair with the text's start or end) is shared equally among the words it covers,
 *            so the colours add up, with the bias, to the decision.
 *   Compare  the server's models side by side; `senti serve` loads one model, so this says so.
 *   File     the file is read here, cut into records by the rules of `senti batch`
 *            (src/tools/records.c: lines, TSV, CSV with RFC 4180 quoting, JSONL), its texts
 *            scored in batches through POST /v1/sentiment/batch, and the output written by the
 *            rules of src/cli/batch.c (same format as the input): the same bytes as
 *            `senti batch FILE` for the same model.
 *   Watch    GET /v1/stats every second; rates, latency percentiles (from the histogram
 *            buckets) and the cache hit rate over the last 5 minutes, drawn on canvases.
 */
'use strict';

const $ = (id) => document.getElementById(id);
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8');
const MAX_FILE = 50 << 20;

const state = { model: null, labels: [], values: [], posIndex: -1 };

function el(tag, props, ...kids) {
  const e = document.createElement(tag);
  if (props) for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

async function api(path, body) {
  const opts = body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
  const r = await fetch(path, opts);
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) { /* not JSON: reported below */ }
  if (!r.ok) {
    const msg = json && json.error ? json.error.message : `HTTP ${r.status}`;
    const err = new Error(msg);
    err.status = r.status;
    err.retryAfter = Number(r.headers.get('Retry-After')) || 1;
    throw err;
  }
  return { json, text };
}

/* ---- tabs --------------------------------------------------------------------------------- */

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  const select = (t) => {
    for (const x of tabs) {
      const on = x === t;
      x.setAttribute('aria-selected', on ? 'true' : 'false');
      x.tabIndex = on ? 0 : -1;
      $(x.getAttribute('aria-controls')).hidden = !on;
    }
    if (t.id === 'tab-watch') drawCharts();
  };
  tabs.forEach((t, i) => {
    t.addEventListener('click', () => select(t));
    t.addEventListener('keydown', (ev) => {
      let j = null;
      if (ev.key === 'ArrowRight') j = (i + 1) % tabs.length;
      if (ev.key === 'ArrowLeft') j = (i + tabs.length - 1) % tabs.length;
      if (ev.key === 'Home') j = 0;
      if (ev.key === 'End') j = tabs.length - 1;
      if (j === null) return;
      ev.preventDefault();
      tabs[j].focus();
      select(tabs[j]);
    });
  });
}

/* ---- the model ------------------------------------------------------------------------------ */

async function loadModel() {
  const { json } = await api('/v1/models');
  const models = json.models;
  const m = models[0];
  state.model = m;
  state.labels = m.labels;
  state.values = m.values;
  state.posIndex = m.labels.indexOf('positive');
  $('model-line').textContent = `Model ${m.name} (${m.kind}, version ${m.version}) · classes: ${m.labels.join(', ')}`;
  const card = $('model-card');
  card.replaceChildren();
  const keys = ['name', 'kind', 'labels', 'training_data', 'train_n', 'valid_accuracy', 'valid_n',
    'ngram', 'negation', 'lexicon', 'temperature'];
  for (const k of keys) if (m.card[k] !== undefined) card.append(el('dt', { text: k }), el('dd', { text: m.card[k] }));
  card.append(el('dt', { text: 'digest' }), el('dd', { text: m.digest }));
  $('legend-pos').textContent = state.posIndex >= 0 ? 'positive' : 'the predicted label';
  $('compare-note').textContent = models.length > 1
    ? `${models.length} models.`
    : `This server runs one model, ${m.name} (${m.kind}): senti serve loads one model per process, so ` +
      'there is nothing to compare here. To compare, run a second server with another --model ' +
      '(for example vader:DIR) and open its page.';
}

/* ---- Try -------------------------------------------------------------------------------------- */

function renderBars(box, scores, label) {
  box.replaceChildren();
  for (const l of state.labels) {
    const p = scores[l] || 0;
    const bar = el('div', { class: `bar ${l}`, 'aria-hidden': 'true' }, el('span')); /* the number says it */
    bar.firstChild.style.width = `${(p * 100).toFixed(1)}%`;
    box.append(el('span', { text: l, class: l === label ? 'chosen' : '' }), bar,
      el('span', { class: 'num', text: `${(p * 100).toFixed(1)}%` }));
  }
}

/* Byte offsets of the UTF-8 text -> string indices. */
function byteIndex(text) {
  const map = new Map();
  let b = 0;
  for (let i = 0; i < text.length;) {
    map.set(b, i);
    const cp = text.codePointAt(i);
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  map.set(b, text.length);
  return (x) => (map.has(x) ? map.get(x) : text.length);
}

/* What each feature adds toward the class the colours show. */
function towardOf(c, label) {
  const cls = state.posIndex >= 0 ? state.labels[state.posIndex] : label;
  return c.weights[cls];
}

function renderTokens(text, res) {
  const box = $('try-tokens');
  box.replaceChildren();
  const feats = (res.contributions || []).filter((c) => c.order !== 'bias');
  const words = feats.filter((c) => c.order === 1).map((c) => ({ start: c.start, end: c.end, w: 0 }));
  words.sort((a, b) => a.start - b.start);
  for (const f of feats) {
    const covered = words.filter((w) => w.start >= f.start && w.end <= f.end);
    for (const w of covered) w.w += towardOf(f, res.label) / covered.length;
  }
  const at = byteIndex(text);
  const max = Math.max(0.5, ...words.map((w) => Math.abs(w.w)));
  let pos = 0;
  for (const w of words) {
    const s = at(w.start), e = at(w.end);
    if (s < pos) continue;
    if (s > pos) box.append(text.slice(pos, s));
    const a = Math.sqrt(Math.min(1, Math.abs(w.w) / max)) * 0.6; /* faint weights stay visible */
    const span = el('span', { class: 'tok', tabindex: '0', 'data-w': w.w.toFixed(4),
      title: `${w.w >= 0 ? '+' : ''}${w.w.toFixed(3)}`, text: text.slice(s, e) });
    span.style.backgroundColor = w.w >= 0 ? `rgba(22,163,74,${a.toFixed(3)})` : `rgba(220,38,38,${a.toFixed(3)})`;
    span.setAttribute('aria-label', `${text.slice(s, e)}: ${w.w >= 0 ? '+' : ''}${w.w.toFixed(3)}`);
    box.append(span);
    pos = e;
  }
  if (pos < text.length) box.append(text.slice(pos));
  const rows = $('try-features');
  rows.replaceChildren();
  const top = feats.map((f) => ({ f, w: towardOf(f, res.label) }))
    .sort((a, b) => Math.abs(b.w) - Math.abs(a.w)).slice(0, 10);
  for (const { f, w } of top) {
    let name = text.slice(at(f.start), at(f.end));
    if (f.order === 0) name = f.start === 0 ? `<start> ${name}` : `${name} <end>`;
    if (f.negated) name += ' (negated)';
    rows.append(el('tr', null, el('td', { text: name }), el('td', { class: 'num', text: w.toFixed(3) })));
  }
}

let tryTimer = 0, trySeq = 0;
async function runTry() {
  const text = $('try-text').value;
  const seq = ++trySeq;
  if (!text.trim()) {
    $('try-label').textContent = '—';
    $('try-label').className = 'label';
    $('try-score').textContent = '';
    $('try-bars').replaceChildren();
    $('try-tokens').replaceChildren();
    $('try-features').replaceChildren();
    return;
  }
  try {
    const { json: res } = await api('/v1/explain', { text });
    if (seq !== trySeq) return; /* a newer text is on its way */
    $('try-label').textContent = res.label;
    $('try-label').className = `label ${res.label}`;
    $('try-score').textContent = `(${(res.scores[res.label] * 100).toFixed(1)}%)`;
    renderBars($('try-bars'), res.scores, res.label);
    renderTokens(text, res);
    $('try-note').textContent = !res.explained
      ? `The ${state.model ? state.model.kind : ''} model kind gives no explanations.`
      : res.truncated ? `The first ${res.contributions.length - 1} of ${res.features} features are shown.` : '';
  } catch (e) {
    if (seq === trySeq) $('try-note').textContent = `Could not score: ${e.message}`;
  }
}

function setupTry() {
  $('try-text').addEventListener('input', () => {
    clearTimeout(tryTimer);
    tryTimer = setTimeout(runTry, 250);
  });
}

/* ---- Score a file: records as senti batch reads them ------------------------------------------ */

const TEXT_KEYS = ['text', 'sentence', 'content', 'review'];

function formatOf(name, bytes) {
  const m = /\.([^./]+)$/.exec(name);
  const ext = m ? m[1].toLowerCase() : '';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'csv') return 'csv';
  if (ext === 'jsonl' || ext === 'ndjson' || ext === 'json') return 'jsonl';
  /* by content (senti__fmt_sniff, CSV not guessed): the first non-blank line */
  let i = 0;
  const n = Math.min(bytes.length, 65536);
  for (;;) {
    while (i < n && (bytes[i] === 32 || bytes[i] === 9 || bytes[i] === 13)) i++;
    if (i < n && bytes[i] === 10) { i++; continue; }
    break;
  }
  if (i >= n) return 'lines';
  if (bytes[i] === 123) return 'jsonl';
  for (let j = i; j < n && bytes[j] !== 10; j++) if (bytes[j] === 9) return 'tsv';
  return 'lines';
}

/* Where the CSV record at buf[i..] ends (csv_record_end): the offset of its newline, len if it
 * has none, or -2 for a quote that is never closed. */
function csvRecordEnd(b, i0) {
  let i = i0, atStart = true;
  const len = b.length;
  while (i < len) {
    const c = b[i];
    if (c === 34 && atStart) {
      let j = i + 1, spans = false;
      for (;;) {
        let q = j;
        while (q < len && b[q] !== 34) { if (b[q] === 10) spans = true; q++; }
        if (q >= len) return -2;
        j = q + 1;
        if (j < len && b[j] === 34) { j++; continue; }
        if (j < len && b[j] !== 44 && b[j] !== 10 && b[j] !== 13 && spans) return -2;
        break;
      }
      i = j;
      atStart = false;
      continue;
    }
    if (c === 10) return i;
    atStart = c === 44;
    i++;
  }
  return len;
}

/* Every record of the input: {start, end (without "\r\n"), line (1-based), badQuote}. */
function* records(b, fmt, from) {
  let i = from, line = 1;
  const nlAfter = (k) => { const x = b.indexOf(10, k); return x < 0 ? b.length : x; };
  while (i < b.length) {
    let e = fmt === 'csv' ? csvRecordEnd(b, i) : nlAfter(i);
    let bad = false;
    if (e === -2) { e = nlAfter(i); bad = true; }
    let end = e;
    if (end > i && b[end - 1] === 13) end--;
    yield { start: i, end, line, badQuote: bad };
    for (let k = i; k < e; k++) if (b[k] === 10) line++;
    line += e < b.length ? 1 : 0;
    i = e + 1;
  }
}

/* Fields of a CSV record as libcsv reads it in strict mode (spaces are data): strings, or
 * {error} for malformed quoting. */
function csvFields(bytes) {
  const out = [];
  let i = 0;
  const n = bytes.length;
  for (;;) {
    if (bytes[i] === 34) {
      const parts = [];
      let j = i + 1, s = j;
      for (;;) {
        if (j >= n) return { error: 'malformed CSV: a quoted field is not closed' };
        if (bytes[j] === 34) {
          if (bytes[j + 1] === 34) { parts.push(bytes.subarray(s, j + 1)); j += 2; s = j; continue; }
          break;
        }
        j++;
      }
      parts.push(bytes.subarray(s, j));
      out.push(dec.decode(concatBytes(parts)));
      j++;
      if (j < n && bytes[j] !== 44) return { error: `malformed CSV: a character after a closing quote (byte ${j + 1} of the record)` };
      if (j >= n) return out;
      i = j + 1;
    } else {
      let j = i;
      while (j < n && bytes[j] !== 44) {
        if (bytes[j] === 34) return { error: `malformed CSV: a quote inside an unquoted field (byte ${j + 1} of the record)` };
        j++;
      }
      out.push(dec.decode(bytes.subarray(i, j)));
      if (j >= n) return out;
      i = j + 1;
    }
  }
}

function concatBytes(parts) {
  const len = parts.reduce((a, p) => a + p.length, 0);
  const r = new Uint8Array(len);
  let o = 0;
  for (const p of parts) { r.set(p, o); o += p.length; }
  return r;
}

function splitTsv(bytes) { return dec.decode(bytes).split('\t'); }

/* ---- Score a file: output as senti batch writes it ------------------------------------------- */

function fmtNum(v) { /* senti__fmt_num: up to 4 decimals, trailing zeros cut but one kept */
  const x = Math.round(Math.abs(v) * 10000) * (v < 0 ? -1 : 1);
  const neg = x < 0, a = Math.abs(x);
  let frac = String(a % 10000).padStart(4, '0').replace(/0+$/, '');
  if (!frac) frac = '0';
  return `${neg ? '-' : ''}${Math.floor(a / 10000)}.${frac}`;
}
function csvQuote(s) {
  const need = s.length && (s[0] === ' ' || s[s.length - 1] === ' ') || /[,"\r\n]/.test(s);
  return need ? `"${s.replace(/"/g, '""')}"` : s;
}
function tsvClean(s) { return s.replace(/[\t\r\n]/g, ' '); }
function jsonStr(s) { return JSON.stringify(s); }

/* A name of the result, with pred_ in front while the input already has it. */
function resultName(has, k) {
  if (!has(k)) return k;
  let n = `pred_${k}`;
  while (has(n)) n = `pred_${n}`;
  return n;
}

/* The result members (senti_result_json, as the server wrote them) with the top-level keys
 * that clash with the input's renamed (batch.c put_result_json). */
function renameMembers(members, has) {
  let out = '', depth = 0, memberStart = true;
  for (let i = 0; i < members.length;) {
    const c = members[i];
    if (c === '"') {
      let q = i + 1;
      while (q < members.length && members[q] !== '"') q += members[q] === '\\' ? 2 : 1;
      const key = members.slice(i + 1, q);
      out += depth === 0 && memberStart ? `"${resultName(has, key)}"` : members.slice(i, q + 1);
      i = q + 1;
      memberStart = false;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') depth--;
    memberStart = depth === 0 && c === ',';
    out += c;
    i++;
  }
  return out;
}

/* The raw members of each result object of a batch response, "cached" left out. */
function rawResults(text) {
  const out = [];
  let i = text.indexOf('"results":[') + 11;
  while (i < text.length && text[i] !== ']') {
    if (text[i] === ',') { i++; continue; }
    const s = i;
    let depth = 0;
    for (;;) {
      const c = text[i];
      if (c === '"') { i++; while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1; }
      else if (c === '{') depth++;
      else if (c === '}' && --depth === 0) { i++; break; }
      i++;
    }
    const obj = text.slice(s + 1, i - 1);
    out.push(obj.replace(/,"cached":(true|false)$/, ''));
  }
  return out;
}

/* The output writer of one input: header() once, then row(rec) per record in order. */
function makeWriter(fmt, header, bytes) {
  const sep = fmt === 'csv' ? ',' : '\t', eol = fmt === 'csv' ? '\r\n' : '\n';
  const field = fmt === 'csv' ? csvQuote : tsvClean;
  const inKeys = header || [];
  const has = (k) => inKeys.includes(k);
  const nRes = 3 + state.labels.length + state.values.length;
  const rcols = ['label', 'score', ...state.labels.map((l) => `p_${l}`), ...state.values, 'error']
    .map((k) => resultName(has, k));
  const rkeys = ['label', 'score', 'scores', ...state.values, 'error'];
  const cols = (r) => {
    if (r.error !== undefined) return sep.repeat(nRes) + field(r.error) + eol;
    const v = r.res;
    return sep + v.label + sep + fmtNum(v.score) + state.labels.map((l) => sep + fmtNum(v.scores[l])).join('') +
      state.values.map((k) => sep + fmtNum(v[k])).join('') + sep + eol;
  };
  return {
    header(hrec) {
      if (fmt !== 'tsv' && fmt !== 'csv') return [];
      const raw = bytes.subarray(hrec.start, hrec.end);
      return [raw.includes(13) ? inKeys.map(field).join(sep) : raw, rcols.map((k) => sep + field(k)).join('') + eol];
    },
    row(r) {
      const raw = bytes.subarray(r.rec.start, r.rec.end);
      if (fmt === 'lines') {
        if (r.error !== undefined) return ['error\t' + tsvClean(r.error) + '\n'];
        return [`${r.res.label}\t${fmtNum(r.res.score)}\n`];
      }
      if (fmt === 'tsv' || fmt === 'csv') {
        if (!r.rawBad && !raw.includes(13)) return [raw, cols(r)];
        if (r.rawBad) return [field(dec.decode(raw)) + sep.repeat(Math.max(0, inKeys.length - 1)), cols(r)];
        return [r.fields.map(field).join(sep), cols(r)];
      }
      /* jsonl */
      let members = r.error !== undefined ? `"error":${jsonStr(r.error)}` : r.members;
      if (r.obj) {
        const hasObj = (k) => Object.prototype.hasOwnProperty.call(r.obj, k);
        if (rkeys.some(hasObj)) members = renameMembers(members, hasObj);
        let n = raw.length;
        while (n && raw[n - 1] !== 125) n--;
        return [raw.subarray(0, n - 1), Object.keys(r.obj).length ? ',' : '', members, '}\n'];
      }
      return [`{"input":${jsonStr(dec.decode(raw))},`, members, '}\n'];
    },
  };
}

/* ---- Score a file: the flow ----------------------------------------------------------------- */

let download = null;

/* The text of each record, or why it has none (batch.c parse_delimited / parse_jsonl). */
function parseRecord(fmt, bytes, rec, hdr, textCol) {
  const raw = bytes.subarray(rec.start, rec.end);
  const r = { rec, line: rec.line };
  if (fmt === 'lines') { r.text = dec.decode(raw); return r; }
  if (fmt === 'jsonl') {
    let obj;
    try { obj = JSON.parse(dec.decode(raw)); } catch (e) {
      r.rawBad = true;
      r.error = /^[ \t\r]*$/.test(dec.decode(raw)) ? 'empty line (expected a JSON object)' : `invalid JSON: ${e.message}`;
      return r;
    }
    if (!obj || typeof obj !== 'object' || Array.isArray(obj)) { r.rawBad = true; r.error = 'not a JSON object'; return r; }
    r.obj = obj;
    const key = TEXT_KEYS.find((k) => Object.prototype.hasOwnProperty.call(obj, k));
    if (!key) r.error = 'no text member (text, sentence, content or review)';
    else if (typeof obj[key] !== 'string') r.error = `member "${key}" is not a string`;
    else r.text = obj[key];
    return r;
  }
  if (fmt === 'csv' && rec.badQuote) { r.rawBad = true; r.error = 'malformed CSV: a quoted field is not closed'; return r; }
  const f = fmt === 'csv' ? csvFields(raw) : splitTsv(raw);
  if (f.error) { r.rawBad = true; r.error = f.error; return r; }
  r.fields = f;
  if (f.length !== hdr.length) { r.rawBad = true; r.error = `${f.length} fields, the header has ${hdr.length}`; return r; }
  r.text = f[textCol];
  return r;
}

/* Texts per batch request: the server's default --max-batch; halved for good on a 413 (a server
 * with a smaller --max-batch or --max-body). */
let batchTexts = 1000;

async function scoreChunk(items) {
  for (let attempt = 0; ; attempt++) {
    try {
      const { text } = await api('/v1/sentiment/batch', { texts: items.map((r) => r.text) });
      return rawResults(text);
    } catch (e) {
      if ((e.status === 429 || e.status === 503) && attempt < 20) {
        $('file-status').textContent = `The server asks to slow down; retrying in ${e.retryAfter} s…`;
        await new Promise((res) => setTimeout(res, e.retryAfter * 1000));
        continue;
      }
      if (e.status === 413 && items.length > 1) {
        const h = items.length >> 1;
        batchTexts = Math.min(batchTexts, h);
        return [...await scoreChunk(items.slice(0, h)), ...await scoreChunk(items.slice(h))];
      }
      throw e;
    }
  }
}

function showDistribution(counts) {
  const svg = $('file-dist');
  svg.replaceChildren();
  const ns = 'http://www.w3.org/2000/svg';
  const rank = (l) => (state.labels.includes(l) ? state.labels.indexOf(l) : state.labels.length);
  const entries = Object.entries(counts).sort((x, y) => rank(x[0]) - rank(y[0])); /* the model's order, errors last */
  const total = entries.reduce((a, [, n]) => a + n, 0) || 1;
  const h = 22;
  svg.setAttribute('viewBox', `0 0 300 ${entries.length * (h + 6) + 4}`);
  entries.forEach(([label, n], i) => {
    const y = 4 + i * (h + 6);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('x', 80); rect.setAttribute('y', y);
    rect.setAttribute('width', Math.max(1, (n / total) * 150)); rect.setAttribute('height', h);
    rect.setAttribute('fill', label === 'positive' ? '#15803d' : label === 'negative' ? '#b91c1c' : label === 'error' ? '#92400e' : '#6b7280');
    const t1 = document.createElementNS(ns, 'text');
    t1.setAttribute('x', 0); t1.setAttribute('y', y + 15); t1.textContent = label;
    const t2 = document.createElementNS(ns, 'text');
    t2.setAttribute('x', 84 + (n / total) * 150); t2.setAttribute('y', y + 15);
    t2.textContent = `${n} (${((n / total) * 100).toFixed(1)}%)`;
    svg.append(rect, t1, t2);
  });
  svg.setAttribute('aria-label', 'Label distribution: ' + entries.map(([l, n]) => `${l} ${n}`).join(', '));
}

/* The file's bytes (a UTF-8 byte order mark skipped, as senti batch does) and format; throws
 * with the reason for a file that cannot be read. */
async function readInput(file) {
  if (file.size > MAX_FILE) throw new Error(`${file.name} is larger than ${MAX_FILE >> 20} MB`);
  let bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)))
    throw new Error(`${file.name}: UTF-16 text; senti reads UTF-8 (convert it first)`);
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  return { bytes, fmt: formatOf(file.name, bytes) };
}

/* TSV/CSV: the header record (taken from the records iterator) and the text column. */
function readHeader(file, bytes, fmt, it, textColChoice) {
  if (fmt !== 'csv' && fmt !== 'tsv') { $('file-col-box').hidden = true; return { hdr: null, hrec: null, textCol: -1 }; }
  const first = it.next();
  if (first.done) return { hdr: null, hrec: null, textCol: -1 };
  const hrec = first.value;
  const raw = bytes.subarray(hrec.start, hrec.end);
  const hdr = fmt === 'csv' ? (hrec.badQuote ? { error: 'a quoted field is not closed' } : csvFields(raw)) : splitTsv(raw);
  if (hdr.error) throw new Error(`${file.name}:1: malformed header: ${hdr.error}`);
  showColumns(hdr, file, textColChoice);
  let textCol = textColChoice !== undefined ? textColChoice
    : TEXT_KEYS.map((k) => hdr.findIndex((h) => h.toLowerCase() === k)).find((k) => k >= 0) ?? -1;
  if (textCol < 0 && hdr.length === 1) textCol = 0;
  if (textCol < 0) throw new Error(`${file.name}: no text column (text, sentence, content or review) in the header; choose one`);
  return { hdr, hrec, textCol };
}

/* The next run of records: up to batchTexts texts or 512 kB of them (one batch request). */
function nextChunk(it, parse) {
  const recs = [];
  let texts = 0, size = 0;
  while (texts < batchTexts && size < (512 << 10)) {
    const n = it.next();
    if (n.done) break;
    const r = parse(n.value);
    recs.push(r);
    if (r.error === undefined) { texts++; size += r.text.length + 8; }
  }
  return recs;
}

/* What the page shows of a scored record: counts, the first rows, the first errors. */
function tally(view, r, name) {
  const l = r.error !== undefined ? 'error' : r.res.label;
  view.counts[l] = (view.counts[l] || 0) + 1;
  view.n++;
  if (r.error !== undefined && ++view.failed <= 50)
    $('file-errors').append(el('li', { text: `${name}:${r.line}: ${r.error}` }));
  if (view.n <= 20) $('file-rows').append(el('tr', null,
    el('td', { class: 'num', text: String(r.line) }), el('td', { text: (r.text || '').slice(0, 120) }),
    el('td', { text: l }), el('td', { class: 'num', text: r.error !== undefined ? '' : fmtNum(r.res.score) })));
}

/* Read, score chunk by chunk (each chunk's output written before the next is read: the
 * records themselves are not kept), and offer the result for download. */
let fileRun = 0;
async function scoreFile(file, textColChoice) {
  const runId = ++fileRun, status = $('file-status'), prog = $('file-progress');
  $('file-errors').replaceChildren();
  $('file-rows').replaceChildren();
  $('file-download').disabled = true;
  download = null;
  const { bytes, fmt } = await readInput(file);
  const it = records(bytes, fmt, 0);
  const { hdr, hrec, textCol } = readHeader(file, bytes, fmt, it, textColChoice);
  const w = makeWriter(fmt, hdr, bytes);
  const parts = hrec ? w.header(hrec) : [];
  const view = { counts: {}, n: 0, failed: 0 };
  Object.assign(prog, { hidden: false, max: bytes.length || 1, value: 0 });
  const t0 = performance.now();
  /* two batches in flight: the next is on its way while this one's output is written */
  const start = () => {
    const recs = nextChunk(it, (rec) => parseRecord(fmt, bytes, rec, hdr, textCol));
    const todo = recs.filter((r) => r.error === undefined);
    return { recs, todo, res: todo.length ? scoreChunk(todo) : Promise.resolve([]) };
  };
  for (let next = start(); next.recs.length;) {
    const { recs, todo } = next;
    const res = await next.res;
    if (runId !== fileRun) return; /* another file was chosen meanwhile */
    next = start();
    todo.forEach((r, k) => {
      r.members = res[k];
      r.res = JSON.parse(`{${res[k]}}`);
      if (r.res.error !== undefined) r.error = r.res.error;
    });
    for (const r of recs) { parts.push(...w.row(r)); tally(view, r, file.name); }
    prog.value = recs[recs.length - 1].rec.end;
    status.textContent = `${file.name}: ${view.n} records scored…`;
  }
  prog.value = prog.max;
  showDistribution(view.counts);
  const type = { csv: 'text/csv', tsv: 'text/tab-separated-values', jsonl: 'application/x-ndjson', lines: 'text/plain' }[fmt];
  const ext = /\.[^.]+$/.exec(file.name);
  const base = file.name.replace(/\.[^.]*$/, '') || 'scored';
  download = { blob: new Blob(parts, { type }), name: `${base}.scored${ext ? ext[0] : '.txt'}` };
  $('file-download').disabled = false;
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  status.textContent = `${file.name} (${fmt}): ${view.n} records in, ${view.n} out, ${view.failed} failed, ${secs} s.`;
}

function showColumns(hdr, file, chosen) {
  const sel = $('file-col');
  sel.replaceChildren(...hdr.map((h, i) => el('option', { value: String(i), text: h || `column ${i + 1}` })));
  const def = TEXT_KEYS.map((k) => hdr.findIndex((h) => h.toLowerCase() === k)).find((k) => k >= 0);
  sel.value = String(chosen !== undefined ? chosen : def !== undefined ? def : 0);
  sel.onchange = () => run(file, Number(sel.value));
  $('file-col-box').hidden = false;
}

function run(file, col) {
  scoreFile(file, col).catch((e) => {
    $('file-status').textContent = e.message.startsWith(file.name) ? `${e.message}.` : `Could not score ${file.name}: ${e.message}`;
  });
}

function setupFile() {
  $('file-max').textContent = `${MAX_FILE >> 20} MB`;
  $('file-input').addEventListener('change', (ev) => { if (ev.target.files[0]) run(ev.target.files[0]); });
  const drop = $('drop');
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => {
    ev.preventDefault();
    drop.classList.remove('over');
    if (ev.dataTransfer.files[0]) run(ev.dataTransfer.files[0]);
  });
  $('file-download').addEventListener('click', () => {
    if (!download) return;
    const a = el('a', { href: URL.createObjectURL(download.blob), download: download.name });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
  });
}

/* ---- Watch ------------------------------------------------------------------------------------ */

const SCORING = ['/v1/sentiment', '/v1/sentiment/batch', '/v1/explain'];
const snaps = [];   /* {t, req, lat: counts[], hits, misses} */
const series = { rps: [], p50: [], p95: [], p99: [], hit: [] };
const KEEP = 300;

function percentile(bounds, counts, q) {
  const total = counts.reduce((a, b) => a + b, 0);
  if (!total) return null;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    if (acc + counts[i] >= q * total) {
      const lo = i ? bounds[i - 1] : 0, hi = i < bounds.length ? bounds[i] : bounds[bounds.length - 1];
      const f = counts[i] ? (q * total - acc) / counts[i] : 0;
      return lo + (hi - lo) * f;
    }
    acc += counts[i];
  }
  return bounds[bounds.length - 1];
}

async function poll() {
  let s;
  try { ({ json: s } = await api('/v1/stats')); } catch (e) { return; }
  const snap = { t: s.time, req: SCORING.reduce((a, r) => a + (s.requests[r] ? s.requests[r].total : 0), 0),
    lat: s.latency.counts, hits: s.cache.hits, misses: s.cache.misses, bounds: s.latency.bounds };
  snaps.push(snap);
  if (snaps.length > KEEP + 12) snaps.shift();
  if (snaps.length < 2) return;
  const prev = snaps[snaps.length - 2];
  const back = snaps[Math.max(0, snaps.length - 11)];
  const rps = (snap.req - prev.req) / Math.max(1e-3, snap.t - prev.t);
  const d = snap.lat.map((c, i) => c - back.lat[i]);
  const ms = (q) => { const v = percentile(snap.bounds, d, q); return v === null ? null : v * 1000; };
  const dh = snap.hits - back.hits, dm = snap.misses - back.misses;
  const hit = dh + dm ? dh / (dh + dm) : null;
  const push = (k, v) => { series[k].push(v); if (series[k].length > KEEP) series[k].shift(); };
  push('rps', rps); push('p50', ms(0.5)); push('p95', ms(0.95)); push('p99', ms(0.99)); push('hit', hit);
  $('w-rps').textContent = rps.toFixed(1);
  const f = (v) => (v === null ? '—' : v.toFixed(2));
  $('w-lat').textContent = `${f(ms(0.5))} / ${f(ms(0.95))} / ${f(ms(0.99))}`;
  $('w-hit').textContent = hit === null ? '—' : `${(hit * 100).toFixed(0)}%`;
  $('w-total').textContent = `${snap.req} scoring requests, ${s.texts_scored} texts scored, ` +
    `${s.cache.hits} cache hits, up ${Math.round(s.uptime)} s`;
  $('w-total').dataset.requests = String(snap.req);
  if (!$('panel-watch').hidden) drawCharts();
}

function drawChart(canvas, lines, fmtY, fixedMax) {
  /* drawn at the size the canvas is shown, in device pixels, so that it stays sharp */
  const dpr = window.devicePixelRatio || 1;
  const W = Math.max(200, Math.round(canvas.clientWidth || 420)), H = 140, L = 44, B = 16;
  if (canvas.width !== W * dpr) { canvas.width = W * dpr; canvas.height = H * dpr; }
  const ctx = canvas.getContext('2d');
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, W, H);
  const vals = lines.flatMap((l) => l.data.filter((v) => v !== null));
  const max = fixedMax || Math.max(1e-9, ...vals) * 1.15;
  ctx.strokeStyle = '#d1d5db';
  ctx.fillStyle = '#4b5563';
  ctx.font = '11px system-ui, sans-serif';
  ctx.lineWidth = 1;
  for (let k = 0; k <= 2; k++) {
    const y = 4 + (H - B - 8) * (1 - k / 2);
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - 4, y); ctx.stroke();
    ctx.fillText(fmtY((max * k) / 2), 2, y + 4);
  }
  ctx.fillText('−5 min', L, H - 3);
  ctx.fillText('now', W - 26, H - 3);
  for (const line of lines) {
    ctx.strokeStyle = line.color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    let started = false;
    line.data.forEach((v, i) => {
      if (v === null) { started = false; return; }
      const x = L + ((W - L - 4) * (KEEP - line.data.length + i)) / (KEEP - 1);
      const y = 4 + (H - B - 8) * (1 - Math.min(v, max) / max);
      if (started) ctx.lineTo(x, y); else ctx.moveTo(x, y);
      started = true;
    });
    ctx.stroke();
  }
  canvas.dataset.points = String(lines[0].data.length);
}

function drawCharts() {
  drawChart($('c-rps'), [{ data: series.rps, color: '#1d4ed8' }], (v) => v.toFixed(1));
  drawChart($('c-lat'), [{ data: series.p50, color: '#15803d' }, { data: series.p95, color: '#b45309' },
    { data: series.p99, color: '#b91c1c' }], (v) => v.toFixed(2));
  drawChart($('c-hit'), [{ data: series.hit, color: '#7c3aed' }], (v) => `${Math.round(v * 100)}%`, 1);
}

/* ---- start ------------------------------------------------------------------------------------ */

setupTabs();
setupTry();
setupFile();
loadModel().then(() => { if ($('try-text').value) runTry(); })
  .catch((e) => { $('model-line').textContent = `Could not load the model: ${e.message}`; });
poll();
setInterval(poll, 1000);
