/** The HTML report (issue 14): one self-contained page, verdict and reason first, plots drawn by Vega. */
import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { testApp } from '../support/app';
import { continuousMetric, distributionMetric, proportionMetric } from '../support/requests';
import { timelineRequest } from '../support/timeline-request';

// The first page loads Vega and judges before its first await: seconds on a loaded machine.
jest.setTimeout(30_000);

const { app } = testApp();
const example = JSON.parse(fs.readFileSync(path.join(__dirname, '../../examples/request.json'), 'utf8'));

function svgCount(html: string): number {
  return (html.match(/<svg\b/g) ?? []).length;
}

describe('POST /v1/analyze?format=html', () => {
  it('answers one self-contained page: verdict, score and reason first, then the plots and the text table', async () => {
    const res = await request(app).post('/v1/analyze?format=html').send({ ...example, expectedCanaryShare: 0.01, traffic: { baseline: 9900, canary: 100 } });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    const json = (await request(app).post('/v1/analyze').send(example)).body;
    const html = res.text;
    // The verdict, score and reason come before any plot.
    const header = html.slice(0, html.indexOf('<svg'));
    expect(header).toContain(`<header class="verdict ${json.verdict}"`);
    expect(header).toContain(json.verdict.toUpperCase());
    expect(header).toContain(`score</abbr> ${json.score} / 100`);
    expect(header).toContain(json.reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
    // Forest plot + one plot per metric (3) + the traffic split.
    expect(svgCount(html)).toBe(5);
    expect(html).toContain('▶ latency-ms');
    expect(html).toMatch(/judged quantile p95/);
    expect(html).toContain('traffic split');
    // Every number as text: the table of ?format=text.
    const text = (await request(app).post('/v1/analyze?format=text').send(example)).text;
    expect(html).toContain(text.split('\n')[3].replace(/&/g, '&amp;'));
    // Nothing to fetch: no script, no external reference.
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).not.toMatch(/(src|href)\s*=\s*["']?(https?:)?\/\//i);
  });

  it('answers Accept: text/html (a browser) with the page, and a repeated format is still a 400', async () => {
    const res = await request(app).post('/v1/analyze').set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8').send(example);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/^<!doctype html>/);
    expect((await request(app).post('/v1/analyze?format=html&format=json').send(example)).status).toBe(400);
  });

  it('escapes every name and reason from the request', async () => {
    const name = '<img src=x onerror=alert(1)>';
    const res = await request(app).post('/v1/analyze?format=html').send({ metrics: [proportionMetric(name, [10, 1000], [10, 1000])] });
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(name);
    expect(res.text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('draws CDFs of histograms with the SLO threshold marked, and distributions', async () => {
    const buckets = (counts: number[]) => {
      let total = 0;
      return [10, 25, 50, 100, 250, Infinity].map((le, i) => ({ le: Number.isFinite(le) ? le : '+Inf', count: (total += counts[i]) }));
    };
    const body = {
      metrics: [
        { name: 'slo', kind: 'continuous', threshold: 100, baseline: { histogram: { buckets: buckets([1000, 4000, 3000, 1500, 400, 100]) } }, canary: { histogram: { buckets: buckets([900, 3900, 3000, 1600, 500, 100]) } } },
        distributionMetric('scores', 0.01, 2000),
        continuousMetric('latency', 1.0, 500, { statistic: 'mean', range: { min: 0, max: 1000 } }),
      ],
    };
    const res = await request(app).post('/v1/analyze?format=html').send(body);
    expect(res.status === 200 ? res.status : res.text).toBe(200);
    expect(svgCount(res.text)).toBe(4);
    expect(res.text).toContain('threshold 100');
    // The value axis names the metric and its unit (from the name, when it states one).
    expect(res.text).toContain('slo (unit not stated), at the histogram bucket bounds');
  });
});

describe('the page explains itself', () => {
  it('defines its jargon in place: a legend of the terms and tooltips where they are used', async () => {
    const html = (await request(app).post('/v1/analyze?format=html').send(example)).text;
    const legend = html.slice(html.indexOf('<dl class="terms">'), html.indexOf('</dl>'));
    for (const term of ['margin', 'interval', 'inconclusive', 'anytime-valid', 'score']) expect(legend).toContain(`<dt>${term}</dt>`);
    expect(legend).toMatch(/<dt>anytime-valid<\/dt><dd>the intervals hold at every look of the rollout at once/);
    expect(html).toMatch(/evidence <abbr class="term" title="the intervals hold at every look[^"]*">anytime-valid<\/abbr>/);
    expect(html).toMatch(/<div class="word" title="not enough evidence either way yet[^"]*">INCONCLUSIVE<\/div>/);
    const fixed = (await request(app).post('/v1/analyze?format=html').send({ ...example, evidence: 'fixed-sample' })).text;
    expect(fixed).toContain('<dt>fixed-sample</dt>');
    expect(fixed).not.toContain('<dt>anytime-valid</dt>');
  });

  it('labels an estimate beyond the forest plot\'s axis with its value, and axes with units', async () => {
    const html = (await request(app).post('/v1/analyze?format=html').send(example)).text;
    const forest = html.slice(html.indexOf('<section class="forest">'), html.indexOf('</section>'));
    // http-errors: +2380 % against a +50 % margin is 47 margins out, beyond the axis' four.
    expect(forest).toContain('estimate +2380%, off scale ▸');
    expect(forest).not.toContain('estimate +24.7%, off scale');
    expect(html).toContain('latency-ms (ms)');
    expect(html).toContain('rate, events per request (%; 95 % interval per side)');
    expect(html).toContain('share of all counts on that side (%)');
  });
});

describe('the timeline plot (a request with intervals)', () => {
  it('plots the bounds at each look, the margin and the deciding look, with every look as text too', async () => {
    const json = (await request(app).post('/v1/analyze').send(timelineRequest())).body;
    const errors = json.metrics[0];
    expect(errors.verdict).toBe('fail');
    const res = await request(app).post('/v1/analyze?format=html').send(timelineRequest());
    expect(res.status).toBe(200);
    const html = res.text;
    // Forest plot, then per metric its timeline and its data plot.
    expect(svgCount(html)).toBe(5);
    const section = html.slice(html.indexOf('<h3>▶ http-errors'), html.indexOf('<h3>latency-ms'));
    const timelineSvg = section.slice(section.indexOf('<div class="timeline">'), section.indexOf('</figure>'));
    // The deciding look's label and the margin inside the plot (Vega draws them as SVG text).
    expect(timelineSvg).toContain(`FAIL at interval ${errors.decidedAt} of 21`);
    expect(timelineSvg).toContain('margin +50%');
    expect(timelineSvg).toContain('look: the intervals so far');
    // The effect axis says its unit; bounds beyond the axis end in arrows at its edge.
    expect(timelineSvg).toContain('(% change against the baseline)');
    expect(timelineSvg).toMatch(/shape: triangle-up|aria-roledescription="point" transform="translate\([\d.]+,0\)"/);
    // The band (an area), the bounds and the estimate (lines) and the deciding bar (a rule).
    expect(timelineSvg).toMatch(/aria-roledescription="area mark"/);
    expect((timelineSvg.match(/aria-roledescription="line mark"/g) ?? []).length).toBeGreaterThanOrEqual(3);
    // Every look as a row, the deciding one marked.
    const rows = section.match(/<tr(?: class="[^"]*")?><td>\d+<\/td>/g) ?? [];
    expect(rows).toHaveLength(errors.timeline.length);
    expect(section).toContain(`<tr class="decided fail"><td>${errors.decidedAt}</td>`);
    // A pass (latency) says so in its colour; no timeline plot without intervals (the example).
    expect(html).toContain(`PASS at interval ${json.metrics[1].decidedAt} of 21`);
    expect(await request(app).post('/v1/analyze?format=html').send(example).then((r) => r.text)).not.toContain('class="timeline"');
  });

  it('draws from a JSON answer too (unbounded ends as null), as the CLI does with a service\'s answer', async () => {
    const { htmlReport } = await import('../../src/report/html-report');
    const json = (await request(app).post('/v1/analyze').send(timelineRequest())).body;
    expect(json.metrics[0].timeline[0].upper === null || json.metrics[0].timeline[0].lower === -1).toBe(true);
    const html = await htmlReport({ result: json });
    expect(svgCount(html)).toBe(3);
    expect(html).toContain(`FAIL at interval ${json.metrics[0].decidedAt} of 21`);
    expect(html).not.toMatch(/NaN|Infinity/);
  });
});

describe('hostile names', () => {
  it.each([['__proto__'], ['constructor'], ['a.b[0]'], ['"quoted" \\ back'], ['datum.x + alert(1)'], ['{{x}}'], ['ünïcödé 🚀']])('renders a metric named %s, escaped', async (name) => {
    const res = await request(app).post('/v1/analyze?format=html').send({
      metrics: [proportionMetric(name, [10, 1000], [10, 1000]), { name: `${name}-shares`, kind: 'categorical', baseline: { counts: { [name]: 10, other: 20 } }, canary: { counts: { [name]: 11, other: 19 } } }],
    });
    expect(res.status).toBe(200);
    expect(svgCount(res.text)).toBe(3);
    expect(res.text).not.toMatch(/<script/i);
  });
});
