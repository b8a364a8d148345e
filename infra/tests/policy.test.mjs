// Plan-free policy checks for infra/ (node --test, Node built-ins only).
//
//   node --test infra/tests/policy.test.mjs
//
// HCL is scanned, not evaluated: string contents, heredocs and comments are
// masked so that braces are counted only in code, then blocks are cut out by
// brace depth. `validation { ... }` blocks are ignored by the IAM checks (they
// mention allUsers in order to refuse it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const INFRA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rel = (f) => path.relative(path.dirname(INFRA), f);

function walk(dir, pred, out = []) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out.sort();
}

// ---------------------------------------------------------------- HCL scanner

// Replace string contents, heredoc bodies and comments by spaces (newlines
// kept), so offsets and line numbers stay the same as in the source.
function mask(src) {
  const out = src.split('');
  const blank = (a, b) => { for (let k = a; k < b; k++) if (out[k] !== '\n') out[k] = ' '; };
  let i = 0;
  function skipString(j) { // j at opening quote; returns index after closing quote
    j++;
    while (j < src.length && src[j] !== '"') {
      if (src[j] === '\\') { j += 2; continue; }
      if ((src[j] === '$' || src[j] === '%') && src[j + 1] === '{') { j = skipCode(j + 2, '}'); continue; }
      if (src[j] === '\n') break;
      j++;
    }
    return j + 1;
  }
  function skipCode(j, close) { // returns index after the matching close
    let depth = 0;
    while (j < src.length) {
      const c = src[j];
      if (c === '"') { j = skipString(j); continue; }
      if (c === '{' || c === '(' || c === '[') depth++;
      if (c === '}' || c === ')' || c === ']') { if (depth === 0 && c === close) return j + 1; depth--; }
      j++;
    }
    return j;
  }
  while (i < src.length) {
    const c = src[i];
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      const e = src.indexOf('\n', i); const end = e < 0 ? src.length : e; blank(i, end); i = end; continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const e = src.indexOf('*/', i + 2); const end = e < 0 ? src.length : e + 2; blank(i, end); i = end; continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)\n/.exec(src.slice(i));
      if (m) {
        const bodyStart = i + m[0].length;
        const re = new RegExp(`^[ \\t]*${m[1]}[ \\t]*$`, 'm');
        const rest = src.slice(bodyStart);
        const em = re.exec(rest);
        const end = em ? bodyStart + em.index : src.length;
        blank(bodyStart, end); i = end + (em ? em[0].length : 0); continue;
      }
    }
    if (c === '"') { const e = skipString(i); blank(i + 1, e - 1); i = e; continue; }
    i++;
  }
  return out.join('');
}

function lineOf(src, idx) { return src.slice(0, idx).split('\n').length; }

// Blocks whose header matches `re` (run on the source, confirmed in code), with
// body offsets [open+1, close).
function blocks(file, re) {
  const src = fs.readFileSync(file, 'utf8');
  const m = mask(src);
  const found = [];
  const g = new RegExp(re.source, 'gm');
  let h;
  while ((h = g.exec(src))) {
    const start = h.index + h[0].search(/\S/);
    if (m[start] !== src[start]) continue; // inside a string or comment
    const open = m.indexOf('{', h.index + h[0].length - 1);
    if (open < 0) continue;
    let depth = 0, k = open;
    for (; k < m.length; k++) {
      if (m[k] === '{') depth++;
      else if (m[k] === '}' && --depth === 0) break;
    }
    found.push({ file, header: h, line: lineOf(src, h.index), body: src.slice(open + 1, k), mbody: m.slice(open + 1, k), start: h.index, end: k + 1 });
  }
  return found;
}

// Names of the top-level attributes and blocks of a block body.
function topLevel(b) {
  const attrs = new Set(), nested = new Set();
  let depth = 0;
  const lines = b.mbody.split('\n');
  for (const line of lines) {
    if (depth === 0) {
      const a = /^\s*([A-Za-z_][A-Za-z0-9_-]*)\s*=/.exec(line);
      const n = /^\s*(?:dynamic\s+")?([A-Za-z_][A-Za-z0-9_-]*)"?\s*(?:"[^"]*"\s*)*\{/.exec(line);
      if (a && !/^\s*[A-Za-z_][A-Za-z0-9_-]*\s*==/.test(line)) attrs.add(a[1]);
      else if (n) nested.add(n[1]);
    }
    for (const c of line) { if (c === '{' || c === '(' || c === '[') depth++; else if (c === '}' || c === ')' || c === ']') depth--; }
  }
  return { attrs, nested };
}

// Source with every `validation { ... }` block removed (kept line count).
function withoutValidation(file) {
  const src = fs.readFileSync(file, 'utf8');
  let out = src;
  for (const b of blocks(file, /^\s*validation\s*\{/).reverse()) {
    out = out.slice(0, b.start) + out.slice(b.start, b.end).replace(/[^\n]/g, ' ') + out.slice(b.end);
  }
  return out;
}

// Code-only text (strings kept) outside comments: mask comments only.
function stripComments(text) {
  return text.split('\n').map((l) => {
    let inStr = false;
    for (let i = 0; i < l.length; i++) {
      if (l[i] === '"' && l[i - 1] !== '\\') inStr = !inStr;
      if (!inStr && (l[i] === '#' || (l[i] === '/' && l[i + 1] === '/'))) return l.slice(0, i);
    }
    return l;
  }).join('\n');
}

// ------------------------------------------------------------------ inputs

const tfFiles = walk(INFRA, (p) => p.endsWith('.tf'));
const tfvarsFiles = walk(INFRA, (p) => p.endsWith('.tfvars'));
const moduleDirs = fs.readdirSync(path.join(INFRA, 'modules'), { withFileTypes: true })
  .filter((e) => e.isDirectory()).map((e) => path.join(INFRA, 'modules', e.name));
const isCicd = (f) => rel(f).split(path.sep).some((part, i, all) => all[i - 1] === 'modules' && part.includes('cicd'));

// ------------------------------------------------------------------- tests

test('there are Terraform files and modules to check', () => {
  assert.ok(tfFiles.length > 5, 'expected .tf files under infra/');
  assert.ok(moduleDirs.length > 0, 'expected modules under infra/modules/');
  assert.ok(moduleDirs.some((d) => path.basename(d).includes('cicd')), 'expected a cicd module');
});

test('each module has main.tf, variables.tf, outputs.tf and README.md', () => {
  const missing = [];
  for (const d of moduleDirs) {
    for (const f of ['main.tf', 'variables.tf', 'outputs.tf', 'README.md']) {
      if (!fs.existsSync(path.join(d, f))) missing.push(rel(path.join(d, f)));
    }
  }
  assert.deepEqual(missing, [], `missing module files:\n${missing.join('\n')}`);
});

test('the root module has versions.tf, variables.tf, main.tf, outputs.tf, README.md and both env tfvars', () => {
  for (const f of ['versions.tf', 'variables.tf', 'main.tf', 'outputs.tf', 'README.md', 'envs/develop.tfvars', 'envs/master.tfvars']) {
    assert.ok(fs.existsSync(path.join(INFRA, f)), `infra/${f} is missing`);
  }
  const v = fs.readFileSync(path.join(INFRA, 'versions.tf'), 'utf8');
  assert.match(v, /required_version\s*=\s*">=\s*1\.6"/, 'terraform >= 1.6');
  assert.match(v, /backend\s+"gcs"\s*\{\s*\}/, 'partial GCS backend (bucket and prefix at init)');
  assert.equal(requiredProviders(v)['hashicorp/google'], '6.50.0', 'google pinned to 6.50.0 (the schema tfcheck checks)');
  assert.equal(requiredProviders(v)['hashicorp/google-beta'], '6.50.0', 'google-beta pinned to 6.50.0');
});

// ------------------------------------------------------- pinning and roots

// source -> version of a versions.tf's required_providers.
function requiredProviders(text) {
  const out = {};
  for (const m of text.matchAll(/=\s*\{\s*source\s*=\s*"([^"]+)"\s*(?:version\s*=\s*"([^"]*)")?\s*\}/g)) out[m[1]] = m[2] ?? null;
  return out;
}

// registry.terraform.io/<source> -> { version, constraints, hashes } of a lock file.
function lockedProviders(text) {
  const out = {};
  for (const m of text.matchAll(/provider\s+"registry\.terraform\.io\/([^"]+)"\s*\{([\s\S]*?)\n\}/g)) {
    const body = m[2];
    out[m[1]] = {
      version: /\bversion\s*=\s*"([^"]+)"/.exec(body)?.[1],
      constraints: /\bconstraints\s*=\s*"([^"]+)"/.exec(body)?.[1],
      hashes: [...body.matchAll(/"((?:h1|zh):[^"]+)"/g)].map((h) => h[1]),
    };
  }
  return out;
}

