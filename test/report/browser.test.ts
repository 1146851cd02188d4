/**
 * The HTML report in a real browser (issue 14): headless Debian Chromium driven by
 * puppeteer-core opens the page of examples/request.json as the service answers it (CSP and
 * all), and the plots must be there and drawn, with no console error and no request beyond the
 * page itself; then the page of a request with timelines, whose timeline plots must be drawn
 * with the deciding look labelled. Screenshots are written to test-output/ (UPDATE_SCREENSHOT=1:
 * to docs/ too).
 * Without Chromium the test is skipped with the install command, except under CI=true.
 */
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Server } from 'node:http';
import puppeteer, { type Browser } from 'puppeteer-core';
import { testApp } from '../support/app';
import { CHROMIUM_ARGS, chromiumMissingMessage, findChromium } from '../support/chromium';
import { timelineRequest } from '../support/timeline-request';

/** Run in the page (this project compiles without the DOM library). */
declare const getComputedStyle: (element: unknown) => { backgroundColor: string; fontSize: string };
type Sized = { getBoundingClientRect(): { top: number; bottom: number; width: number; height: number } };

const binary = findChromium();
const inCi = process.env.CI === 'true';
if (!binary && !inCi) console.warn(`Skipping the browser test of the HTML report. ${chromiumMissingMessage()}`);
const describeWithChromium = binary || inCi ? describe : describe.skip;

const root = path.join(__dirname, '..', '..');
const example = fs.readFileSync(path.join(root, 'examples/request.json'), 'utf8');

