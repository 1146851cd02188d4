import { setMaxListeners } from 'node:events';
import { linkedAbort } from '../../src/sources/linked-abort';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('linkedAbort', () => {
  it('aborts with a TimeoutError after the timeout and says so', async () => {
    const link = linkedAbort(undefined, 20);
    expect(link.signal.aborted).toBe(false);
    await new Promise((resolve) => link.signal.addEventListener('abort', resolve));
    expect(link.timedOut).toBe(true);
    expect((link.signal.reason as DOMException).name).toBe('TimeoutError');
    link.dispose();
  });

  it('follows its parent, and is not "timed out" then', () => {
    const parent = new AbortController();
    const link = linkedAbort(parent.signal, 10_000);
    parent.abort(new Error('deadline'));
    expect(link.signal.aborted).toBe(true);
    expect((link.signal.reason as Error).message).toBe('deadline');
    expect(link.timedOut).toBe(false);
    link.dispose();
  });

  it('starts aborted under an aborted parent, without a timer', () => {
    const before = timers();
    const parent = new AbortController();
    parent.abort();
    const link = linkedAbort(parent.signal, 10_000);
    expect(link.signal.aborted).toBe(true);
    expect(timers()).toBe(before);
  });

  it('dispose clears the timer, detaches from the parent and abandons listeners', () => {
    const before = timers();
    const parent = new AbortController();
    setMaxListeners(0, parent.signal);
    const links = Array.from({ length: 100 }, () => linkedAbort(parent.signal, 10_000));
    expect(timers()).toBe(before + 100);
    for (const link of links) link.dispose();
    expect(timers()).toBe(before);
    for (const link of links) {
      expect(link.signal.aborted).toBe(true);
      expect((link.signal.reason as DOMException).message).toBe('released');
    }
    // Detached: aborting the parent now reaches none of them (their reason stays "released").
    parent.abort(new Error('late'));
    for (const link of links) expect((link.signal.reason as DOMException).message).toBe('released');
    expect(links[0].timedOut).toBe(false);
  });

  it('dispose is idempotent', () => {
    const link = linkedAbort(undefined, 10_000);
    link.dispose();
    link.dispose();
    expect(link.signal.aborted).toBe(true);
  });
});
