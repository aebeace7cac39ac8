import { expect } from 'chai';
import { PredictionLog } from '../../lib/serve/handlers';
import { predictionId } from '../../lib/serve/answer';

describe('serve/handlers PredictionLog', () => {
  it('finds logged predictions by id, with version names that hold dashes', () => {
    const log = new PredictionLog(4);
    log.record(1, [2, 0], 'v-1');
    expect(log.get(predictionId('v-1', 1))).to.deep.equal({ label: 2, version: 'v-1' });
    expect(log.get('v-1-2')).to.deep.equal({ label: 0, version: 'v-1' });
    expect(log.get('v-1-3')).to.equal(undefined); // not logged (yet)
    expect(log.get('v-2-1')).to.equal(undefined); // another version
  });

  it('keeps the latest `capacity` prediction numbers: older ones are dropped', () => {
    const log = new PredictionLog(3);
    log.record(1, [1, 1, 1], 'a');
    log.record(4, [2, 2], 'a');
    expect(log.get('a-1')).to.equal(undefined);
    expect(log.get('a-2')).to.equal(undefined);
    expect(log.get('a-3')).to.deep.equal({ label: 1, version: 'a' });
    expect(log.get('a-5')).to.deep.equal({ label: 2, version: 'a' });
  });

  it('answers undefined to ids it never gave', () => {
    const log = new PredictionLog(3);
    log.record(0, [1], 'a');
    for (const id of ['', 'a', 'a-', '-0', 'a-x', 'a-0.0', 'a-00', 'a--0', 'a-1e3', 'a-00000000000000000000', 'nope'])
      expect(log.get(id), id).to.equal(undefined);
    expect(log.get('a-0')).to.deep.equal({ label: 1, version: 'a' });
  });
});
