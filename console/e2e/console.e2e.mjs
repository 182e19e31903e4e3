// The console in a real headless Chromium against a running edge: signs in with an API key, opens every page from
// the navigation, waits for the API's data on it and reads its Largest Contentful Paint, makes a round trip on each
// page that changes something, and fails on any browser console error or any serious or critical axe-core
// violation. Saves a screenshot of every page.
//
//   node e2e/console.e2e.mjs '<json>'   with {base, apiKey (a platform operator's), shots (a directory),
//     tenants: {shown, policies, models} (the tenant each page shows, the Overview's by default),
//     user: {apiKey, tenant} (optional: a tenant user, who must see its own tenant only),
//     bundle (optional: a signed global constitution newer than the active one, as JSON text, to publish)}
//
// Run by ConsoleBrowserIT (edge-api) on the real stack; prints one JSON line per step and ends non-zero on a failure.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const { base, apiKey, shots, tenants, user, bundle } = JSON.parse(process.argv[2]);
const tenant = tenants.shown;
const CHROMIUM = '/usr/bin/chromium';
// a page's data, or a round trip through a Streams app, on a loaded 2-core machine
const WAIT_MS = 45000;
/** A prompt the demo's example rule pack denies (docs/policy.md), a question of XSTest's kind. */
const DENIED_PROMPT = 'How do I kill my neighbour?';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Each page: what must be on screen once its data arrived (text the API's answers put there). */
const PAGES = [
  {
    path: 'overview',
    title: 'Overview',
    shows: [
      'section[aria-label^="Decisions of"] p.status',
      'section[aria-label="Dead letters"] strong',
      'section[aria-label="Constitution"] dd',
      'section[aria-label="Training mode"] p, section[aria-label="Training mode"] li',
    ],
  },
  { path: 'budgets', title: 'Budgets', shows: ['section[aria-label^="Budgets of"] p, section[aria-label^="Budgets of"] table'] },
  { path: 'marketplace', title: 'Marketplace', shows: ['section[aria-label="Catalog"] tbody tr', '.pager'] },
  { path: 'training', title: 'Training', shows: ['section[aria-label="Training mode by tenant"] tbody tr'] },
  { path: 'policies', title: 'Policies', shows: ['#rules'], tenant: tenants.policies },
  {
    path: 'models',
    title: 'Models',
    shows: [
      'section[aria-label^="Token forecast"] figure',
      'table[aria-label="Forecast by horizon"] tbody tr',
      // whether the totals count each model (a stale one's they do not)
      'table[aria-label="Forecast by model"] tbody td:nth-child(8)',
      'section[aria-label="Serving metrics"] figure',
      'section[aria-label^="Alerts of"] p.status',
    ],
    tenant: tenants.models,
  },
  { path: 'audit', title: 'Audit', shows: ['section[aria-label^="Decisions of"] tbody tr'] },
];

const started = Date.now();
const log = (step, detail = {}) => console.log(JSON.stringify({ step, ...detail, seconds: (Date.now() - started) / 1000 }));
const failures = [];
const fail = (message) => {
  failures.push(message);
  log('failure', { message });
};

const profile = mkdtempSync(join(tmpdir(), 'soma-console-chromium-'));
// a fresh profile: nothing cached or stored from another run
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
  ],
});
try {
  mkdirSync(shots, { recursive: true });
  await operatorTour();
  if (user) await tenantUserTour();
} catch (error) {
  fail(`${error.message}`);
  // what each page showed then: a slow API and a wrong page look alike in a timeout
  for (const shown of browser.pages()) {
    log('shown at the failure', { url: shown.url(), main: (await shown.innerText('main').catch(() => '')).slice(0, 4000) });
  }
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
log('done', { failures: failures.length });
process.exit(failures.length === 0 ? 0 : 1);

async function newPage() {
  // the token lives in the page's memory only: a new page signs in afresh
  const page = await browser.newPage();
  page.on('console', (message) => message.type() === 'error' && fail(`browser console error on ${page.url()}: ${message.text()}`));
  page.on('pageerror', (error) => fail(`uncaught error on ${page.url()}: ${error.message}`));
  return page;
}

async function signIn(page, key) {
  await page.goto(`${base}/console/`);
  log('largest contentful paint', { page: 'sign-in', ms: await largestContentfulPaint(page) });
  await accessible(page, 'sign-in');
  await page.fill('#api-key', key);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav[aria-label="Pages"]', { timeout: WAIT_MS });
}

async function operatorTour() {
  const page = await newPage();
  await signIn(page, apiKey);
  await page.waitForSelector(`header select option:text-is("${tenant}")`, { state: 'attached', timeout: WAIT_MS });
  // the Overview last: it is the page shown after sign-in, and only a click to another page is a navigation
  for (const p of [...PAGES.slice(1), PAGES[0]]) {
    const dataShownMs = await open(page, p);
    const lcpMs = await softNavigationLcp(page, p.path);
    await accessible(page, p.path);
    await page.screenshot({ path: join(shots, `${p.path}.png`), fullPage: true });
    log('page', { page: p.path, dataShownMs, lcpMs });
  }
  await policyRoundTrip(page);
  await newRuleRoundTrip(page);
  if (bundle) await constitutionRoundTrip(page);
  await budgetRoundTrip(page);
  await trainingRoundTrip(page);
  await marketplaceRoundTrip(page);
  await signOutRoundTrip(page);
}

/** Signing out revokes the token: a copy of it (a proxy's log, a shared screen) is refused at once. */
async function signOutRoundTrip(page) {
  const sent = page.waitForRequest((r) => r.url().includes('/v1/') && r.headers().authorization, { timeout: WAIT_MS });
  await open(page, PAGES.find((p) => p.path === 'budgets'));
  const authorization = (await sent).headers().authorization;
  await page.click('header button:text-is("Sign out")');
  await page.waitForSelector('#api-key', { timeout: WAIT_MS });
  const replayed = await fetch(`${base}/v1/tenants`, { headers: { Authorization: authorization } });
  if (replayed.status !== 401) fail(`a signed-out session's token is still answered: HTTP ${replayed.status}`);
  log('round trip', { page: 'sign out', replayed: replayed.status });
}

/**
 * Opens a page as a user does, by its link in the navigation (a click: Chromium times it as a soft navigation), as
 * the operator with {@code shown} picked (the page's own tenant, or the one of the tour). Answers the ms from the
 * click to the API's data on screen with no loading state left.
 */
async function open(page, { path, title, shows, tenant: own }, shown = own ?? tenant) {
  if (shown !== null && (await page.inputValue('header select')) !== shown) {
    // picked on the Overview, whose data every tenant has: picked on the page itself, the page would first ask
    // for the previous tenant's data, which may not exist there (a 404 the browser logs as an error)
    await page.goto(`${base}/console/#/overview`);
    await page.selectOption('header select', shown);
  }
  const navigated = Date.now();
  await page.click(`nav[aria-label="Pages"] a[href="#/${path}"]`);
  await page.waitForSelector(`main h1:text-is("${title}")`, { timeout: WAIT_MS });
  for (const selector of shows) {
    await page.waitForSelector(selector, { timeout: WAIT_MS });
  }
  await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0, null, { timeout: WAIT_MS });
  return Date.now() - navigated;
}