describeWithChromium('the HTML report in headless Chromium', () => {
  let server: Server;
  let base: string;
  let browser: Browser | undefined;

  beforeAll(async () => {
    if (!binary) throw new Error(`CI=true and ${chromiumMissingMessage()}`);
    server = testApp().app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await puppeteer.launch({ executablePath: binary, args: CHROMIUM_ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  /** A page opened on the report of `body` (POSTed), noting console errors and any other request (refused). */
  async function openReport(body: string) {
    const page = await browser!.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warn') errors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`page error: ${(error as Error).message}`));
    const reportUrl = `${base}/v1/analyze?format=html`;
    const others: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (req) => {
      // The page itself is a POST of the request; anything else is refused and noted.
      if (req.url() === reportUrl && req.isNavigationRequest()) {
        void req.continue({ method: 'POST', postData: body, headers: { ...req.headers(), 'content-type': 'application/json' } });
      } else {
        others.push(req.url());
        void req.abort();
      }
    });
    const response = await page.goto(reportUrl, { waitUntil: 'load' });
    return { page, response, errors, others };
  }

  it('shows the verdict and reason in the first screen, draws every plot, logs no error and fetches nothing else', async () => {
    const { page, response, errors, others } = await openReport(example);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toMatch(/^default-src 'none'/);

    // The verdict and its reason in the first screen, large and coloured.
    const header = await page.$eval('header.verdict', (el) => {
      const box = el.getBoundingClientRect();
      return { top: box.top, bottom: box.bottom, text: (el as unknown as { innerText: string }).innerText, background: getComputedStyle(el).backgroundColor, wordSize: parseFloat(getComputedStyle(el.querySelector('.word')!).fontSize) };
    });
    expect(header.bottom).toBeLessThanOrEqual(900);
    expect(header.text).toMatch(/^INCONCLUSIVE/);
    expect(header.text).toMatch(/score 50 \/ 100/);
    expect(header.text).toMatch(/Why: critical metric not yet passing, latency-ms: p95 changed by/);
    expect(header.background).not.toBe('rgba(0, 0, 0, 0)');
    expect(header.wordSize).toBeGreaterThanOrEqual(32);

    // Forest plot + one plot per metric, each drawn with a size and marks inside.
    const plots = await page.$$eval('figure > svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const marks = [...svg.querySelectorAll('path, line, rect, text')].filter((m) => {
          const b = (m as unknown as Sized).getBoundingClientRect();
          return b.width > 0 || b.height > 0;
        });
        return { width: box.width, height: box.height, marks: marks.length, label: svg.closest('section')?.querySelector('h2, h3')?.textContent ?? '' };
      }),
    );
    expect(plots).toHaveLength(4);
    for (const plot of plots) {
      expect(plot.width).toBeGreaterThan(200);
      expect(plot.height).toBeGreaterThan(60);
      expect(plot.marks).toBeGreaterThan(10);
    }
    // The CDF lines of both sides are drawn (a path with a long "d").
    const cdfLines = await page.$$eval('section.metric.decisive svg path[aria-roledescription="line mark"]', (paths) => paths.map((p) => p.getAttribute('d')!.length));
    expect(cdfLines).toHaveLength(2);
    for (const length of cdfLines) expect(length).toBeGreaterThan(200);
    // The text table is there too.
    expect(await page.$eval('section.table pre', (el) => el.textContent)).toMatch(/latency-ms \(critical\)\s+continuous\s+inconclusive/);

    // The jargon is explained in place: a legend under the forest plot, drawn and readable, and
    // the words themselves carry their meaning as a tooltip.
    const legend = await page.$$eval('dl.terms > div', (items) =>
      items.map((item) => {
        const box = (item as unknown as Sized).getBoundingClientRect();
        return { term: item.querySelector('dt')?.textContent ?? '', width: box.width, height: box.height };
      }),
    );
    expect(legend.map((l) => l.term)).toEqual(['margin', 'interval', 'inconclusive', 'anytime-valid', 'score']);
    for (const item of legend) {
      expect(item.width).toBeGreaterThan(100);
      expect(item.height).toBeGreaterThan(10);
    }
    expect(await page.$eval('.context abbr.term', (el) => [el.textContent, el.getAttribute('title')])).toEqual(['anytime-valid', expect.stringMatching(/^the intervals hold at every look/)]);
    // The error rate's +2380 % lies beyond the forest's axis: said in a label drawn inside the plot.
    const offScale = await page.$eval('section.forest svg', (svg) => {
      const text = [...svg.querySelectorAll('text')].find((t) => /off scale/.test(t.textContent ?? ''));
      if (!text) return undefined;
      const t = (text as unknown as Sized).getBoundingClientRect();
      const s = (svg as unknown as Sized).getBoundingClientRect();
      return { text: text.textContent, inside: t.top >= s.top && t.bottom <= s.bottom, width: t.width };
    });
    expect(offScale).toEqual({ text: 'estimate +2380%, off scale ▸', inside: true, width: expect.any(Number) });
    expect(offScale!.width).toBeGreaterThan(100);

    const outDir = path.join(root, 'test-output');
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'report.png') });
    if (process.env.UPDATE_SCREENSHOT === '1') await page.screenshot({ path: path.join(root, 'docs/report-screenshot.png'), clip: { x: 0, y: 0, width: 1280, height: 900 } });

    expect(errors).toEqual([]);
    expect(others).toEqual([]);
    await page.close();
  }, 60_000);

  it('draws the timeline plot of a request with intervals: the bounds over the looks and the deciding look, labelled', async () => {
    const { page, response, errors, others } = await openReport(JSON.stringify(timelineRequest()));
    expect(response?.status()).toBe(200);
    const header = await page.$eval('header.verdict', (el) => (el as unknown as { innerText: string }).innerText);
    expect(header).toMatch(/^FAIL/);
    expect(header).toMatch(/http-errors: failed at interval \d+ of 21/);

    const timelines = await page.$$eval('.timeline figure > svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        // A flat line (an estimate that never moved) has no height: a width or a height counts.
        const sized = (selector: string) =>
          [...svg.querySelectorAll(selector)].filter((m) => {
            const b = (m as unknown as Sized).getBoundingClientRect();
            return b.width > 0 || b.height > 0;
          }).length;
        const texts = [...svg.querySelectorAll('text')].map((t) => t.textContent ?? '');
        return { width: box.width, height: box.height, areas: sized('path[aria-roledescription="area mark"]'), lines: sized('path[aria-roledescription="line mark"]'), texts, section: svg.closest('section')?.querySelector('h3')?.textContent ?? '' };
      }),
    );
    expect(timelines).toHaveLength(2);
    for (const plot of timelines) {
      expect(plot.width).toBeGreaterThan(300);
      expect(plot.height).toBeGreaterThan(150);
      // The band of the bounds, and lines for the bounds and the estimate, each drawn with a size.
      expect(plot.areas).toBe(1);
      expect(plot.lines).toBeGreaterThanOrEqual(3);
      expect(plot.texts.some((t) => /^margin \+/.test(t))).toBe(true);
    }
    expect(timelines[0].section).toMatch(/http-errors/);
    // Each effect axis says its unit; bounds beyond the axis end in arrows drawn at its edge.
    for (const plot of timelines) expect(plot.texts.some((t) => t.endsWith('(% change against the baseline)'))).toBe(true);
    const arrows = await page.$$eval('.timeline figure > svg path[aria-roledescription="point"]', (points) => points.filter((p) => /shape: triangle-(up|down)/.test(p.getAttribute('aria-label') ?? '') || /^M0,-?2\.7/.test(p.getAttribute('d') ?? '')).length);
    expect(arrows).toBeGreaterThan(0);
    expect(timelines[0].texts.some((t) => /^FAIL at interval \d+ of 21$/.test(t))).toBe(true);
    expect(timelines[1].texts.some((t) => /^PASS at interval \d+ of 21$/.test(t))).toBe(true);
    // The deciding label sits inside the figure, not cut off.
    const label = await page.$eval('.timeline figure > svg', (svg) => {
      const text = [...svg.querySelectorAll('text')].find((t) => /^FAIL at/.test(t.textContent ?? ''))!;
      const t = (text as unknown as Sized).getBoundingClientRect();
      const s = (svg as unknown as Sized).getBoundingClientRect();
      return { inside: t.top >= s.top && t.bottom <= s.bottom, width: t.width };
    });
    expect(label.inside).toBe(true);
    expect(label.width).toBeGreaterThan(50);

    const outDir = path.join(root, 'test-output');
    fs.mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: path.join(outDir, 'report-timeline.png'), fullPage: true });
    if (process.env.UPDATE_SCREENSHOT === '1') {
      const top = await page.$eval('.metrics', (el) => (el as unknown as Sized).getBoundingClientRect().top);
      await page.screenshot({ path: path.join(root, 'docs/report-timeline-screenshot.png'), clip: { x: 0, y: Math.max(0, top - 40), width: 1280, height: 620 } });
    }
    expect(errors).toEqual([]);
    expect(others).toEqual([]);
    await page.close();
  }, 60_000);
});
