// Matchers for the events an openvidu-browser page records (pages/participant-common.js):
// {source: 'session' | 'publisher' | 'subscriber', event, ...data}.

/** Matches `event` dispatched by `source` (the Session unless told) with these field values. */
export const is = (event, fields = {}, source = 'session') => (e) =>
  e.source === source && e.event === event && Object.entries(fields).every(([k, v]) => e[k] === v);
/** The same, dispatched by the page's Publisher / for one of its Subscribers. */
export const byPublisher = (event, fields) => is(event, fields, 'publisher');
export const bySubscriber = (event, fields) => is(event, fields, 'subscriber');