const roots = [INFRA, path.join(INFRA, 'bootstrap')];

test('every root pins each provider to an exact version and commits a matching .terraform.lock.hcl', () => {
  for (const root of roots) {
    const versions = fs.readFileSync(path.join(root, 'versions.tf'), 'utf8');
    const lockFile = path.join(root, '.terraform.lock.hcl');
    assert.ok(fs.existsSync(lockFile), `${rel(lockFile)} is missing`);
    const want = requiredProviders(versions);
    const locked = lockedProviders(fs.readFileSync(lockFile, 'utf8'));
    assert.ok(Object.keys(want).length > 0, `${rel(root)}: no required_providers`);
    assert.deepEqual(Object.keys(locked).sort(), Object.keys(want).sort(), `${rel(lockFile)}: providers differ from versions.tf`);
    for (const [source, version] of Object.entries(want)) {
      assert.match(version ?? '', /^\d+\.\d+\.\d+$/, `${rel(root)}/versions.tf: ${source} must be pinned exactly, not "${version}"`);
      assert.equal(locked[source].version, version, `${rel(lockFile)}: ${source} locked at ${locked[source].version}, versions.tf says ${version}`);
      assert.equal(locked[source].constraints, version, `${rel(lockFile)}: ${source} constraints must be "${version}"`);
      assert.ok(locked[source].hashes.some((h) => h.startsWith('zh:')), `${rel(lockFile)}: ${source} has no zh: (per-platform zip) hashes`);
      assert.ok(locked[source].hashes.some((h) => h.startsWith('h1:')), `${rel(lockFile)}: ${source} has no h1: hash`);
    }
  }
});

test('a root and its lock agree across roots on shared providers', () => {
  const [main, boot] = roots.map((r) => requiredProviders(fs.readFileSync(path.join(r, 'versions.tf'), 'utf8')));
  for (const source of Object.keys(boot)) assert.equal(boot[source], main[source], `bootstrap and infra pin ${source} differently`);
  const [lmain, lboot] = roots.map((r) => lockedProviders(fs.readFileSync(path.join(r, '.terraform.lock.hcl'), 'utf8')));
  for (const source of Object.keys(lboot)) assert.deepEqual(lboot[source].hashes, lmain[source].hashes, `${source}: lock hashes differ between roots`);
});

