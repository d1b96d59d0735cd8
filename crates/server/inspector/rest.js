// Calls to the REST API (same origin, Basic credentials from the sign-in kept in
// this tab's sessionStorage) and to the Inspector's own endpoints (its cookie).

export const CREDENTIALS_KEY = 'plenum.inspector.basic';
export const API = '/openvidu/api';

export function credentials() {
  return sessionStorage.getItem(CREDENTIALS_KEY);
}

/** Back to the sign-in page: the cookie or the tab's credentials are gone. */
export function signInAgain() {
  sessionStorage.removeItem(CREDENTIALS_KEY);
  location.href = '/inspector/sign-in';
}

async function answer(response) {
  if (response.status === 401) {
    signInAgain();
    throw new Error('Not signed in');
  }
  const text = await response.text();
  let body = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!response.ok) {
    const message = (body && body.message) || (typeof body === 'string' && body) || response.statusText;
    const error = new Error(`${response.status}: ${message}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

/** A REST call: `rest('GET', '/sessions')` (under /openvidu/api unless the path starts with /openvidu/) → the parsed JSON (or null). */
export async function rest(method, path, body) {
  const headers = { Authorization: credentials() ?? '' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const url = path.startsWith('/openvidu/') ? path : API + path;
  const response = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answer(response);
}

/** An Inspector endpoint (`/inspector/api/...`), authenticated by the cookie. */
export async function inspector(path, options = {}) {
  return answer(await fetch(`/inspector/api/${path}`, options));
}
