// The console in a real headless Chromium against a running edge: signs in with an API key, opens every page,
// waits for the API's data on it, makes a round trip on some, and fails on any browser console error or any serious
// or critical axe-core violation. Saves a screenshot of every page.
//
//   node e2e/console.e2e.mjs '<json>'   with {base, apiKey (a platform operator's), shots (a directory),
//     tenants: {shown, policies, models} (the tenant each page shows, the Overview's by default),
//     user: {apiKey, tenant} (optional: a tenant user, who must see its own tenant only)}
//
// Run by ConsoleBrowserIT (edge-api) on the real stack; prints one JSON line per step and ends non-zero on a failure.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const { base, apiKey, shots, tenants, user } = JSON.parse(process.argv[2]);
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
  { path: 'models', title: 'Models', shows: ['section[aria-label^="Token forecast"] figure', 'section[aria-label="Serving metrics"] figure'], tenant: tenants.models },
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
  for (const p of PAGES) {
    // from the hash change to the API's data on screen and no loading state left
    const dataShownMs = await open(page, p);
    await accessible(page, p.path);
    await page.screenshot({ path: join(shots, `${p.path}.png`), fullPage: true });
    log('page', { page: p.path, dataShownMs });
  }
  await policyRoundTrip(page);
  await budgetRoundTrip(page);
  await trainingRoundTrip(page);
}

/** Opens a page, as the operator with {@code shown} picked (the page's own tenant, or the one of the tour). */
async function open(page, { path, title, shows, tenant: own }, shown = own ?? tenant) {
  if (shown !== null && (await page.inputValue('header select')) !== shown) {
    // picked on the Overview, whose data every tenant has: picked on the page itself, the page would first ask
    // for the previous tenant's data, which may not exist there (a 404 the browser logs as an error)
    await page.goto(`${base}/console/#/overview`);
    await page.selectOption('header select', shown);
  }
  const navigated = Date.now();
  await page.goto(`${base}/console/#/${path}`);
  await page.waitForSelector(`main h1:text-is("${title}")`, { timeout: WAIT_MS });
  for (const selector of shows) {
    await page.waitForSelector(selector, { timeout: WAIT_MS });
  }
  await page.waitForFunction(() => document.querySelectorAll('.loading').length === 0, null, { timeout: WAIT_MS });
  return Date.now() - navigated;
}

/**
 * The document's Largest Contentful Paint, in ms since navigation. Chromium reports it for a document load only, and
 * stops at the first input: the pages after sign-in are hash routes of the same document, timed by {@link open}.
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

async function accessible(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .forEach((v) => fail(`axe ${v.impact} on ${name}: ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`));
}

/**
 * "Try a prompt" (POST /v1/evaluate) denies what the tenant's pack denies, naming the rule. Saving a new rule waits
 * for the policy app, which on a loaded machine may still be working through the replay for minutes: not toured.
 */
async function policyRoundTrip(page) {
  await open(page, PAGES.find((p) => p.path === 'policies'));
  await page.fill('#prompt', DENIED_PROMPT);
  await page.click('button:text-is("Evaluate")');
  await page.waitForSelector('section[aria-label="Try a prompt"] .badge:text-is("deny")', { timeout: WAIT_MS });
  const rules = await page.$$eval('section[aria-label="Try a prompt"] li strong', (all) => all.map((r) => r.textContent));
  if (rules.length === 0) fail('the denied prompt names no rule');
  await page.screenshot({ path: join(shots, 'policies-try-a-prompt.png'), fullPage: true });
  log('round trip', { page: 'policies', rules });
}

/** Editing a budget changes its bar: define one in the form, see it listed with its limit. */
async function budgetRoundTrip(page) {
  await open(page, PAGES.find((p) => p.path === 'budgets'));
  const budget = `console-${Date.now().toString(36)}`;
  await page.fill('section[aria-label="Define or change a budget"] input >> nth=0', budget);
  await page.fill('section[aria-label="Define or change a budget"] input[type=number]', '5000');
  await page.click('section[aria-label="Define or change a budget"] button[type=submit]');
  await page.waitForSelector(`[role=meter][aria-label="${budget} spent of limit"][aria-valuemax="5000"]`, { timeout: WAIT_MS });
  log('round trip', { page: 'budgets', budget });
}

/** Enabling training changes the Overview. */
async function trainingRoundTrip(page) {
  const training = PAGES.find((p) => p.path === 'training');
  await open(page, training);
  const reason = `console check ${Date.now().toString(36)}`;
  await page.fill('section[aria-label^="Change"] input >> nth=0', reason);
  await page.click('section[aria-label^="Change"] button:text-is("Enable or extend")');
  await page.waitForSelector(`section[aria-label="Training mode by tenant"] td:text-is("${reason}")`, { timeout: WAIT_MS });
  await open(page, PAGES.find((p) => p.path === 'overview'));
  await page.waitForSelector(`section[aria-label="Training mode"] li:has-text("${reason}")`, { timeout: WAIT_MS });
  await page.screenshot({ path: join(shots, 'overview-training.png'), fullPage: true });
  await open(page, training);
  await page.click('section[aria-label^="Change"] button:text-is("Disable")');
  await page.waitForSelector(`section[aria-label="Training mode by tenant"] tr:has(td:text-is("${tenant}")) .badge:text-is("off")`, { timeout: WAIT_MS });
  log('round trip', { page: 'training', reason });
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
