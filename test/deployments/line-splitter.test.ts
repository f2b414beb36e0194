import { describe, expect, it } from 'vitest';
import { KubeProtocolError, LineSplitter } from '../../src/deployments/observer/kube.js';

// The watch stream's line reader: lines are found across any chunking, each chunk searched once, and the
// event cap (8 MiB by default) holds for a line however it arrives.

const tooLong = () => new KubeProtocolError('too long');

describe('LineSplitter', () => {
  it('joins a line split into many chunks, and splits chunks holding many lines', () => {
    const event = JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'x'.repeat(5000) } } });
    const s = new LineSplitter(8 * 1024 * 1024, tooLong);
    const out: string[] = [];
    for (let i = 0; i < event.length; i += 7) out.push(...s.push(event.slice(i, i + 7)));
    expect(out).toEqual([]);
    out.push(...s.push('\n{"a":1}\n{"b"'));
    out.push(...s.push(':2}\n\n'));
    expect(out).toEqual([event, '{"a":1}', '{"b":2}', '']);
  });

  it('refuses a line past the cap, ended or not, whatever the chunking', () => {
    const s = new LineSplitter(100, tooLong);
    expect(s.push('x'.repeat(60))).toEqual([]);
    expect(() => s.push('x'.repeat(41))).toThrow('too long');
    const t = new LineSplitter(100, tooLong);
    t.push('y'.repeat(99));
    expect(() => t.push('yy\n')).toThrow('too long');
    const u = new LineSplitter(100, tooLong);
    expect(u.push('z'.repeat(50))).toEqual([]);
    expect(u.push('z'.repeat(50) + '\n')).toEqual(['z'.repeat(100)]);
  });
});