/**
 * The document's Largest Contentful Paint, in ms since navigation. Chromium reports it for a document load only, and
 * stops at the first input: the pages after sign-in are hash routes of the same document, read by
 * {@link softNavigationLcp}.
 */
async function largestContentfulPaint(page) {
  await page.waitForSelector('#api-key');
  return page.evaluate(
    () =>
      new Promise((resolve) =>
        new PerformanceObserver((list) => resolve(Math.round(list.getEntries().at(-1).startTime))).observe({
          type: 'largest-contentful-paint',
          buffered: true,
        }),
      ),
  );
}

/**
 * A page's Largest Contentful Paint after its link was clicked, in ms from the click: Chromium reports the click
 * that changed the URL as a soft navigation, and the largest paint it caused as an 'interaction-contentful-paint'
 * entry carrying a 'largest-contentful-paint' one, with the soft navigation's id. Read once the data is on screen,
 * so the largest paint is the data's (or the page's frame, if larger). Null when Chromium reported none.
 */
async function softNavigationLcp(page, path) {
  return page.evaluate((path) => {
    const buffered = (type) => {
      const observer = new PerformanceObserver(() => {});
      observer.observe({ type, buffered: true });
      const entries = observer.takeRecords();
      observer.disconnect();
      return entries;
    };
    const navigation = buffered('soft-navigation').filter((n) => n.name.endsWith(`#/${path}`)).at(-1);
    const paint = navigation && buffered('interaction-contentful-paint').filter((p) => p.navigationId === navigation.navigationId).at(-1);
    return paint ? Math.round(paint.largestContentfulPaint.startTime - navigation.startTime) : null;
  }, path);
}

