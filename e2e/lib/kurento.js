// A small Kurento JSON-RPC 2.0 client over a websocket, enough to drive a
// media node the way the OpenVidu 2 master does (create / invoke / subscribe /
// release, onEvent notifications).
//
// - Every request gets a numeric id (from 0, like kurento-client-js) and a
//   timeout; an error response rejects with a KurentoError (code, data).
// - The sessionId of the first response is kept and sent in every later
//   request, as the Java client does.
// - Every onEvent is recorded (`events`, in arrival order, with the time it
//   arrived) and dispatched to the listeners of (object, type); `waitForEvent`
//   resolves with the first recorded event matching a predicate.
// - `trace` keeps a one-line summary of each message both ways, for failure
//   reports.

import WebSocket from 'ws';

const DEFAULT_TIMEOUT_MS = 15_000;

export class KurentoError extends Error {
  constructor(method, error) {
    super(`${method} failed: ${error.code} ${error.message}${error.data ? ' ' + JSON.stringify(error.data) : ''}`);
    this.code = error.code;
    this.data = error.data;
  }
}

export class KurentoClient {
  /** Opens the websocket; resolves once it is open. */
  static async connect(uri, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    const socket = new WebSocket(uri);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error(`websocket ${uri} did not open within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('open', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`websocket ${uri}: ${error.message}`));
      });
    });
    return new KurentoClient(uri, socket);
  }

  constructor(uri, socket) {
    this.uri = uri;
    this.socket = socket;
    this.sessionId = undefined;
    this.nextId = 0;
    this.pending = new Map(); // id -> {resolve, reject, timer, method}
    this.listeners = new Map(); // `${object} ${type}` -> Set<fn>
    this.waiters = new Set(); // {predicate, resolve}
    /** Every onEvent received: {at, type, object, data}. */
    this.events = [];
    /** One line per message, both ways. */
    this.trace = [];
    this.closed = false;
    socket.on('message', (data) => this.onMessage(String(data)));
    socket.on('close', (code, reason) => {
      this.closed = true;
      this.note(`closed ${code} ${reason}`);
      for (const [, call] of this.pending) {
        clearTimeout(call.timer);
        call.reject(new Error(`${call.method}: websocket closed (${code}) before the response`));
      }
      this.pending.clear();
    });
    socket.on('error', (error) => this.note(`socket error: ${error.message}`));
  }

  note(line) {
    this.trace.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
    if (this.trace.length > 2000) this.trace.splice(0, 1000);
  }

  /** Sends one request; resolves with `result`, rejects with a KurentoError or a timeout. */
  request(method, params = {}, { timeoutMs = DEFAULT_TIMEOUT_MS } = {}) {
    if (this.closed) return Promise.reject(new Error(`${method}: websocket already closed`));
    const id = this.nextId++;
    const withSession = this.sessionId !== undefined && method !== 'ping' ? { ...params, sessionId: this.sessionId } : params;
    const message = { jsonrpc: '2.0', id, method, params: withSession };
    const label = describeRequest(method, withSession);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.note(`timeout #${id} ${label}`);
        reject(new Error(`${label}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, method: label });
      this.note(`-> #${id} ${label}`);
      this.socket.send(JSON.stringify(message));
    });
  }

  onMessage(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      this.note(`<- unparsable: ${text.slice(0, 200)}`);
      return;
    }
    if (message.method === 'onEvent') {
      const value = message.params?.value ?? {};
      const event = { at: Date.now(), type: value.type, object: value.object, data: value.data ?? {} };
      this.events.push(event);
      this.note(`<- onEvent ${event.type} ${shortId(event.object)} ${summarizeEventData(event)}`);
      for (const listener of this.listeners.get(`${event.object} ${event.type}`) ?? []) {
        try {
          listener(event);
        } catch (error) {
          this.note(`listener for ${event.type} threw: ${error.message}`);
        }
      }
      for (const waiter of [...this.waiters]) {
        if (waiter.predicate(event)) {
          this.waiters.delete(waiter);
          waiter.resolve(event);
        }
      }
      return;
    }
    const call = this.pending.get(message.id);
    if (!call) {
      this.note(`<- unexpected ${text.slice(0, 200)}`);
      return;
    }
    this.pending.delete(message.id);
    clearTimeout(call.timer);
    if (message.error) {
      this.note(`<- #${message.id} error ${message.error.code} ${message.error.message}`);
      call.reject(new KurentoError(call.method, message.error));
      return;
    }
    const result = message.result ?? {};
    if (typeof result.sessionId === 'string') this.sessionId = result.sessionId;
    this.note(`<- #${message.id} ok ${summarizeValue(result.value)}`);
    call.resolve(result);
  }

  // ---- the Kurento operations the tests use ------------------------------

  /** `create` of a media object; resolves with its id. */
  async create(type, constructorParams) {
    const params = { type, properties: {} };
    if (constructorParams) params.constructorParams = constructorParams;
    return (await this.request('create', params)).value;
  }

  /** `invoke` of an operation; resolves with `result.value`. */
  async invoke(object, operation, operationParams, options) {
    const params = { object, operation };
    if (operationParams) params.operationParams = operationParams;
    return (await this.request('invoke', params, options)).value;
  }

  /** `subscribe` to an event of an object; `listener` (optional) is called for each one. */
  async subscribe(object, type, listener) {
    if (listener) this.on(object, type, listener);
    return (await this.request('subscribe', { object, type })).value;
  }

  release(object) {
    return this.request('release', { object });
  }

  on(object, type, listener) {
    const key = `${object} ${type}`;
    if (!this.listeners.has(key)) this.listeners.set(key, new Set());
    this.listeners.get(key).add(listener);
  }

  /** Resolves with the first event (already received or coming) matching `predicate`. */
  waitForEvent(predicate, { timeoutMs = DEFAULT_TIMEOUT_MS, what = 'event' } = {}) {
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The events seen so far, one line each (for failure messages). */
  eventSummary(limit = 80) {
    return this.events
      .slice(-limit)
      .map((e) => `${new Date(e.at).toISOString().slice(11, 23)} ${e.type} ${shortId(e.object)} ${summarizeEventData(e)}`)
      .join('\n');
  }

  close() {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 2000);
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.close();
    });
  }
}

/** The last segment of an object id, without its uuid: enough to read a trace. */
export function shortId(id) {
  if (typeof id !== 'string') return String(id);
  const last = id.split('/').pop();
  const [uuid, type] = last.split('_');
  return type ? `${type.replace('kurento.', '')}#${uuid.slice(0, 8)}` : last;
}

function describeRequest(method, params) {
  const parts = [method];
  if (params.type) parts.push(params.type);
  if (params.object) parts.push(shortId(params.object));
  if (params.operation) parts.push(params.operation);
  if (params.operationParams?.sink) parts.push(`-> ${shortId(params.operationParams.sink)}`);
  return parts.join(' ');
}

function summarizeValue(value) {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77).replace(/\r?\n/g, '\\n')}...` : text.replace(/\r?\n/g, '\\n');
}

function summarizeEventData({ data }) {
  const fields = [];
  for (const key of ['state', 'mediaType', 'newState', 'oldState']) {
    if (data[key] !== undefined) fields.push(`${key}=${data[key]}`);
  }
  if (data.candidate?.candidate) fields.push(data.candidate.candidate);
  if (data.description) fields.push(`description=${data.description}`);
  return fields.join(' ');
}
