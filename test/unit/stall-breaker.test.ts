// The stall breaker on its own: after a command times out, the next ones are refused without being sent, until
// one goes through as a probe; an answer ends the stall, another error than a timeout never starts one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StallBreaker } from '../../src/stores/redis/stall-breaker.ts';

const REFUSAL = 'refused without sending';

test('one timeout makes the commands after it fail unsent, until a probe is answered', async () => {
  const breaker = new StallBreaker(30, REFUSAL);
  let sent = 0;
  const timesOut = (): Promise<never> => (sent++, Promise.reject(new Error('Command timed out')));
  const answers = (): Promise<string> => (sent++, Promise.resolve('OK'));

  await assert.rejects(breaker.run(timesOut), /timed out/);
  assert.equal(breaker.stalled, true);
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(answers), /refused without sending/);
  assert.equal(sent, 1, 'nothing was sent while stalled');

  await sleep(40);
  assert.equal(await breaker.run(answers), 'OK', 'the probe went through');
  assert.equal(breaker.stalled, false);
  assert.equal(await breaker.run(answers), 'OK');
  assert.equal(sent, 3);
});

test('a probe that times out again keeps the stall; an error that is not a timeout starts none', async () => {
  const breaker = new StallBreaker(20, REFUSAL);
  await assert.rejects(breaker.run(() => Promise.reject(new Error('Connection is closed.'))), /closed/);
  assert.equal(breaker.stalled, false);
  await assert.rejects(breaker.run(() => Promise.reject(new Error('Command timed out'))), /timed out/);
  await sleep(30);
  await assert.rejects(breaker.run(() => Promise.reject(new Error('Command timed out'))), /timed out/, 'the probe is sent');
  await assert.rejects(breaker.run(() => Promise.resolve(1)), /refused without sending/, 'and the stall goes on');
});
