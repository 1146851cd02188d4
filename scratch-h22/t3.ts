import request from 'supertest';
import pino from 'pino';
import { testApp } from '../test/support/app';
const lines: string[] = [];
const logger = pino({ level: 'info' }, { write: (l: string) => { lines.push(l); } });
const SECRET = 'abcdefghijklmnopqrstuvwxyz0123';
const { app } = testApp({ flaggerPathSecret: SECRET, authToken: 'x'.repeat(20), logger });
(async () => {
  for (const p of [`/v1/flagger/%E0%A4%A/rollout`, `/v1/flagger/${SECRET}%E0%A4%A/rollout`, `/v1/flagger/%E0%A4%A`, `/V1/flagger/${SECRET}/rollout`, `/v1//flagger/${SECRET}/rollout`, `/v1/flagger/${SECRET}`, `/v1/flagger/${SECRET}/rollout/`]) {
    const res = await request(app).post(p).send({ name: 'a', namespace: 'b', phase: 'Progressing' });
    console.log(p.replace(SECRET, 'S'), res.status, res.type, JSON.stringify(res.body).replace(SECRET,'<<S>>').slice(0, 200));
  }
  console.log(lines.filter((l) => l.includes(SECRET)).map((l) => l.slice(0, 300)));
})();
