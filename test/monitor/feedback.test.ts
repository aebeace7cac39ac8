import { expect } from 'chai';
import { ConfigError } from '../../lib/errors';
import { FeedbackLog } from '../../lib/monitor/feedback';
import { LatencyTracker } from '../../lib/monitor/latency';
import { recommend } from '../../lib/monitor/recommend';
import { Monitor } from '../../lib/monitor/monitor';
import { buildReference } from '../../lib/monitor/reference';

describe('monitor/feedback, latency and recommendation', () => {
  it('computes windowed accuracy per version', () => {
    const log = new FeedbackLog(3);
    log.record(1, 1, 'a');
    log.record(2, 0, 'a');
    log.record(3, 3, 'b');
    log.record(4, 4, 'b'); // pushes out the first
    const r = log.report();
    expect(r.count).to.equal(3);
    expect(r.accuracy).to.be.closeTo(2 / 3, 1e-12);
    expect(r.byVersion).to.deep.equal({ a: { count: 1, accuracy: 0 }, b: { count: 2, accuracy: 1 } });
    expect(new FeedbackLog().report().accuracy).to.be.NaN;
    expect(() => log.record(1, -1)).to.throw(ConfigError, /class index/);
  });

  it('tracks p99 against the objective', () => {
    const t = new LatencyTracker(10);
    for (let i = 1; i <= 100; i++) t.record(i <= 95 ? 1 : 500);
    const r = t.report();
    expect(r.p50Ms).to.equal(1);
    expect(r.objectiveMet).to.equal(false);
    expect(new LatencyTracker(10).report().objectiveMet).to.equal(true);
    const few = new LatencyTracker(10);
    for (let i = 0; i < 99; i++) few.record(500);
    expect(few.report().objectiveMet).to.equal(true); // 99 latencies: too few to judge a p99
    few.record(500);
    expect(few.report().objectiveMet).to.equal(false);
    expect(() => new LatencyTracker(0)).to.throw(ConfigError);
  });

  it('recommends retrain on an accuracy drop, re-compress on missed latency, else none', () => {
    const feedback = { count: 100, accuracy: 0.9, byVersion: {} };
    const slow = { count: 100, p50Ms: 5, p99Ms: 80, objectiveP99Ms: 50, objectiveMet: false };
    const fast = { ...slow, p99Ms: 20, objectiveMet: true };
    expect(recommend({ feedback, referenceAccuracy: 0.98 }).action).to.equal('retrain');
    expect(recommend({ feedback, referenceAccuracy: 0.91 }).action).to.equal('none');
    expect(recommend({ feedback: { ...feedback, count: 10 }, referenceAccuracy: 0.98 }).action).to.equal('none');
    expect(recommend({ latency: slow }).action).to.equal('re-compress');
    expect(recommend({ latency: slow, feedback, referenceAccuracy: 0.98 }).action).to.equal('retrain');
    const none = recommend({ latency: fast });
    expect(none.action).to.equal('none');
    expect(none.reasons[0]).to.match(/within thresholds/);
  });
});

describe('monitor/Monitor.reset', () => {
  it('empties feedback and latency', () => {
    const ref = buildReference(
      new Float32Array(80).map((_, i) => i % 5),
      20,
      4,
      new Float32Array(40).fill(0.5),
      2,
    );
    const m = new Monitor(ref);
    m.feedback.record(1, 1);
    m.latency.record(3);
    m.drift.observe(new Float32Array(4), 1, new Float32Array([0.4, 0.6]));
    m.reset();
    const r = m.report();
    expect([r.feedback.count, r.latency.count, r.drift.samples]).to.deep.equal([0, 0, 0]);
  });
});
