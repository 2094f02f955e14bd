// The stall breaker on its own: after a command times out, the next ones are refused without being sent, until
// one goes through as a probe; an answer ends the stall, another error than a timeout never starts one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StallBreaker } from '../../src/stores/redis/stall-breaker.ts';

const refuse = (): Error => new Error('refused without sending');

test('one timeout makes the commands after it fail unsent, until a probe is answered', async () => {
  const breaker = new StallBreaker(30);
  let sent = 0;
  const timesOut = (): Promise<never> => (sent++, Promise.reject(new Error('Command timed out')));
  const answers = (): Promise<string> => (sent++, Promise.resolve('OK'));

  await assert.rejects(breaker.run(timesOut, refuse), /timed out/);
  assert.equal(breaker.stalled, true);
  for (let i = 0; i < 3; i++) await assert.rejects(breaker.run(answers, refuse), /refused without sending/);
  assert.equal(sent, 1, 'nothing was sent while stalled');

  await sleep(40);
  assert.equal(await breaker.run(answers, refuse), 'OK', 'the probe went through');
  assert.equal(breaker.stalled, false);
  assert.equal(await breaker.run(answers, refuse), 'OK');
  assert.equal(sent, 3);
});

test('a probe that times out again keeps the stall; an error that is not a timeout starts none', async () => {
  const breaker = new StallBreaker(20);
  await assert.rejects(breaker.run(() => Promise.reject(new Error('Connection is closed.')), refuse), /closed/);
  assert.equal(breaker.stalled, false);
  await assert.rejects(breaker.run(() => Promise.reject(new Error('Command timed out')), refuse), /timed out/);
  await sleep(30);
  await assert.rejects(breaker.run(() => Promise.reject(new Error('Command timed out')), refuse), /timed out/, 'the probe is sent');
  await assert.rejects(breaker.run(() => Promise.resolve(1), refuse), /refused without sending/, 'and the stall goes on');
});
