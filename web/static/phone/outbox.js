/* Sending the queue, exactly once: every record carries its own Idempotency-Key (its id, and one per photo),
 * so a retry after a lost answer replays the server's first answer instead of opening a second item.
 * Runs in the pages (on start, on `online`, on "send now") and in the service worker (Background Sync);
 * a Web Lock keeps two of them from sending at the same moment. */
(function (global) {
  "use strict";
  const S = global.PhoneStore;
  const API = "/api/v1";
  const channel = "BroadcastChannel" in global ? new BroadcastChannel("daiban-outbox") : null;

  class Refused extends Error {}
  class Unreachable extends Error {}

  function changed() {
    if (channel) channel.postMessage("changed");
    if (global.dispatchEvent && global.CustomEvent) global.dispatchEvent(new CustomEvent("outbox-changed"));
  }

  function problemText(problem, status) {
    if (!problem || typeof problem !== "object") return "HTTP " + status;
    const parts = [problem.detail || problem.title || "HTTP " + status];
    if (problem.errors && typeof problem.errors === "object" && !Array.isArray(problem.errors)) {
      for (const [field, message] of Object.entries(problem.errors)) parts.push(field + ": " + message);
    }
    return parts.join("; ");
  }

  async function post(path, key, body, token) {
    const headers = { Authorization: "Bearer " + token, "Idempotency-Key": key };
    const init = { method: "POST", headers, credentials: "omit" };
    if (body instanceof FormData) {
      init.body = body;
    } else {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(API + path, init);
    } catch (err) {
      throw new Unreachable(String(err));
    }
    const answer = await response.json().catch(() => null);
    if (response.ok) return answer;
    // Busy, a lost race or the server down: nothing was applied, try again later with the same key.
    if (response.status >= 500 || response.status === 409 || response.status === 429) {
      throw new Unreachable(problemText(answer, response.status));
    }
    throw new Refused(problemText(answer, response.status));
  }

  async function sendOne(record, token) {
    record.state = "sending";
    await S.save(record);
    changed();
    try {
      if (record.kind === "case") {
        if (!record.result) {
          record.result = await post("/cases", record.id, record.body, token);
          await S.save(record);
        }
        for (let i = 0; i < record.photos.length; i += 1) {
          const photo = record.photos[i];
          if (photo.sent) continue;
          const form = new FormData();
          form.append("material", photo.material);
          form.append("file", photo.blob, photo.name);
          await post("/cases/" + record.result.id + "/attachments", record.id + "-photo-" + i, form, token);
          photo.sent = true;
          await S.save(record);
        }
      } else {
        record.result = await post("/visits", record.id, record.body, token);
      }
      record.state = "sent";
      record.reason = null;
      record.sent_at = new Date().toISOString();
    } catch (err) {
      if (err instanceof Refused) {
        record.state = "failed";
        record.reason = err.message;
      } else {
        record.state = "queued";
        record.reason = null;
        record.retry_note = err.message;
      }
    }
    await S.save(record);
    changed();
    return record.state;
  }

  async function sendQueued() {
    const device = await S.get("device");
    if (!device || !device.token) return 0;
    let sent = 0;
    for (const record of (await S.records()).reverse()) { // oldest first
      if (record.state !== "queued" && record.state !== "sending") continue;
      const state = await sendOne(record, device.token);
      if (state === "sent") sent += 1;
      if (state === "queued") break; // the network is gone again: keep the order, try later
    }
    return sent;
  }

  function sendAll() {
    if (global.navigator && global.navigator.locks) {
      return global.navigator.locks.request("daiban-outbox", sendQueued);
    }
    return sendQueued();
  }

  global.PhoneOutbox = { sendAll, sendOne, changed, channel };
})(self);