test('every variable has a type and a description', () => {
  const bad = [];
  for (const f of tfFiles) {
    for (const b of blocks(f, /^variable\s+"([^"]+)"\s*\{/)) {
      const { attrs } = topLevel(b);
      for (const need of ['type', 'description']) {
        if (!attrs.has(need)) bad.push(`${rel(f)}:${b.line}: variable "${b.header[1]}" has no ${need}`);
      }
    }
  }
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('no public IAM member (allUsers, allAuthenticatedUsers)', () => {
  const bad = [];
  for (const f of [...tfFiles, ...tfvarsFiles]) {
    const text = stripComments(withoutValidation(f));
    text.split('\n').forEach((l, i) => {
      if (/allUsers|allAuthenticatedUsers/.test(l)) bad.push(`${rel(f)}:${i + 1}: ${l.trim()}`);
    });
  }
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('no basic roles (owner, editor, viewer)', () => {
  const bad = [];
  for (const f of [...tfFiles, ...tfvarsFiles]) {
    const text = stripComments(withoutValidation(f));
    text.split('\n').forEach((l, i) => {
      if (/"roles\/(owner|editor|viewer)"/.test(l)) bad.push(`${rel(f)}:${i + 1}: ${l.trim()}`);
    });
  }
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('no admin role outside the cicd module', () => {
  const bad = [];
  for (const f of [...tfFiles, ...tfvarsFiles]) {
    if (isCicd(f)) continue;
    const text = stripComments(withoutValidation(f));
    text.split('\n').forEach((l, i) => {
      for (const m of l.matchAll(/roles\/[A-Za-z0-9_.]+/g)) {
        if (/admin/i.test(m[0])) bad.push(`${rel(f)}:${i + 1}: ${m[0]}`);
      }
    });
  }
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('every alert policy has documentation content and notification channels', () => {
  const bad = [];
  let count = 0;
  for (const f of tfFiles) {
    for (const b of blocks(f, /^resource\s+"google_monitoring_alert_policy"\s+"([^"]+)"\s*\{/)) {
      count++;
      const { attrs, nested } = topLevel(b);
      if (!nested.has('documentation')) bad.push(`${rel(f)}:${b.line}: ${b.header[1]} has no documentation`);
      else if (!/documentation\s*\{[\s\S]*?\bcontent\s*=/.test(b.body)) bad.push(`${rel(f)}:${b.line}: ${b.header[1]} documentation has no content`);
      if (!attrs.has('notification_channels')) bad.push(`${rel(f)}:${b.line}: ${b.header[1]} has no notification_channels`);
    }
  }
  assert.ok(count >= 7, `expected the seed's alerts and SLO burn-rate alerts, found ${count} policies`);
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('SLOs exist with burn-rate alerts', () => {
  const all = tfFiles.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const slos = (all.match(/resource\s+"google_monitoring_slo"/g) || []).length;
  assert.ok(slos >= 3, `expected 3 SLOs, found ${slos}`);
  assert.match(all, /resource\s+"google_monitoring_custom_service"/);
  assert.match(all, /select_slo_burn_rate\(/);
});

test('Cloud Run services are invoked only through run.invoker IAM members, never publicly', () => {
  const bad = [];
  for (const f of tfFiles) {
    for (const b of blocks(f, /^resource\s+"google_cloud_run_v2_service_iam_(member|binding|policy)"\s+"([^"]+)"\s*\{/)) {
      if (b.header[1] !== 'member') bad.push(`${rel(f)}:${b.line}: use _iam_member, not _iam_${b.header[1]}`);
      if (!/role\s*=\s*"roles\/run\.invoker"/.test(b.body)) bad.push(`${rel(f)}:${b.line}: only roles/run.invoker is granted on services`);
    }
    for (const b of blocks(f, /^resource\s+"google_cloud_run_v2_service"\s+"([^"]+)"\s*\{/)) {
      for (const probe of ['startup_probe', 'liveness_probe']) {
        if (!new RegExp(`${probe}\\s*\\{[\\s\\S]*?path\\s*=\\s*"/healthz"`).test(b.body)) bad.push(`${rel(f)}:${b.line}: ${probe} on /healthz missing`);
      }
    }
  }
  assert.deepEqual(bad, [], bad.join('\n'));
});

test('API Gateway resources use google-beta', () => {
  const bad = [];
  for (const f of tfFiles) {
    for (const b of blocks(f, /^resource\s+"(google_api_gateway_[a-z_]+)"\s+"([^"]+)"\s*\{/)) {
      if (!/^\s*provider\s*=\s*google-beta\s*$/m.test(b.body)) bad.push(`${rel(f)}:${b.line}: ${b.header[1]} needs provider = google-beta`);
    }
  }
  assert.deepEqual(bad, [], bad.join('\n'));
});

// ------------------------------------------------------------- OpenAPI spec

const specFiles = walk(INFRA, (p) => path.basename(p).includes('openapi') && !p.endsWith('.tf'));

// Minimal YAML reading by indentation: path -> method -> its lines.
function operations(text) {
  const ops = [];
  const lines = text.split('\n');
  let inPaths = false, pathKey = null, pathIndent = -1, method = null, methodIndent = -1;
  for (const raw of lines) {
    if (/^\s*(#|$)/.test(raw)) { if (method) method.lines.push(raw); continue; }
    const indent = raw.search(/\S/);
    const line = raw.trim();
    if (indent === 0) { inPaths = line === 'paths:'; pathKey = null; method = null; continue; }
    if (!inPaths) continue;
    if (pathKey === null || indent <= pathIndent) {
      const m = /^(\/[^:]*|"\/[^"]*"):\s*$/.exec(line);
      if (m) { pathKey = m[1].replace(/"/g, ''); pathIndent = indent; method = null; continue; }
    }
    if (pathKey !== null && indent > pathIndent && (method === null || indent <= methodIndent)) {
      const m = /^(get|put|post|delete|options|head|patch):\s*$/.exec(line);
      if (m) { method = { path: pathKey, method: m[1], lines: [] }; methodIndent = indent; ops.push(method); continue; }
    }
    if (method) method.lines.push(raw);
  }
  return ops;
}

function securityOf(op) {
  // `security:` followed by at least one `- name: [...]` entry.
  const i = op.lines.findIndex((l) => /^\s*security:\s*$/.test(l));
  if (i < 0) return null;
  const next = op.lines.slice(i + 1).find((l) => l.trim() !== '');
  return next && /^\s*-\s*[A-Za-z0-9_]+:\s*\[.*\]\s*$/.test(next) ? next.trim() : null;
}

test('an OpenAPI spec exists under infra/', () => {
  assert.ok(specFiles.length >= 1, 'expected a file whose name contains "openapi"');
});

test('the OpenAPI spec puts JWT security on every path', () => {
  for (const f of specFiles) {
    const text = fs.readFileSync(f, 'utf8');
    assert.match(text, /securityDefinitions:/, `${rel(f)}: securityDefinitions missing`);
    for (const ext of ['x-google-issuer', 'x-google-jwks_uri', 'x-google-audiences']) {
      assert.match(text, new RegExp(`${ext}:`), `${rel(f)}: ${ext} missing`);
    }
    const ops = operations(text);
    assert.ok(ops.length > 0, `${rel(f)}: no operations found`);
    const bad = ops.filter((op) => !securityOf(op)).map((op) => `${op.method.toUpperCase()} ${op.path}`);
    assert.deepEqual(bad, [], `${rel(f)}: operations without security:\n${bad.join('\n')}`);
    const nobackend = ops.filter((op) => !op.lines.some((l) => /x-google-backend:/.test(l))
      || !op.lines.some((l) => /jwt_audience:/.test(l))).map((op) => `${op.method.toUpperCase()} ${op.path}`);
    assert.deepEqual(nobackend, [], `${rel(f)}: operations without x-google-backend/jwt_audience:\n${nobackend.join('\n')}`);
  }
});

test('the OpenAPI spec routes every public endpoint', () => {
  const want = [
    'POST /upload', 'POST /uploads', 'GET /uploads/{id}', 'GET /getdata', 'GET /stats', 'GET /datasets',
    'GET /datasets/{name}', 'GET /datasets/{name}/rows', 'GET /datasets/{name}/stats', 'POST /datasets/{name}/upload',
    'POST /events', 'POST /datasets/{name}/events',
  ];
  for (const f of specFiles) {
    const have = new Set(operations(fs.readFileSync(f, 'utf8')).map((op) => `${op.method.toUpperCase()} ${op.path}`));
    const missing = want.filter((w) => !have.has(w));
    assert.deepEqual(missing, [], `${rel(f)}: missing routes:\n${missing.join('\n')}`);
    for (const internal of ['/pubsub/push', '/healthz', '/readyz']) {
      assert.ok(![...have].some((h) => h.endsWith(` ${internal}`)), `${rel(f)}: ${internal} must not be exposed`);
    }
  }
});

// ------------------------------------------------------- self-test of the scanner

test('scanner: braces in strings, heredocs and comments do not count', () => {
  const tmp = fs.mkdtempSync(path.join(fs.realpathSync(process.env.TMPDIR || '/tmp'), 'policy-'));
  const f = path.join(tmp, 'x.tf');
  fs.writeFileSync(f, [
    'variable "a" {',
    '  description = "has } and ${join("}", [])} inside"',
    '  # a comment with {',
    '  validation {',
    '    condition     = !contains(["allUsers"], var.a)',
    '    error_message = "no"',
    '  }',
    '  type = string',
    '}',
    'resource "google_monitoring_alert_policy" "p" {',
    '  documentation {',
    '    content = <<-EOT',
    '      { not a block',
    '    EOT',
    '  }',
    '}',
    '',
  ].join('\n'));
  const [v] = blocks(f, /^variable\s+"([^"]+)"\s*\{/);
  assert.deepEqual([...topLevel(v).attrs].sort(), ['description', 'type']);
  assert.ok(!/allUsers/.test(withoutValidation(f)));
  const [p] = blocks(f, /^resource\s+"google_monitoring_alert_policy"\s+"([^"]+)"\s*\{/);
  assert.ok(topLevel(p).nested.has('documentation'));
  fs.rmSync(tmp, { recursive: true, force: true });
});

// ------------------------------------------- issue 10: the Google Cloud control flow

const read = (...p) => fs.readFileSync(path.join(INFRA, ...p), 'utf8');
const rootMain = () => read('main.tf');
const moduleCall = (name) => {
  const [b] = blocks(path.join(INFRA, 'main.tf'), new RegExp(`^module\\s+"${name}"\\s*\\{`));
  assert.ok(b, `module "${name}" missing in infra/main.tf`);
  return b.body;
};
const tfvar = (env, name) => {
  const m = new RegExp(`^${name}\\s*=\\s*(.+)$`, 'm').exec(read('envs', `${env}.tfvars`));
  return m ? m[1].trim() : undefined;
};
const variableDefault = (file, name) => {
  const [b] = blocks(path.join(INFRA, file), new RegExp(`^variable\\s+"${name}"\\s*\\{`));
  assert.ok(b, `variable "${name}" missing in ${file}`);
  return /^\s*default\s*=\s*(.+)$/m.exec(b.body)?.[1].trim();
};

test('process is private: ingress internal, run.invoker only for the pusher SA, push audience as custom audience', () => {
  const p = moduleCall('process');
  assert.match(p, /ingress\s*=\s*"INGRESS_TRAFFIC_INTERNAL_ONLY"/);
  assert.match(p, /custom_audiences\s*=\s*\[local\.push_audience\]/);
  const invokers = /invokers\s*=\s*\{([^}]*)\}/.exec(p)[1].trim().split('\n').map((l) => l.trim()).filter(Boolean);
  assert.deepEqual(invokers, ['push = local.member["push"]'], 'only the pusher SA may invoke process');
  assert.doesNotMatch(read('modules', 'cloud-run-service', 'main.tf'), /invoker_iam_disabled/, 'Cloud Run IAM stays on');
});

test('process gets the push audience, pusher SA, batch window and dead-letter subscription it needs', () => {
  const p = moduleCall('process');
  for (const [k, v] of [
    ['TARMAC_PUSH_AUDIENCE', 'local.push_audience'],
    ['TARMAC_PUSH_SERVICE_ACCOUNT', 'local.sa["push"]'],
    ['TARMAC_BATCH_WINDOW_MS', 'tostring(var.batch_window_ms)'],
    ['TARMAC_DEAD_LETTER_SUBSCRIPTION', 'local.dead_letter_sweep_subscription'],
  ]) assert.match(p, new RegExp(`${k}\\s*=\\s*${v.replace(/[.()[\]"]/g, '\\$&')}\\s*$`, 'm'), `${k} = ${v}`);
  // The full name process pulls from is the subscription the events module creates.
  assert.match(rootMain(), /dead_letter_sweep_subscription\s*=\s*"projects\/\$\{var\.project_id\}\/subscriptions\/\$\{local\.name\}-dead-letter-sweep"/);
  assert.match(moduleCall('events'), /dead_letter_sweep_subscription_name\s*=\s*"\$\{local\.name\}-dead-letter-sweep"/);
  assert.match(moduleCall('events'), /dead_letter_sweep_member\s*=\s*local\.member\["process"\]/);
});

test('the process SA is subscriber on exactly the dead-letter sweep subscription', () => {
  const f = path.join(INFRA, 'modules', 'events', 'main.tf');
  const grants = blocks(f, /^resource\s+"google_pubsub_subscription_iam_member"\s+"([^"]+)"\s*\{/);
  const sweep = grants.filter((b) => /member\s*=\s*var\.dead_letter_sweep_member/.test(b.body));
  assert.equal(sweep.length, 1);
  assert.match(sweep[0].body, /subscription\s*=\s*google_pubsub_subscription\.dead_letter_sweep\.name/);
  assert.match(sweep[0].body, /role\s*=\s*"roles\/pubsub\.subscriber"/);
  const [sub] = blocks(f, /^resource\s+"google_pubsub_subscription"\s+"dead_letter_sweep"\s*\{/);
  assert.doesNotMatch(sub.body, /push_config/, 'the sweep subscription is a pull subscription');
  assert.match(sub.body, /topic\s*=\s*google_pubsub_topic\.dead_letter\.id/);
});

test('only raw/ objects raise push events (state/, claims/, staging/ writes do not)', () => {
  assert.match(moduleCall('events'), /object_prefix\s*=\s*"raw\/"/);
  const [n] = blocks(path.join(INFRA, 'modules', 'events', 'main.tf'), /^resource\s+"google_storage_notification"\s+"([^"]+)"\s*\{/);
  assert.match(n.body, /object_name_prefix\s*=\s*var\.object_prefix/);
  assert.match(n.body, /event_types\s*=\s*\["OBJECT_FINALIZE"\]/);
});

test('Cloud Scheduler calls /flush and /sweep with an OIDC token of the pusher SA for the push audience', () => {
  const s = moduleCall('scheduler');
  assert.match(s, /target_url\s*=\s*module\.process\.uri/);
  assert.match(s, /oidc_service_account_email\s*=\s*local\.sa\["push"\]/);
  assert.match(s, /oidc_audience\s*=\s*local\.push_audience/);
  assert.match(s, /flush\s*=\s*\{[\s\S]*?path\s*=\s*"\/flush"[\s\S]*?schedule\s*=\s*"\*\/\$\{local\.flush_every_minutes\} \* \* \* \*"/);
  assert.match(s, /sweep\s*=\s*\{[\s\S]*?path\s*=\s*"\/sweep"[\s\S]*?schedule\s*=\s*var\.sweep_schedule/);
  assert.equal(variableDefault('variables.tf', 'sweep_schedule'), '"*/5 * * * *"');
  const jobs = blocks(path.join(INFRA, 'modules', 'scheduler', 'main.tf'), /^resource\s+"google_cloud_scheduler_job"\s+"([^"]+)"\s*\{/);
  assert.equal(jobs.length, 1);
  assert.match(jobs[0].body, /http_method\s*=\s*"POST"/);
  assert.match(jobs[0].body, /oidc_token\s*\{\s*service_account_email\s*=\s*var\.oidc_service_account_email\s*audience\s*=\s*var\.oidc_audience\s*\}/);
});

// M = max(1, ceil(batch_window_ms / 60000)), the formula the contract names.
const flushEveryMinutes = (ms) => Math.max(1, Math.ceil(ms / 60000));

test('the flush cadence derives from one batch_window_ms per environment and stays under 1,500 load jobs per table per day', () => {
  assert.match(rootMain(), /flush_every_minutes\s*=\s*max\(1,\s*ceil\(var\.batch_window_ms\s*\/\s*60000\)\)/);
  assert.match(read('outputs.tf'), /output\s+"batch_window_ms"\s*\{[\s\S]*?value\s*=\s*var\.batch_window_ms\s*\}/);
  assert.match(read('outputs.tf'), /output\s+"flush_every_minutes"\s*\{[\s\S]*?value\s*=\s*local\.flush_every_minutes\s*\}/);
  const windows = { default: Number(variableDefault('variables.tf', 'batch_window_ms')) };
  for (const env of ['develop', 'master']) windows[env] = Number(tfvar(env, 'batch_window_ms'));
  assert.deepEqual(windows, { default: 180000, develop: 60000, master: 180000 });
  for (const [env, ms] of Object.entries(windows)) {
    const m = flushEveryMinutes(ms);
    assert.ok(m >= 1 && m <= 60, `${env}: */${m} must be a valid minute step`);
    assert.ok(Math.ceil(1440 / m) <= 1500, `${env}: ${Math.ceil(1440 / m)} flushes a day exceed 1,500 load jobs per table`);
    assert.ok(m * 60000 >= ms, `${env}: a flush every ${m} min must not be sooner than the window allows`);
  }
  assert.equal(flushEveryMinutes(1000), 1);
  assert.equal(flushEveryMinutes(60000), 1);
  assert.equal(flushEveryMinutes(60001), 2);
  assert.equal(flushEveryMinutes(180000), 3);
});

test('raw-bucket object roles are limited by an object-name prefix condition', () => {
  const b = moduleCall('storage');
  const entries = [...b.matchAll(/^\s{4}([a-z_]+)\s*=\s*\{([\s\S]*?)^\s{4}\}/gm)].map((m) => ({ key: m[1], body: m[2] }));
  assert.equal(entries.length, 5, 'expected the five raw_iam entries');
  const unconditional = entries.filter((e) => !/prefixes\s*=/.test(e.body));
  assert.deepEqual(unconditional.map((e) => `${e.key}: ${/role\s*=\s*"([^"]+)"/.exec(e.body)[1]}`), ['process_bucket_read: roles/storage.legacyBucketReader'],
    'only bucket-level permissions (buckets.get, objects.list) may be granted without a prefix condition');
  for (const e of entries.filter((x) => /prefixes/.test(x.body))) {
    assert.match(e.body, /role\s*=\s*"roles\/storage\.object(Creator|Viewer|User)"/, `${e.key}: object role`);
  }
  const prefixesOf = (who, role) => entries.filter((e) => e.body.includes(`member["${who}"]`) && e.body.includes(`"roles/storage.${role}"`))
    .map((e) => /prefixes\s*=\s*(\[[^\]]*\])/.exec(e.body)[1]);
  assert.deepEqual(prefixesOf('ingest', 'objectCreator'), ['["raw/"]'], 'ingest creates uploads, never overwrites them');
  assert.deepEqual(prefixesOf('ingest', 'objectUser'), ['["state/", "claims/"]']);
  assert.deepEqual(prefixesOf('ingest', 'objectViewer'), []);
  assert.deepEqual(prefixesOf('process', 'objectViewer'), ['["raw/"]'], 'process only reads uploads');
  assert.deepEqual(prefixesOf('process', 'objectUser'), ['["state/", "claims/", "staging/"]']);
  const st = read('modules', 'storage', 'main.tf');
  assert.match(st, /resource\.name\.startsWith\(\\"projects\/_\/buckets\/\$\{google_storage_bucket\.raw\.name\}\/objects\/\$\{p\}\\"\)/);
  assert.match(st, /uniform_bucket_level_access\s*=\s*true/);
});

test('ingest can read the dataset (streaming inserts need bigquery.datasets.get) without reading its rows', () => {
  assert.match(moduleCall('warehouse'), /ingest_dataset_get\s*=\s*\{\s*role\s*=\s*"roles\/bigquery\.metadataViewer",\s*member\s*=\s*local\.member\["ingest"\]\s*\}/);
});

test('alert policies and SLOs on log-based metrics wait for the metrics (terraform-provider-google#11102)', () => {
  const dir = path.join(INFRA, 'modules', 'monitoring');
  const bad = [];
  let waiting = 0;
  for (const f of walk(dir, (p) => p.endsWith('.tf'))) {
    for (const b of blocks(f, /^resource\s+"(google_monitoring_alert_policy|google_monitoring_slo)"\s+"([^"]+)"\s*\{/)) {
      const usesUserMetric = /local\.user_metric\[|local\.post_(requests|latency)_filter/.test(b.body);
      const waits = /depends_on\s*=\s*\[[^\]]*time_sleep\.log_metrics_propagation/.test(b.body);
      if (usesUserMetric && !waits) bad.push(`${rel(f)}:${b.line}: ${b.header[2]} uses a log-based metric but does not depend on time_sleep.log_metrics_propagation`);
      if (waits) waiting++;
    }
  }
  assert.deepEqual(bad, [], bad.join('\n'));
  assert.ok(waiting >= 6, `expected the log-metric policies and SLOs to wait, found ${waiting}`);
  const [sleep] = blocks(path.join(dir, 'main.tf'), /^resource\s+"time_sleep"\s+"log_metrics_propagation"\s*\{/);
  assert.match(sleep.body, /depends_on\s*=\s*\[google_logging_metric\.this\]/);
  assert.equal(requiredProviders(read('versions.tf'))['hashicorp/time'], '0.13.1');
});

test('the stuck-work alert counts upload_overdue lines of process and fires above 0', () => {
  const m = read('modules', 'monitoring', 'main.tf');
  assert.match(m, /"jsonPayload\.event=\\"upload_overdue\\""/);
  assert.match(m, /upload_overdue\s*=\s*\{[\s\S]*?filter\s*=\s*local\.upload_overdue_log_filter/);
  const [a] = blocks(path.join(INFRA, 'modules', 'monitoring', 'alerts.tf'), /^resource\s+"google_monitoring_alert_policy"\s+"upload_overdue"\s*\{/);
  assert.ok(a, 'upload_overdue alert policy missing');
  assert.match(a.body, /local\.user_metric\["upload_overdue"\]/);
  assert.match(a.body, /comparison\s*=\s*"COMPARISON_GT"\s*threshold_value\s*=\s*0\b/);
});

test('a sweep that stops succeeding alerts by absence, whatever stopped it', () => {
  const [a] = blocks(path.join(INFRA, 'modules', 'monitoring', 'alerts_pipeline.tf'), /^resource\s+"google_monitoring_alert_policy"\s+"sweep_not_succeeding"\s*\{/);
  assert.ok(a, 'sweep_not_succeeding alert policy missing');
  assert.match(a.body, /condition_absent\s*\{/);
  assert.match(a.body, /metric\.label\.run=\\"sweep\\" AND metric\.label\.outcome=\\"ok\\"/);
  const m = read('modules', 'monitoring', 'main.tf');
  for (const e of ['scheduled_run', 'load_job_failed', 'audit_write_failed']) assert.match(m, new RegExp(`"jsonPayload\\.event=\\\\"${e}\\\\""`), `no log filter on ${e}`);
});

test('notification channels are a validated variable; master refuses an empty list', () => {
  const [v] = blocks(path.join(INFRA, 'variables.tf'), /^variable\s+"notification_channels"\s*\{/);
  assert.match(v.body, /type\s*=\s*list\(string\)/);
  assert.match(v.body, /validation\s*\{/);
  for (const env of ['develop', 'master']) assert.notEqual(tfvar(env, 'notification_channels'), undefined, `${env}.tfvars must set notification_channels`);
  assert.match(moduleCall('monitoring'), /require_notification_channels\s*=\s*coalesce\(var\.require_notification_channels,\s*var\.environment\s*==\s*"master"\)/);
  const [a] = blocks(path.join(INFRA, 'modules', 'monitoring', 'alerts.tf'), /^resource\s+"google_monitoring_alert_policy"\s+"upload_overdue"\s*\{/);
  assert.match(a.body, /precondition\s*\{\s*condition\s*=\s*!var\.require_notification_channels\s*\|\|\s*length\(var\.notification_channels\)\s*>\s*0/);
});

// Metric types used by the dashboard, alerts and SLOs, as listed in Google's metrics list
// (https://cloud.google.com/monitoring/api/metrics_gcp); user metrics are checked by name.
const KNOWN_METRICS = new Set([
  'run.googleapis.com/request_count',
  'run.googleapis.com/request_latencies',
  'run.googleapis.com/container/startup_latencies',
  'run.googleapis.com/container/instance_count',
  'storage.googleapis.com/storage/object_count',
  'storage.googleapis.com/storage/total_bytes',
  'pubsub.googleapis.com/topic/send_request_count',
  'pubsub.googleapis.com/subscription/oldest_unacked_message_age',
  'pubsub.googleapis.com/subscription/dead_letter_message_count',
  'pubsub.googleapis.com/subscription/num_undelivered_messages',
  'apigateway.googleapis.com/proxy/request_count',
  'apigateway.googleapis.com/proxy/latencies',
]);

test('every metric type in monitoring is a known Google metric or one of our log-based metrics', () => {
  const dir = path.join(INFRA, 'modules', 'monitoring');
  const text = walk(dir, (p) => p.endsWith('.tf')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const ours = new Set([...read('modules', 'monitoring', 'main.tf').matchAll(/^\s{4}([a-z_]+)\s*=\s*\{\s*\n\s*description/gm)].map((m) => m[1]));
  const bad = [];
  for (const m of text.matchAll(/metric\.type=\\"([^"\\]+)\\"/g)) {
    const t = m[1];
    const user = /^\$\{local\.user_metric\["([a-z_]+)"\]\}$/.exec(t);
    if (user ? !ours.has(user[1]) : !KNOWN_METRICS.has(t)) bad.push(t);
  }
  assert.deepEqual([...new Set(bad)], [], `unknown metric types:\n${bad.join('\n')}`);
  assert.ok(ours.has('upload_overdue') && ours.has('post_requests'));
});

test('direct uploads are capped at 30 MiB, under the 32 MiB request limit of Cloud Run and API Gateway', () => {
  assert.equal(Number(variableDefault('variables.tf', 'max_upload_bytes')), 31457280);
  const [v] = blocks(path.join(INFRA, 'variables.tf'), /^variable\s+"max_upload_bytes"\s*\{/);
  assert.match(v.body, /var\.max_upload_bytes\s*<=\s*31457280/);
  assert.match(moduleCall('ingest'), /TARMAC_MAX_UPLOAD_BYTES\s*=\s*tostring\(var\.max_upload_bytes\)/);
});

test('the CI/CD identity lives in its own root: infra/ never manages the deployer\'s own grants', () => {
  assert.doesNotMatch(rootMain(), /module\s+"cicd"/, 'infra/main.tf must not call modules/cicd');
  const boot = read('bootstrap', 'main.tf');
  assert.match(boot, /module\s+"cicd"\s*\{\s*source\s*=\s*"\.\.\/modules\/cicd"/);
  assert.match(boot, /google_project_service/);
  assert.match(read('bootstrap', 'variables.tf'), /"cloudscheduler\.googleapis\.com"/);
  assert.match(read('bootstrap', 'versions.tf'), /backend\s+"gcs"\s*\{\s*\}/);
  const cicd = read('modules', 'cicd', 'main.tf');
  assert.match(cicd, /resource\s+"google_service_account_iam_member"\s+"deployer_token_creator_self"\s*\{\s*count\s*=\s*local\.is_cd \? 1 : 0\s*service_account_id\s*=\s*google_service_account\.deployer\[0\]\.name\s*role\s*=\s*"roles\/iam\.serviceAccountTokenCreator"\s*member\s*=\s*google_service_account\.deployer\[0\]\.member\s*\}/,
    'the deployer mints ID tokens by impersonating itself');
  assert.match(read('modules', 'cicd', 'variables.tf'), /"roles\/cloudscheduler\.admin"/);
});

// tfcheck (ci/check-infra.sh runs it on infra/ only) on the second root, when the tool is here.
const TFCHECK = process.env.TFCHECK || path.resolve(INFRA, '..', '..', 'shared', 'tools', 'tfcheck', 'tfcheck');

test('tfcheck passes on infra/bootstrap', { skip: fs.existsSync(TFCHECK) ? false : `tfcheck not found at ${TFCHECK}` }, async () => {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(TFCHECK, [path.join(INFRA, 'bootstrap')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tfcheck infra/bootstrap failed:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /0 errors/);
});

test('only process (load jobs) and query (queries) may run BigQuery jobs; ingest only streams audit rows', () => {
  const main = fs.readFileSync(path.join(INFRA, 'main.tf'), 'utf8');
  const block = main.slice(main.indexOf('resource "google_project_iam_member" "bigquery_job_user"'));
  assert.match(block.slice(0, block.indexOf('\n}')), /for_each = toset\(\["process", "query"\]\)/);
});

test('ingest and query accept master\'s deployer\'s Google-signed token (CD integration tests), never develop\'s planner', () => {
  const main = fs.readFileSync(path.join(INFRA, 'main.tf'), 'utf8');
  assert.match(main, /allowed_principals = join\(",", distinct\(concat\(local\.pipeline_applies \? \[local\.pipeline_email\] : \[\], var\.allowed_principals\)\)\)/);
  assert.match(main, /pipeline_applies = var\.environment == "master"/);
  assert.equal((main.match(/TARMAC_ALLOWED_PRINCIPALS\s+= local\.allowed_principals/g) ?? []).length, 2);
  assert.match(read('variables.tf'), /!can\(regex\("-planner@", e\)\)/, 'allowed_principals refuses a planner');
});

test('Identity Platform sign-up is closed: only an admin creates consumer accounts', () => {
  const boot = fs.readFileSync(path.join(INFRA, 'bootstrap', 'main.tf'), 'utf8');
  const block = boot.slice(boot.indexOf('resource "google_identity_platform_config" "consumers"'));
  assert.ok(block.length > 0, 'no google_identity_platform_config in infra/bootstrap');
  assert.match(block, /disabled_user_signup\s+= true/);
  assert.match(block, /disabled_user_deletion\s+= true/);
  assert.match(fs.readFileSync(path.join(INFRA, 'bootstrap', 'variables.tf'), 'utf8'), /"identitytoolkit\.googleapis\.com"/);
});

// ------------------------------------- issue 12: develop cannot take over production

const cicdFile = path.join(INFRA, 'modules', 'cicd', 'main.tf');
const cicdResources = () => blocks(cicdFile, /^resource\s+"([a-z_]+)"\s+"([^"]+)"\s*\{/);
const cicdVariableDefault = (name) => {
  const [b] = blocks(path.join(INFRA, 'modules', 'cicd', 'variables.tf'), new RegExp(`^variable\\s+"${name}"\\s*\\{`));
  assert.ok(b, `variable "${name}" missing in modules/cicd/variables.tf`);
  const m = /default\s*=\s*\[([\s\S]*?)\]/.exec(stripComments(b.body));
  return [...(m?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((x) => x[1]);
};
// Which identity a cicd resource belongs to: the SA it creates or grants to.
const identityOf = (b) => {
  if (b.header[1] === 'google_service_account') return b.header[2];
  const m = /google_service_account\.(deployer|planner)\[0\]\.member/.exec(b.body) || /member\s*=\s*google_service_account\.(deployer|planner)/.exec(b.body);
  return m?.[1];
};
// Read-only project roles: the same rule as the planner_project_roles validation.
const READ_ONLY_ROLE = /^roles\/[A-Za-z.]+\.([A-Za-z]*[vV]iewer|securityReviewer)$/;
const PLANNER_NON_RESOURCE_ROLES = ['roles/browser', 'roles/logging.logWriter', 'roles/serviceusage.serviceUsageConsumer'];

test('only master\'s trigger runs as the deployer; develop\'s runs as the planner, with branch and build file fixed in Terraform', () => {
  const cicd = read('modules', 'cicd', 'main.tf');
  assert.match(cicd, /is_cd = var\.environment == "master"/);
  assert.match(cicd, /build_file = local\.is_cd \? "ci\/cloudbuild\/cd\.yaml" : "ci\/cloudbuild\/ci\.yaml"/);
  assert.match(cicd, /branch\s+= "\^\$\{var\.environment\}\$"/);
  assert.match(cicd, /pipeline = one\(concat\(google_service_account\.deployer, google_service_account\.planner\)\)/);
  const [trigger, ...more] = cicdResources().filter((b) => b.header[1] === 'google_cloudbuild_trigger');
  assert.equal(more.length, 0, 'one trigger per environment');
  assert.match(trigger.body, /^\s*filename\s*=\s*local\.build_file\s*$/m);
  assert.match(trigger.body, /^\s*service_account\s*=\s*local\.pipeline\.id\s*$/m);
  assert.match(trigger.body, /push\s*\{\s*branch\s*=\s*local\.branch\s*\}/);
  assert.doesNotMatch(trigger.body, /pull_request|included_files|git_file_source|build\s*\{/, 'the trigger runs the fixed file on push only');
  // Every deployer resource exists in master only, every planner resource in develop only.
  const bad = [];
  for (const b of cicdResources()) {
    const who = identityOf(b);
    const count = /^\s*count\s*=\s*(.+)$/m.exec(b.body)?.[1].trim();
    const forEach = /^\s*for_each\s*=\s*(.+)$/m.exec(b.body)?.[1].trim();
    if (who === 'deployer' && count !== 'local.is_cd ? 1 : 0' && !forEach?.startsWith('local.is_cd ? toset(var.deployer_project_roles) : toset([])')) bad.push(`${b.header[2]}: deployer resource not limited to master`);
    if (who === 'planner' && count !== 'local.is_cd ? 0 : 1' && !forEach?.startsWith('local.is_cd ? toset([]) : toset(var.planner_project_roles)')) bad.push(`${b.header[2]}: planner resource not limited to develop`);
  }
  assert.deepEqual(bad, [], bad.join('\n'));
  for (const env of ['develop', 'master']) {
    assert.match(read('bootstrap', 'envs', `${env}.tfvars`), new RegExp(`^environment\\s*=\\s*"${env}"`, 'm'));
  }
});

test('the planner gets no write, admin or IAM-changing role', () => {
  const roles = cicdVariableDefault('planner_project_roles');
  assert.ok(roles.length >= 8, 'planner_project_roles default');
  const bad = roles.filter((r) => !READ_ONLY_ROLE.test(r) && !PLANNER_NON_RESOURCE_ROLES.includes(r));
  assert.deepEqual(bad, [], `not read-only: ${bad.join(', ')}`);
  const writes = roles.filter((r) => !PLANNER_NON_RESOURCE_ROLES.includes(r) && /admin|editor|owner|writer|creator|user$|invoker|developer|roles\/viewer$/i.test(r));
  assert.deepEqual(writes, [], 'no admin, editor, owner, writer, creator, user or invoker role');
  const [validation] = blocks(path.join(INFRA, 'modules', 'cicd', 'variables.tf'), /^variable\s+"planner_project_roles"\s*\{/);
  assert.match(validation.body, /\[vV\]iewer\|securityReviewer/, 'the variable validation enforces the same rule');

  // Custom role: only reads.
  const [reader] = cicdResources().filter((b) => b.header[2] === 'plan_reader');
  const perms = [...reader.body.matchAll(/"([a-z]+\.[A-Za-z]+\.[A-Za-z]+)"/g)].map((m) => m[1]);
  assert.ok(perms.length >= 3);
  assert.deepEqual(perms.filter((p) => !/\.(get|list|getIamPolicy)$/.test(p)), [], 'plan_reader permissions must be get/list/getIamPolicy');
  assert.ok(!perms.some((p) => p.startsWith('storage.objects.')), 'no object access through the custom role');

  // Every grant to the planner, by resource: exactly these roles.
  const grants = cicdResources().filter((b) => identityOf(b) === 'planner' && b.header[1] !== 'google_service_account')
    .map((b) => `${b.header[1]}.${b.header[2]}: ${/role\s*=\s*(.+)/.exec(b.body)[1].trim()}`).sort();
  assert.deepEqual(grants, [
    'google_artifact_registry_repository_iam_member.planner_writer: "roles/artifactregistry.writer"',
    'google_project_iam_member.planner: each.value',
    'google_project_iam_member.planner_plan_reader: google_project_iam_custom_role.plan_reader[0].id',
    'google_service_account_iam_member.planner_act_as_self: "roles/iam.serviceAccountUser"',
    'google_storage_bucket_iam_member.planner_state_list: "roles/storage.legacyBucketReader"',
    'google_storage_bucket_iam_member.planner_state_read: "roles/storage.objectViewer"',
  ]);
  const [actAs] = cicdResources().filter((b) => b.header[2] === 'planner_act_as_self');
  assert.match(actAs.body, /service_account_id\s*=\s*google_service_account\.planner\[0\]\.name/, 'the planner acts only as itself');
  const [state] = cicdResources().filter((b) => b.header[2] === 'planner_state_read');
  assert.match(state.body, /expression\s*=\s*"resource\.name\.startsWith\(\\"projects\/_\/buckets\/\$\{var\.tf_state_bucket\}\/objects\/tarmac\/\$\{var\.environment\}\/\\"\)"/,
    'the planner reads only its own environment\'s state');
  // In infra/: nothing but its artifacts bucket and develop's own cursor key.
  const main = rootMain();
  const [actAsRuntime] = blocks(path.join(INFRA, 'main.tf'), /^resource\s+"google_service_account_iam_member"\s+"deployer_act_as"\s*\{/);
  assert.match(actAsRuntime.body, /for_each\s*=\s*var\.cicd_enabled && local\.pipeline_applies \? module\.service_accounts\.ids : \{\}/, 'only master\'s deployer acts as the runtime SAs');
  assert.match(main, /pipeline_email\s+= coalesce\(var\.pipeline_email, "\$\{local\.name\}-\$\{local\.pipeline_applies \? "deployer" : "planner"\}@/);
  const [plannerSecret] = blocks(path.join(INFRA, 'secrets.tf'), /^resource\s+"google_secret_manager_secret_iam_member"\s+"cursor_key_planner"\s*\{/);
  assert.match(plannerSecret.body, /count\s*=\s*var\.cicd_enabled && !local\.pipeline_applies \? 1 : 0/, 'the planner reads develop\'s cursor key only');
});

test('nobody but master\'s deployer itself may act as the deployer or mint its tokens', () => {
  const bad = [];
  for (const f of tfFiles) {
    const text = stripComments(withoutValidation(f));
    // Whole-policy or binding resources would overwrite who may act as an account: never used.
    for (const m of text.matchAll(/resource\s+"(google_service_account_iam_(binding|policy))"/g)) bad.push(`${rel(f)}: ${m[1]}`);
    // Project-wide act-as or token creation would reach every service account, the deployer included.
    for (const b of blocks(f, /^resource\s+"google_project_iam_(member|binding)"\s+"([^"]+)"\s*\{/)) {
      if (/roles\/iam\.(serviceAccountUser|serviceAccountTokenCreator|workloadIdentityUser|serviceAccountKeyAdmin)/.test(stripComments(b.body))) bad.push(`${rel(f)}:${b.line}: project-wide ${b.header[2]}`);
    }
    for (const b of blocks(f, /^resource\s+"google_service_account_iam_member"\s+"([^"]+)"\s*\{/)) {
      const target = /service_account_id\s*=\s*(.+)/.exec(b.body)[1].trim();
      const member = /member\s*=\s*(.+)/.exec(b.body)[1].trim();
      if (/deployer/.test(target) && !(target === 'google_service_account.deployer[0].name' && member === 'google_service_account.deployer[0].member')) {
        bad.push(`${rel(f)}:${b.line}: ${b.header[1]} grants ${member} on the deployer`);
      }
      if (/planner/.test(member) && !/planner\[0\]\.name/.test(target)) bad.push(`${rel(f)}:${b.line}: ${b.header[1]} lets the planner act as ${target}`);
    }
  }
  assert.deepEqual(bad, [], bad.join('\n'));
  const onDeployer = cicdResources().filter((b) => b.header[1] === 'google_service_account_iam_member' && /google_service_account\.deployer\[0\]\.name/.test(b.body)).map((b) => b.header[2]).sort();
  assert.deepEqual(onDeployer, ['deployer_act_as_self', 'deployer_token_creator_self']);
  // The deployer's project roles cannot hand out act-as either.
  assert.deepEqual(cicdVariableDefault('deployer_project_roles').filter((r) => /^roles\/(owner|editor)$|serviceAccountUser|serviceAccountTokenCreator/.test(r)), []);
});

test('develop pushes images to a repository of its own, never to the one master deploys from', () => {
  const repo = (file) => /^container_repository\s*=\s*"([^"]+)"/m.exec(read(...file))[1];
  for (const env of ['develop', 'master']) {
    assert.equal(repo(['bootstrap', 'envs', `${env}.tfvars`]), repo(['envs', `${env}.tfvars`]), `${env}: bootstrap and infra name different repositories`);
  }
  assert.notEqual(repo(['envs', 'develop.tfvars']), repo(['envs', 'master.tfvars']), 'develop and master share an image repository');
});

// ------------------------------------------------ issue 12: TARMAC_CURSOR_KEY

test('TARMAC_CURSOR_KEY: one secret per environment, random initial version, read only by query, as a pinned env secret', () => {
  const f = path.join(INFRA, 'secrets.tf');
  const text = read('secrets.tf');
  assert.match(text, /resource\s+"google_secret_manager_secret"\s+"cursor_key"\s*\{[\s\S]*?secret_id\s*=\s*"\$\{local\.name\}-cursor-key"/);
  const [bytes] = blocks(f, /^resource\s+"random_bytes"\s+"cursor_key"\s*\{/);
  assert.ok(Number(/length\s*=\s*(\d+)/.exec(bytes.body)[1]) >= 32, 'at least 32 random bytes (AccessOptions refuses fewer)');
  assert.match(text, /secret_data\s*=\s*random_bytes\.cursor_key\.base64/);
  // Accessors: query, plus develop's planner (for its plan's refresh); nobody else, never project-wide.
  const accessors = [];
  for (const file of tfFiles) {
    for (const b of blocks(file, /^resource\s+"(google_[a-z_]+_iam_(member|binding|policy))"\s+"([^"]+)"\s*\{/)) {
      if (/secretmanager\.(secretAccessor|admin|secretVersionManager)/.test(b.body) && !isCicd(file)) accessors.push(`${b.header[1]}.${b.header[3]}: ${/member\s*=\s*(.+)/.exec(b.body)?.[1].trim()}`);
    }
  }
  assert.deepEqual(accessors.sort(), [
    'google_secret_manager_secret_iam_member.cursor_key_planner: "serviceAccount:${local.pipeline_email}"',
    'google_secret_manager_secret_iam_member.cursor_key_query: local.member["query"]',
  ]);
  const q = moduleCall('query');
  assert.match(q, /TARMAC_CURSOR_KEY = \{\s*secret\s*=\s*google_secret_manager_secret\.cursor_key\.secret_id\s*version\s*=\s*google_secret_manager_secret_version\.cursor_key\.version\s*\}/);
  assert.match(q, /depends_on = \[google_secret_manager_secret_iam_member\.cursor_key_query\]/);
  for (const other of ['ingest', 'process']) assert.doesNotMatch(moduleCall(other), /CURSOR_KEY|secret_env/, `${other} does not get the cursor key`);
  const run = read('modules', 'cloud-run-service', 'main.tf');
  assert.match(run, /value_source\s*\{\s*secret_key_ref\s*\{\s*secret\s*=\s*env\.value\.secret\s*version\s*=\s*env\.value\.version\s*\}/);
  const [v] = blocks(path.join(INFRA, 'modules', 'cloud-run-service', 'variables.tf'), /^variable\s+"secret_env"\s*\{/);
  assert.match(v.body, /type = map\(object\(\{/);
  assert.equal((v.body.match(/validation\s*\{/g) ?? []).length, 3, 'name, secret and pinned version are validated');
  assert.match(read('bootstrap', 'variables.tf'), /"secretmanager\.googleapis\.com"/);
  assert.equal(requiredProviders(read('versions.tf'))['hashicorp/random'], '3.7.2');
});

test('rate limits are per instance: every service\'s max_instances is set per environment and bounded', () => {
  const [v] = blocks(path.join(INFRA, 'variables.tf'), /^variable\s+"services"\s*\{/);
  assert.match(v.body, /s\.max_instances >= 1 && s\.max_instances <= 100/);
  for (const env of ['develop', 'master']) {
    const text = read('envs', `${env}.tfvars`);
    const declared = /^services\s*=\s*\{([\s\S]*?)^\}/m.exec(text);
    const sizes = declared ? Object.fromEntries([...declared[1].matchAll(/^\s*(ingest|process|query)\s*=\s*\{[^}]*max_instances\s*=\s*(\d+)/gm)].map((m) => [m[1], Number(m[2])])) : null;
    const effective = sizes ?? { ingest: 20, process: 2, query: 10 };
    for (const f of ['ingest', 'query']) assert.ok(effective[f] >= 1 && effective[f] <= 100, `${env}: ${f} max_instances ${effective[f]}`);
  }
  for (const f of ['ingest', 'process', 'query']) assert.match(moduleCall(f), new RegExp(`max_instances\\s*=\\s*var\\.services\\["${f}"\\]\\.max_instances`));
});

test('the services accept exactly the consumer tokens the gateway accepts (issuer, one audience)', () => {
  assert.match(rootMain(), /TARMAC_TOKEN_ISSUER\s+= var\.jwt_issuer\s+TARMAC_TOKEN_AUDIENCE = var\.jwt_audiences\[0\]/);
  for (const f of ['ingest', 'query']) assert.match(moduleCall(f), /env = merge\(local\.common_env, local\.token_env, \{/);
  const [v] = blocks(path.join(INFRA, 'variables.tf'), /^variable\s+"jwt_audiences"\s*\{/);
  assert.match(v.body, /length\(var\.jwt_audiences\) == 1/);
});
