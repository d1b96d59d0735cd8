// Assertions shared by the node-client test files.
import assert from 'node:assert/strict';

/** The OpenVidu clients reject with `new Error('<http status>')`. */
export async function rejectsWithStatus(promise, status) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof Error, `expected an Error, got ${error}`);
    assert.equal(error.message, status);
    return true;
  });
}

/** The calls recorded since `mark` (an index into `calls`), as "METHOD /path status". */
export const callsSince = (calls, mark) => calls.slice(mark).map((c) => `${c.method} ${c.path} ${c.status}`);

/** Every recording call of a client answers 501 when OPENVIDU_RECORDING=false. */
export async function recordingCallsAnswer501(ov, sessionId) {
  await rejectsWithStatus(ov.listRecordings(), '501');
  await rejectsWithStatus(ov.getRecording('x'), '501');
  await rejectsWithStatus(ov.startRecording(sessionId), '501');
  await rejectsWithStatus(ov.stopRecording('x'), '501');
  await rejectsWithStatus(ov.deleteRecording('x'), '501');
}
