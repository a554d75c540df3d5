import { Deadlines } from '../src/deadlines.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('Deadlines (one timer for every call of a host or driver)', () => {
  test('each deadline fires once, not before its time, shorter ones first whatever the order they came in; a removed one never fires', async () => {
    const deadlines = new Deadlines();
    const fired: string[] = [];
    const t0 = performance.now();
    const at: Record<string, number> = {};
    const add = (name: string, ms: number) => deadlines.add(ms, () => { fired.push(name); at[name] = performance.now() - t0; });
    add('long', 60);
    add('short', 20);
    const removed = add('removed', 30);
    add('short-too', 20);
    deadlines.remove(removed);
    deadlines.remove(removed);
    await sleep(120);
    expect(fired).toEqual(['short', 'short-too', 'long']);
    expect(at.short).toBeGreaterThanOrEqual(20);
    expect(at.long).toBeGreaterThanOrEqual(60);
  });

  test('removing the first, a middle or the last deadline of a duration, or one that already fired, leaves the others firing in order', async () => {
    const deadlines = new Deadlines();
    const fired: number[] = [];
    const made = Array.from({ length: 6 }, (_, i) => deadlines.add(15, () => fired.push(i)));
    deadlines.remove(made[0]!);
    deadlines.remove(made[3]!);
    deadlines.remove(made[5]!);
    const later = deadlines.add(15, () => fired.push(6));
    await sleep(60);
    expect(fired).toEqual([1, 2, 4, 6]);
    deadlines.remove(later);
    // Lists emptied by removal take new deadlines again.
    deadlines.add(15, () => fired.push(7));
    await sleep(60);
    expect(fired).toEqual([1, 2, 4, 6, 7]);
  });

  test('with nothing pending its timer does not keep the process alive', async () => {
    const before = timers();
    const deadlines = new Deadlines();
    const d = deadlines.add(60_000, () => undefined);
    expect(timers()).toBe(before + 1);
    deadlines.remove(d);
    expect(timers()).toBe(before);
  });
});