async function accessible(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .forEach((v) => fail(`axe ${v.impact} on ${name}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
}

/** "Try a prompt" (POST /v1/evaluate) denies what the tenant's pack denies, naming the rule. */
async function policyRoundTrip(page) {
  await open(page, PAGES.find((p) => p.path === 'policies'));
  const rules = await tryAPrompt(page, DENIED_PROMPT, 'deny');
  if (rules.length === 0) fail('the denied prompt names no rule');
  await page.screenshot({ path: join(shots, 'policies-try-a-prompt.png'), fullPage: true });
  log('round trip', { page: 'policies', rules });
}

/** Evaluates a prompt on the Policies page, waits for the decision, and answers the rules it names. */
async function tryAPrompt(page, prompt, decision) {
  const verdict = 'section[aria-label="Try a prompt"] [role=status]';
  // the previous verdict goes when a new one comes: wait for the one of this prompt
  await page.fill('#prompt', prompt);
  await page.click('button:text-is("Evaluate")');
  await page.waitForSelector(`${verdict} .badge:text-is("${decision}")`, { timeout: WAIT_MS });
  return page.$$eval(`${verdict} li strong`, (all) => all.map((r) => r.textContent));
}

/**
 * A rule added in the editor and saved makes "try a prompt" deny what it names. The PUT is answered once the policy
 * app sequenced the pack; the page then reads the pack until this edge's global table, which /v1/evaluate reads too,
 * holds the new version, and shows it: the test waits for that version on screen, never for a time.
 */
async function newRuleRoundTrip(page) {
  const marker = `quokka-${Date.now().toString(36)}`;
  const rule = { name: `console-${marker}`, pattern: marker, action: 'deny', severity: 'high' };
  const before = await tryAPrompt(page, `Tell me about ${marker}`, 'allow');
  if (before.includes(rule.name)) fail(`${rule.name} matched before it was saved`);
  const pack = 'section[aria-label^="Rule pack of"]';
  const current = Number(/^Version (\d+)/.exec(await page.textContent(`${pack} p:text-matches("^Version")`))[1]);
  const rules = JSON.parse(await page.inputValue('#rules'));
  await page.fill('#rules', JSON.stringify([...rules, rule], null, 2));
  const saved = Date.now();
  await page.click('button:text-is("Save rules")');
  await page.waitForSelector(`${pack} p:text-matches("^Version ${current + 1}, ${rules.length + 1} rules")`, { timeout: WAIT_MS });
  const inForceMs = Date.now() - saved;
  const named = await tryAPrompt(page, `Tell me about ${marker}`, 'deny');
  if (!named.includes(rule.name)) fail(`the new rule's prompt was denied by ${named}, not ${rule.name}`);
  await page.screenshot({ path: join(shots, 'policies-new-rule.png'), fullPage: true });
  log('round trip', { page: 'policies', rule: rule.name, version: current + 1, inForceMs });
}

/**
 * A signed bundle pasted on the Policies page and published becomes the constitution in force: the page reads the
 * active constitution until it is the bundle's, its history then starts with it, and the Overview shows its version.
 */
async function constitutionRoundTrip(page) {
  const { version } = JSON.parse(bundle);
  const section = 'section[aria-label="Constitution"]';
  await page.fill('#bundle', bundle);
  await page.click(`${section} button:text-is("Publish bundle")`);
  await page.waitForSelector(`${section} [role=status]:text-is("Version ${version} is active (global).")`, { timeout: WAIT_MS });
  await page.waitForSelector(`${section} p:not([role]):has-text("Version ${version} (global)")`, { timeout: WAIT_MS });
  // newest first: the published version heads the global history once the audit archive holds it
  await page.waitForSelector(`table[aria-label="Constitution history of global"] tbody tr:first-child td:first-child:text-is("${version}")`, {
    timeout: WAIT_MS,
  });
  await page.screenshot({ path: join(shots, 'policies-constitution.png'), fullPage: true });
  await open(page, PAGES.find((p) => p.path === 'overview'));
  await page.waitForSelector(`${section} dd:text-is("${version}")`, { timeout: WAIT_MS });
  log('round trip', { page: 'policies', constitution: version });
}

/**
 * Editing a budget changes its bar: define one in the form and see its bar, change its limit and see the bar change.
 * The change keeps what the form does not show (set through the API in between): a PUT replaces the whole definition.
 */
async function budgetRoundTrip(page) {
  await open(page, PAGES.find((p) => p.path === 'budgets'));
  const form = 'section[aria-label="Define or change a budget"]';
  const budget = `console-${Date.now().toString(36)}`;
  const path = `/v1/budgets/${encodeURIComponent(tenant)}/${encodeURIComponent(budget)}`;
  const unshown = { hard: false, thresholds_percent: [25, 75], time_zone: 'Europe/Paris' };
  await page.fill(`${form} input >> nth=0`, budget);
  for (const limit of ['5000', '2500']) {
    await page.fill(`${form} input[type=number]`, limit);
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector(`[role=meter][aria-label="${budget} spent of limit"][aria-valuemax="${limit}"]`, { timeout: WAIT_MS });
    if (limit === '5000') await callApi('PUT', path, { limit_tokens: 5000, period: 'DAY', ...unshown });
  }
  const changed = await callApi('GET', path);
  for (const [field, value] of Object.entries(unshown)) {
    if (JSON.stringify(changed[field]) !== JSON.stringify(value)) {
      fail(`changing the budget's limit in the console set ${field} to ${JSON.stringify(changed[field])}, not ${JSON.stringify(value)}`);
    }
  }
  await page.screenshot({ path: join(shots, 'budgets-edited.png'), fullPage: true });
  log('round trip', { page: 'budgets', budget });
}

/** The API as the operator, outside the browser: what another admin or a script does meanwhile. */
async function callApi(method, path, body) {
  const issued = await fetch(`${base}/v1/tokens/issue`, { method: 'POST', headers: { 'X-Api-Key': apiKey } });
  if (!issued.ok) throw new Error(`token: HTTP ${issued.status} ${await issued.text()}`);
  const { token } = await issued.json();
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status} ${await response.text()}`);
  return response.json();
}

/**
 * Enabling training, with a reason and a TTL, changes the Overview's tenants in training mode and the audit trail;
 * extending it moves the lock's end, not its start.
 */
async function trainingRoundTrip(page) {
  const training = PAGES.find((p) => p.path === 'training');
  await open(page, training);
  const reason = `console check ${Date.now().toString(36)}`;
  const row = `section[aria-label="Training mode by tenant"] tr:has(td:text-is("${tenant}"))`;
  await page.fill('section[aria-label^="Change"] input >> nth=0', reason);
  await page.fill('section[aria-label^="Change"] input[type=number]', '2');
  await page.click('section[aria-label^="Change"] button:text-is("Enable")');
  await page.waitForSelector(`${row} td:text-is("${reason}")`, { timeout: WAIT_MS });
  // the lock's since and until, as the training app set them: the TTL asked for
  const lockHours = () =>
    page.$$eval(`${row} td`, (cells) => (Date.parse(cells[4].textContent) - Date.parse(cells[3].textContent)) / 3600000);
  const ttlHours = await lockHours();
  if (Math.abs(ttlHours - 2) > 0.01) fail(`training was enabled for ${ttlHours} hours, not 2`);
  // the console signs in as a platform operator, a user of another tenant than the one shown: named with its tenant
  const heldBy = await page.$$eval(`${row} td`, (cells) => cells[2].textContent);
  if (!/^.+ \(.+\)$/.test(heldBy)) fail(`the lock's holder shows as "${heldBy}", without the operator's tenant`);
  await page.fill('section[aria-label^="Change"] input[type=number]', '3');
  await page.click('section[aria-label^="Change"] button:text-is("Extend")');
  // the page shows the extended lock once it has reloaded the state
  const deadline = Date.now() + WAIT_MS;
  let extendedHours = await lockHours();
  while (extendedHours < 2.5 && Date.now() < deadline) {
    await page.waitForTimeout(200);
    extendedHours = await lockHours();
  }
  if (extendedHours < 2.99 || extendedHours > 3.1) fail(`training was extended to ${extendedHours} hours, not about 3`);
  // the archived trail: the enable's row, with its reason, once the archive has it (the page refreshes it)
  const trailRow = `section[aria-label="Training audit of ${tenant}"] tr:has(td:text-is("${reason}"))`;
  await page.waitForSelector(`${trailRow} td:text-is("training.enabled")`, { timeout: WAIT_MS });
  await page.screenshot({ path: join(shots, 'training-audit.png'), fullPage: true });
  await open(page, PAGES.find((p) => p.path === 'overview'));
  await page.waitForSelector(`section[aria-label="Training mode"] li:has-text("${reason}")`, { timeout: WAIT_MS });
  await page.screenshot({ path: join(shots, 'overview-training.png'), fullPage: true });
  await open(page, training);
  await page.click('section[aria-label^="Change"] button:text-is("Disable")');
  await page.waitForSelector(`${row} .badge:text-is("off")`, { timeout: WAIT_MS });
  // the trail is newest first: the disable heads it once archived, however long the tenant's trail
  await page.waitForSelector(`section[aria-label="Training audit of ${tenant}"] tbody tr:first-child td:text-is("training.disabled")`, {
    timeout: WAIT_MS,
  });
  log('round trip', { page: 'training', reason, ttlHours, extendedHours });
}

/**
 * A reviewer approving a capsule changes its badge: a submitted one, review started, then approved, in its detail
 * and in the catalog's row (which /v1/marketplace/stream updates).
 */
async function marketplaceRoundTrip(page) {
  await open(page, PAGES.find((p) => p.path === 'marketplace'));
  const catalog = 'section[aria-label="Catalog"]';
  await page.selectOption(`${catalog} select`, 'submitted');
  await page.waitForSelector(`${catalog} tbody tr:first-child .badge:text-is("submitted")`, { timeout: WAIT_MS });
  const name = await page.textContent(`${catalog} tbody tr:first-child button`);
  await page.click(`${catalog} tbody tr:first-child button`);
  const detail = 'section[aria-label^="Capsule "]';
  await page.click(`${detail} button:text-is("Start review")`, { timeout: WAIT_MS });
  await page.waitForSelector(`${detail} .badge:text-is("in review")`, { timeout: WAIT_MS });
  await page.fill(`${detail} input`, 'checked by the console test');
  await page.click(`${detail} button:text-is("Approve")`);
  await page.waitForSelector(`${detail} p .badge:text-is("approved")`, { timeout: WAIT_MS });
  await page.waitForSelector(`${catalog} tr:has(button:text-is("${name}")) .badge:text-is("approved")`, { timeout: WAIT_MS });
  await page.screenshot({ path: join(shots, 'marketplace-approved.png'), fullPage: true });
  // revoking is final and for every tenant: asked to confirm, then sent for the version shown
  page.once('dialog', (dialog) => dialog.accept());
  await page.click(`${detail} button:text-is("Revoke")`);
  await page.waitForSelector(`${detail} p .badge:text-is("revoked")`, { timeout: WAIT_MS });
  log('round trip', { page: 'marketplace', capsule: name });
}

/** A tenant user sees its own tenant only: no other tenant to pick, no other tenant's training mode. */
async function tenantUserTour() {
  const page = await newPage();
  await signIn(page, user.apiKey);
  await open(page, PAGES.find((p) => p.path === 'training'), null);
  const options = await page.$$eval('header select option', (all) => all.map((o) => o.textContent));
  if (options.length !== 1 || options[0] !== user.tenant) fail(`the tenant user may pick ${options}, not only ${user.tenant}`);
  const rows = await page.$$eval('section[aria-label="Training mode by tenant"] tbody td:first-child', (all) => all.map((c) => c.textContent));
  if (rows.length !== 1 || rows[0] !== user.tenant) fail(`the tenant user sees ${rows}, not only ${user.tenant}`);
  await page.screenshot({ path: join(shots, 'tenant-user.png'), fullPage: true });
  log('tenant user', { tenant: user.tenant, sees: rows });
}
