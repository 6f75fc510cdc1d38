/* What the phone keeps (docs/phone.md): IndexedDB through the `idb` library, in the pages and in the
 * service worker. Two stores: `outbox` (queued, sending, sent and failed records with their photos) and
 * `kept` (the device token under "device", the offline bundle under "bundle"). */
(function (global) {
  "use strict";
  const NAME = "daiban-phone";
  let opened = null;

  function db() {
    if (!opened) {
      opened = global.idb.openDB(NAME, 1, {
        upgrade(d) {
          d.createObjectStore("outbox", { keyPath: "id" });
          d.createObjectStore("kept");
        },
      });
    }
    return opened;
  }

  global.PhoneStore = {
    async get(key) { return (await db()).get("kept", key); },
    async put(key, value) { return (await db()).put("kept", value, key); },
    async records() {
      const all = await (await db()).getAll("outbox");
      return all.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    },
    async record(id) { return (await db()).get("outbox", id); },
    async save(record) { return (await db()).put("outbox", record); },
    async wipe() {
      const d = await db();
      await d.clear("outbox");
      await d.clear("kept");
    },
  };
})(self);
