// One HTTP exchange with an upstream, on undici's dispatch API. The gateway needs the body either whole (a JSON
// answer) or chunk by chunk (a stream), never as a Node stream: handling the callbacks directly skips the Readable,
// its async iterator and an AbortSignal per request, which measured as a good share of the request path's CPU.
import type { Dispatcher } from 'undici';
import type { UpstreamCall } from '../providers/adapter.ts';
import { UpstreamProtocolError } from './attempt-failure.ts';

type Headers = Record<string, string | string[] | undefined>;

/** Chunks held before the upstream is paused: the client is slower than the upstream. */
const HIGH_WATER_CHUNKS = 16;

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  statusCode = 0;
  headers: Headers = {};
  #controller: Dispatcher.DispatchController | undefined;
  #abortReason: Error | undefined;
  #started: { resolve: (x: UpstreamExchange) => void; reject: (err: Error) => void } | undefined;
  readonly #chunks: Buffer[] = [];
  #chunksHead = 0;
  #size = 0;
  #ended = false;
  #error: Error | undefined;
  #waiter: { resolve: () => void } | undefined;
  /** Reading the body whole: nothing is consumed until the end, so the upstream is never paused. */
  #whole = false;

  /** Sends the request; resolves at the response headers (any status), rejects on a connection error or abort. */
  static send(dispatcher: Dispatcher, origin: string, call: UpstreamCall, exchange: UpstreamExchange): Promise<UpstreamExchange> {
    return new Promise((resolve, reject) => {
      exchange.#started = { resolve, reject };
      dispatcher.dispatch({ origin, method: 'POST', path: call.path, headers: call.headers, body: call.body }, exchange);
    });
  }

  /** Ends the exchange (timeout, client gone); a pending or later read rejects with the reason. */
  abort(reason: Error): void {
    if (this.#controller) this.#controller.abort(reason);
    else this.#abortReason = reason;
  }

  /** The whole body, up to `maxBytes`. */
  async readAll(maxBytes: number): Promise<Buffer> {
    this.#whole = true;
    if (this.#controller?.paused) this.#controller.resume();
    for (;;) {
      if (this.#error) throw this.#error;
      if (this.#size > maxBytes) {
        this.abort(new UpstreamProtocolError(`response body larger than ${maxBytes} bytes`));
        throw new UpstreamProtocolError(`response body larger than ${maxBytes} bytes`);
      }
      if (this.#ended) {
        const chunks = this.#chunks;
        return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#size);
      }
      await this.arrival();
    }
  }

  /**
   * The next chunk of the body if one has come: null at the body's end, undefined while none is there yet (`arrival()`
   * then resolves when there is something to take). Throws the exchange's error once the chunks before it are taken.
   * Synchronous, so that a stream awaits only when it has to wait: a promise resolved with each chunk would cost a
   * lookup of `then` along a Buffer's prototypes (about 500 instructions a chunk), besides the async function's own.
   */
  take(): Buffer | null | undefined {
    if (this.#chunksHead < this.#chunks.length) {
      const chunk = this.#chunks[this.#chunksHead]!;
      this.#chunks[this.#chunksHead++] = EMPTY;
      if (this.#chunksHead === this.#chunks.length) {
        this.#chunks.length = 0;
        this.#chunksHead = 0;
        if (this.#controller?.paused) this.#controller.resume();
      }
      return chunk;
    }
    if (this.#error) throw this.#error;
    return this.#ended ? null : undefined;
  }

  /** Resolves when something new has come: a chunk, the end of the body, or an error. */
  arrival(): Promise<void> {
    return new Promise((resolve) => (this.#waiter = { resolve }));
  }

  #wake(): void {
    const waiter = this.#waiter;
    if (waiter) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#abortReason) controller.abort(this.#abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    this.statusCode = statusCode;
    this.headers = headers;
    this.#started?.resolve(this);
    this.#started = undefined;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    if (!this.#whole && this.#chunks.length - this.#chunksHead >= HIGH_WATER_CHUNKS) controller.pause();
    this.#wake();
  }

  onResponseEnd(): void {
    this.#ended = true;
    this.#wake();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#error = error;
    if (this.#started) {
      this.#started.reject(error);
      this.#started = undefined;
    }
    this.#wake();
  }
}

const EMPTY = Buffer.alloc(0);
