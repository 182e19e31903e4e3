// Does the Overview stay live without its memory growing? Signs in to a running edge in a real headless Chromium,
// keeps the Overview open for a while, and every interval forces a garbage collection and samples the page's
// JavaScript heap and DOM counters (Chrome DevTools Protocol) and what the live "Decisions" section shows.
//
//   node e2e/overview-memory.mjs '<json>'   with {base, apiKey (a platform operator's), tenant (the one to show),
//     minutes (10), sampleSeconds (30)}
//
// Prints one JSON line per sample and a summary line; ends non-zero when the Overview stopped updating while the
// run lasted, or the browser logged an error. Not part of the suite: a measurement (docs/benchmarks.md), run against
// `./soma demo` with a replay slow enough to last the whole run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const { base, apiKey, tenant, minutes = 10, sampleSeconds = 30 } = JSON.parse(process.argv[2]);
const WAIT_MS = 45000;
const DECISIONS = 'section[aria-label^="Decisions of"]';
const ALERTS = 'section[aria-label="Open SLM alerts"]';

const started = Date.now();
const log = (step, detail = {}) => console.log(JSON.stringify({ step, ...detail, seconds: Math.round((Date.now() - started) / 1000) }));
const errors = [];

const profile = mkdtempSync(join(tmpdir(), 'soma-console-memory-'));
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
});
let samples = [];
try {
  const page = await browser.newPage();
  page.on('console', (message) => message.type() === 'error' && errors.push(message.text()));
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${base}/console/`);
  await page.fill('#api-key', apiKey);
  await page.click('button[type=submit]');
  await page.waitForSelector('nav[aria-label="Pages"]', { timeout: WAIT_MS });
  await page.waitForSelector(`header select option:text-is("${tenant}")`, { state: 'attached', timeout: WAIT_MS });
  await page.selectOption('header select', tenant);
  await page.goto(`${base}/console/#/overview`);
  await page.waitForSelector(`${DECISIONS} p.status`, { timeout: WAIT_MS });
  const cdp = await page.context().newCDPSession(page);

  const end = started + minutes * 60000;
  for (;;) {
    await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    const { nodes, jsEventListeners } = await cdp.send('Memory.getDOMCounters');
    const shown = await page.textContent(DECISIONS);
    // the open-alerts table gains a row per model, provider and metric that raises one: growth that is bounded
    const elements = await page.evaluate((alerts) => {
      const table = document.querySelector(`${alerts} table`);
      return {
        alertRows: table ? table.querySelectorAll('tbody tr').length : 0,
        elementsOutsideAlerts: document.querySelectorAll('*').length - (table ? table.querySelectorAll('*').length + 1 : 0),
      };
    }, ALERTS);
    const sample = { heapBytes: usedSize, domNodes: nodes, listeners: jsEventListeners, ...elements, decisions: shown.trim() };
    samples.push(sample);
    log('sample', sample);
    if (Date.now() + sampleSeconds * 1000 > end) break;
    await page.waitForTimeout(sampleSeconds * 1000);
  }
} catch (error) {
  errors.push(error.message);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}

const changes = samples.slice(1).filter((s, i) => s.decisions !== samples[i].decisions).length;
const heap = samples.map((s) => s.heapBytes);
const half = Math.floor(heap.length / 2);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
log('summary', {
  samples: samples.length,
  decisionsChangedBetweenSamples: changes,
  heapFirstBytes: heap[0],
  heapLastBytes: heap.at(-1),
  heapMaxBytes: Math.max(...heap),
  // the second half against the first: growth that a steady page would not show
  heapMedianFirstHalfBytes: median(heap.slice(0, half)),
  heapMedianSecondHalfBytes: median(heap.slice(half)),
  domNodesFirst: samples[0]?.domNodes,
  domNodesLast: samples.at(-1)?.domNodes,
  alertRowsFirst: samples[0]?.alertRows,
  alertRowsLast: samples.at(-1)?.alertRows,
  elementsOutsideAlertsFirst: samples[0]?.elementsOutsideAlerts,
  elementsOutsideAlertsLast: samples.at(-1)?.elementsOutsideAlerts,
  errors,
});
process.exit(errors.length === 0 && changes > 0 ? 0 : 1);
