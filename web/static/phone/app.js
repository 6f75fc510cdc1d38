/* The phone app's pages: they show what the phone keeps (the offline bundle and the outbox in IndexedDB),
 * queue new items and visits, and keep the bundle fresh whenever there is a network. Every word shown comes
 * from the page's Babel-translated strings (#phone-strings). */
(function () {
  "use strict";
  const S = window.PhoneStore;
  const O = window.PhoneOutbox;
  const body = document.body;
  const T = JSON.parse(document.getElementById("phone-strings").textContent);
  const API = body.dataset.api;
  const HOME = body.dataset.home;
  const MAX_PHOTO = 3 * 1024 * 1024;
  const params = new URLSearchParams(location.search);
  const english = document.documentElement.lang === "en";

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name in node && typeof value !== "string") node[name] = value;
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function label(kind, code) {
    const labels = (bundleCache && bundleCache.labels && bundleCache.labels[kind]) || {};
    const entry = labels[code];
    return entry ? (english ? entry.en : entry.zh) : code;
  }

  function itemName(item) { return english && item.name_en ? item.name_en : item.name; }
  function when(iso) { return iso ? new Date(iso).toLocaleString(english ? "en" : "zh-CN") : T.never; }

  function notice(text) {
    const node = document.getElementById("notice");
    node.textContent = text;
    node.hidden = !text;
  }

  function showNetwork() {
    const node = document.getElementById("net");
    node.textContent = navigator.onLine ? T.online : T.offline;
    node.dataset.online = navigator.onLine ? "1" : "0";
  }

  let bundleCache = null;
  async function bundle() {
    if (!bundleCache) bundleCache = await S.get("bundle");
    return bundleCache;
  }

  async function refresh() {
    const device = await S.get("device");
    if (!device || !navigator.onLine) return false;
    try {
      const response = await fetch(API + "/phone/offline", {
        headers: { Authorization: "Bearer " + device.token },
        credentials: "omit",
      });
      if (!response.ok) return false;
      bundleCache = await response.json();
      await S.put("bundle", bundleCache);
      return true;
    } catch (err) {
      return false;
    }
  }

  async function askForBackgroundSync() {
    try {
      const registration = await navigator.serviceWorker.getRegistration(body.dataset.scope);
      if (registration && registration.active && registration.sync) await registration.sync.register("daiban-outbox");
    } catch (err) { /* no Background Sync here: the `online` event and the next start send it */ }
  }

  function sendSoon() {
    askForBackgroundSync();
    if (navigator.onLine) O.sendAll().then(() => refresh().then(render));
  }

  // ---- the records on the phone (/m/)
  function recordTitle(record) {
    if (record.kind === "case") return T.new_item + " · " + record.body.resident.name;
    return T.visit + " · " + (record.title || "");
  }

  async function renderOutbox() {
    const list = document.getElementById("outbox");
    if (!list) return;
    const records = await S.records();
    list.replaceChildren(
      ...records.map((record) => {
        const state = el("span", { class: "state", text: T[record.state] });
        const item = el("li", { class: "record", "data-state": record.state, "data-kind": record.kind, "data-id": record.id },
          el("strong", { text: recordTitle(record) }), state,
          el("span", { class: "meta", text: when(record.created_at) }));
        if (record.kind === "case" && record.photos.length) {
          item.append(el("span", { class: "meta", text: record.photos.length + " " + T.photos }));
        }
        if (record.state === "sent" && record.result && record.result.receipt_code) {
          item.append(el("span", { class: "meta", text: T.receipt + " " + record.result.receipt_code }));
        }
        if (record.state === "failed") {
          item.append(el("p", { class: "reason", text: record.reason || "" }));
          const page = record.kind === "case" ? "new" : "visit";
          item.append(el("a", { class: "button", href: HOME + page + "?record=" + encodeURIComponent(record.id), text: T.correct }));
        }
        return item;
      })
    );
    document.getElementById("outbox-empty").hidden = records.length > 0;
  }

  async function renderHome() {
    const device = await S.get("device");
    document.getElementById("signin").hidden = Boolean(device);
    document.getElementById("who").hidden = !device;
    const data = await bundle();
    if (device) {
      document.getElementById("who-name").textContent = data ? data.user.display_name : device.username || "";
      document.getElementById("fetched").textContent = data ? T.fetched + " " + when(data.fetched_at) : T.no_data;
    }
    await renderOutbox();
  }

  function setupHome() {
    document.getElementById("send-now").addEventListener("click", () => sendSoon());
    const dialog = document.getElementById("logout-dialog");
    document.getElementById("logout").addEventListener("click", async () => {
      const unsent = (await S.records()).filter((r) => r.state !== "sent").length;
      document.getElementById("logout-warning").textContent = unsent ? T.unsent_wipe.replace("{n}", unsent) : "";
      dialog.showModal();
    });
    document.getElementById("logout-cancel").addEventListener("click", () => dialog.close());
    document.getElementById("logout-confirm").addEventListener("click", async () => {
      const device = await S.get("device");
      if (device && navigator.onLine) {
        await fetch(API + "/devices/" + device.id, {
          method: "DELETE", headers: { Authorization: "Bearer " + device.token }, credentials: "omit",
        }).catch(() => null);
      }
      await S.wipe();
      bundleCache = null;
      dialog.close();
      location.href = HOME;
    });
  }

  // ---- forms
  function options(select, items, chosen, blank) {
    select.replaceChildren(
      ...(blank ? [el("option", { value: "", text: T.choose })] : []),
      ...items.map(([value, text]) => el("option", { value, text, selected: String(value) === String(chosen) }))
    );
  }

  function formError(text) {
    const node = document.getElementById("form-error");
    node.textContent = text || "";
    node.hidden = !text;
  }

  function missing(form, names) {
    const empty = names.filter((n) => !String(form.elements[n].value || "").trim());
    for (const name of names) form.elements[name].setAttribute("aria-invalid", empty.includes(name) ? "true" : "false");
    if (empty.length) {
      const labels = empty.map((n) => form.querySelector("label[for=" + n + "]").textContent);
      formError(labels.join(", ") + ": " + T.required);
      form.elements[empty[0]].focus();
    }
    return empty.length > 0;
  }

  async function compress(file) {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    for (const quality of [0.8, 0.6, 0.45, 0.3]) {
      const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", quality));
      if (blob && blob.size <= MAX_PHOTO) return blob;
    }
    throw new Error(T.photo_too_big);
  }

  async function queue(record) {
    // Kept first; the records page sends it on opening (or Background Sync does, once there is a network).
    await S.save(record);
    O.changed();
    await askForBackgroundSync();
    location.href = HOME;
  }

  async function setupNewItem() {
    const form = document.getElementById("new-item");
    const data = (await bundle()) || { catalog: [], villages: [] };
    const editing = params.get("record") ? await S.record(params.get("record")) : null;
    const photos = editing ? editing.photos : [];
    const before = editing ? editing.body : null;
    options(form.elements.catalog_code, data.catalog.map((i) => [i.code, itemName(i)]), before && before.catalog_code, true);
    const villages = data.villages.filter((v) => v.may_open);
    const onlyVillage = villages.length === 1 ? villages[0].code : null;
    options(form.elements.resident_village, villages.map((v) => [v.code, english && v.name_en ? v.name_en : v.name]),
      before ? before.resident.village : onlyVillage, !onlyVillage);
    if (before) {
      form.elements.resident_name.value = before.resident.name;
      form.elements.resident_phone.value = before.resident.phone;
      form.elements.summary.value = before.summary;
    }
    function showMaterials() {
      const item = data.catalog.find((i) => i.code === form.elements.catalog_code.value);
      const materials = item ? item.materials : [];
      const provided = before ? before.materials_provided : [];
      document.getElementById("material-list").replaceChildren(
        ...materials.map((m, i) => el("div", { class: "check" },
          el("input", { type: "checkbox", id: "material-" + i, name: "materials_provided", value: m, checked: provided.includes(m) }),
          el("label", { for: "material-" + i, text: m })))
      );
      options(form.elements.photo_material, [...materials.map((m) => [m, m]), ["other", T.other_material]]);
    }
    function showPhotos() {
      document.getElementById("photo-list").replaceChildren(
        ...photos.map((p) => el("li", { "data-photo": p.name, text: T.photo_ready + " · " + p.material + " · " + Math.round(p.blob.size / 1024) + " KB" }))
      );
    }
    form.elements.catalog_code.addEventListener("change", showMaterials);
    showMaterials();
    showPhotos();
    form.elements.photo.addEventListener("change", async () => {
      const file = form.elements.photo.files[0];
      if (!file) return;
      formError("");
      try {
        const blob = await compress(file);
        photos.push({ material: form.elements.photo_material.value, blob, name: "photo-" + (photos.length + 1) + ".jpg", sent: false });
        showPhotos();
      } catch (err) {
        formError(err.message);
      }
      form.elements.photo.value = "";
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      formError("");
      if (missing(form, ["catalog_code", "resident_name", "resident_phone", "resident_village", "summary"])) return;
      const record = editing || { id: crypto.randomUUID(), kind: "case", created_at: new Date().toISOString() };
      record.body = {
        catalog_code: form.elements.catalog_code.value,
        resident: {
          name: form.elements.resident_name.value.trim(),
          phone: form.elements.resident_phone.value.trim(),
          village: form.elements.resident_village.value,
        },
        summary: form.elements.summary.value.trim(),
        materials_provided: [...form.querySelectorAll("input[name=materials_provided]:checked")].map((c) => c.value),
      };
      record.photos = photos;
      record.state = "queued";
      record.reason = null;
      await queue(record);
    });
  }

  async function setupVisit() {
    const form = document.getElementById("visit-form");
    const data = (await bundle()) || { households: [], villages: [], catalog: [], labels: {} };
    const editing = params.get("record") ? await S.record(params.get("record")) : null;
    const before = editing ? editing.body : null;
    const kept = new Set(data.villages.filter((v) => v.may_keep).map((v) => v.code));
    const households = data.households.filter((h) => kept.has(h.village));
    const chosen = before ? before.household_id : params.get("household");
    options(form.elements.household_id, households.map((h) => [h.id, h.head_name + " · " + h.village_name + (h.address ? " · " + h.address : "")]), chosen, true);
    const codes = (kind) => Object.keys((data.labels || {})[kind] || {}).map((c) => [c, label(kind, c)]);
    options(form.elements.channel, codes("channel"), before ? before.channel : "home_visit");
    options(form.elements.need_outcome, codes("outcome"), before && before.needs[0] ? before.needs[0].outcome : "answered");
    options(form.elements.need_catalog_code, data.catalog.map((i) => [i.code, itemName(i)]), before && before.needs[0] ? before.needs[0].catalog_code : null, true);
    if (before) {
      form.elements.note.value = before.note || "";
      const need = before.needs[0];
      if (need) {
        form.elements.need_text.value = need.text;
        form.elements.need_result.value = need.answer || need.reason || "";
      }
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      formError("");
      if (missing(form, ["household_id", "channel"])) return;
      const needs = [];
      const text = form.elements.need_text.value.trim();
      if (text) {
        const outcome = form.elements.need_outcome.value;
        const result = form.elements.need_result.value.trim();
        const need = { text, outcome };
        if (outcome === "answered") need.answer = result;
        else need.reason = result;
        if (outcome === "case" || outcome === "referred") need.catalog_code = form.elements.need_catalog_code.value || null;
        needs.push(need);
      }
      const household = households.find((h) => String(h.id) === form.elements.household_id.value);
      const record = editing || { id: crypto.randomUUID(), kind: "visit", created_at: new Date().toISOString() };
      record.title = household ? household.head_name : "";
      record.body = {
        household_id: Number(form.elements.household_id.value),
        channel: form.elements.channel.value,
        at: before ? before.at : new Date().toISOString(),
        note: form.elements.note.value.trim(),
        needs,
      };
      record.photos = [];
      record.state = "queued";
      record.reason = null;
      await queue(record);
    });
  }

  // ---- lists from the bundle
  async function renderHouseholds() {
    const data = await bundle();
    const list = document.getElementById("household-list");
    const filter = document.getElementById("household-filter").value.trim();
    const rows = (data ? data.households : []).filter((h) => !filter || (h.head_name + h.address + h.village_name).includes(filter));
    list.replaceChildren(...rows.map((h) => el("li", { class: "record" },
      el("strong", { text: h.head_name }),
      el("span", { class: "meta", text: h.village_name + (h.address ? " · " + h.address : "") + " · " + (h.phone || "") }),
      el("span", { class: "meta", text: T.last_visit + " " + when(h.last_visited_at) }),
      el("a", { class: "button", href: HOME + "visit?household=" + h.id, text: T.visit_household }))));
    if (!rows.length) list.append(el("li", { class: "empty", text: T.no_households }));
  }

  async function renderProgress() {
    const data = await bundle();
    const list = document.getElementById("opened-list");
    const rows = data ? data.opened : [];
    const names = new Map((data ? data.catalog : []).map((i) => [i.code, itemName(i)]));
    list.replaceChildren(...rows.map((c) => el("li", { class: "record", "data-status": c.status },
      el("strong", { text: (names.get(c.catalog_code) || c.catalog_code) + " · " + c.resident_name }),
      el("span", { class: "state", text: label("status", c.status) }),
      el("span", { class: "meta", text: T.receipt + " " + c.receipt_code + " · " + T.due + " " + when(c.due_at) }),
      el("a", { href: "/cases/" + c.id, text: c.receipt_code }))));
    if (!rows.length) list.append(el("li", { class: "empty", text: T.no_items }));
  }

  async function renderInbox() {
    const data = await bundle();
    const list = document.getElementById("task-list");
    const rows = data ? data.tasks : [];
    list.replaceChildren(...rows.map((t) => el("li", { class: "record", "data-due": t.due_state || "" },
      el("strong", { text: t.name + " · " + t.resident_name }),
      el("span", { class: "meta", text: T.receipt + " " + t.receipt_code + " · " + T.due + " " + when(t.due_at) }),
      el("a", { class: "button", href: HOME + "task?id=" + encodeURIComponent(t.id), text: T.open_task }))));
    if (!rows.length) list.append(el("li", { class: "empty", text: T.no_tasks }));
  }

  // ---- a task's form (JSON Schema kept with the task), completed online
  function title(schema) { return english && schema["x-title-en"] ? schema["x-title-en"] : schema.title || ""; }

  function field(name, schema, required) {
    const id = "f-" + name;
    const box = el("div", { class: "field", "data-field": name });
    const caption = title(schema) + (required ? " *" : "");
    const titles = (english && schema["x-enum-titles-en"]) || schema["x-enum-titles"] || [];
    if (schema.type === "boolean") {
      box.classList.add("check");
      box.append(el("input", { type: "checkbox", id, name }), el("label", { for: id, text: caption }));
    } else if (schema.type === "array" && schema.items && schema.items.enum) {
      const titlesOf = (english && schema.items["x-enum-titles-en"]) || schema.items["x-enum-titles"] || [];
      const group = el("fieldset", {}, el("legend", { text: caption }));
      schema.items.enum.forEach((value, i) => group.append(el("div", { class: "check" },
        el("input", { type: "checkbox", id: id + "-" + i, name, value }),
        el("label", { for: id + "-" + i, text: titlesOf[i] || value }))));
      box.append(group);
    } else if (schema.enum) {
      const select = el("select", { id, name });
      options(select, schema.enum.map((v, i) => [v, titles[i] || v]), null, true);
      box.append(el("label", { for: id, text: caption }), select);
    } else if (schema.type === "integer" || schema.type === "number") {
      box.append(el("label", { for: id, text: caption }), el("input", { id, name, type: "number", inputmode: "decimal" }));
    } else if ((schema.maxLength || 2000) > 200) {
      box.append(el("label", { for: id, text: caption }), el("textarea", { id, name, rows: "3", maxlength: String(schema.maxLength || 2000) }));
    } else {
      box.append(el("label", { for: id, text: caption }), el("input", { id, name, maxlength: String(schema.maxLength || 200) }));
    }
    box.append(el("p", { class: "error", id: id + "-error", hidden: true }));
    return box;
  }

  function formData(form, schema) {
    const data = {};
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      if (prop.type === "boolean") data[name] = form.elements[name].checked;
      else if (prop.type === "array") data[name] = [...form.querySelectorAll("input[name='" + name + "']:checked")].map((c) => c.value);
      else {
        const value = form.elements[name].value.trim();
        if (value === "") continue;
        data[name] = prop.type === "integer" || prop.type === "number" ? Number(value) : value;
      }
    }
    return data;
  }

  async function setupTask() {
    const data = await bundle();
    const task = data ? data.tasks.find((t) => t.id === params.get("id")) : null;
    if (!task) {
      document.getElementById("task-missing").hidden = false;
      return;
    }
    const schema = task.form || { type: "object", properties: {} };
    const required = new Set(schema.required || []);
    document.getElementById("task-head").hidden = false;
    document.getElementById("task-name").textContent = task.name + " · " + task.resident_name;
    document.getElementById("task-meta").textContent = T.receipt + " " + task.receipt_code + " · " + T.due + " " + when(task.due_at);
    const form = document.getElementById("task-form");
    form.hidden = false;
    document.getElementById("task-fields").replaceChildren(
      ...Object.entries(schema.properties || {}).map(([name, prop]) => field(name, prop, required.has(name))));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      formError("");
      form.querySelectorAll("p.error[id^=f-]").forEach((p) => { p.hidden = true; });
      const device = await S.get("device");
      if (!navigator.onLine || !device) {
        formError(T.needs_network);
        return;
      }
      const response = await fetch(API + "/tasks/" + encodeURIComponent(task.id) + "/complete", {
        method: "POST",
        headers: { Authorization: "Bearer " + device.token, "Content-Type": "application/json" },
        credentials: "omit",
        body: JSON.stringify({ data: formData(form, schema) }),
      }).catch(() => null);
      const answer = response ? await response.json().catch(() => null) : null;
      if (!response) {
        formError(T.needs_network);
        return;
      }
      if (!response.ok) {
        formError(answer && answer.detail ? answer.detail : "HTTP " + response.status);
        for (const [name, message] of Object.entries((answer && answer.errors) || {})) {
          const slot = document.getElementById("f-" + name + "-error");
          if (slot) { slot.textContent = message; slot.hidden = false; }
        }
        return;
      }
      await refresh();
      location.href = HOME + "inbox?done=1";
    });
  }

  // ---- sign-in (after the login page)
  function setupSignIn() {
    const form = document.getElementById("device-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const response = await fetch(API + "/devices", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf },
        body: JSON.stringify({ name: form.elements.name.value }),
      }).catch(() => null);
      const answer = response ? await response.json().catch(() => null) : null;
      if (!response || !response.ok) {
        formError(answer && answer.detail ? answer.detail : T.network_error);
        return;
      }
      await S.put("device", { id: answer.id, token: answer.token, username: answer.user, expires_at: answer.expires_at });
      await refresh();
      location.href = HOME;
    });
  }

  const PAGES = {
    home: { setup: setupHome, render: renderHome },
    new: { setup: setupNewItem },
    visit: { setup: setupVisit },
    households: { setup: () => document.getElementById("household-filter").addEventListener("input", renderHouseholds), render: renderHouseholds },
    progress: { render: renderProgress },
    inbox: { render: renderInbox, setup: () => { if (params.get("done")) notice(T.completed); } },
    task: { setup: setupTask },
    "sign-in": { setup: setupSignIn },
  };
  const page = PAGES[body.dataset.page] || {};

  async function render() {
    bundleCache = null;
    if (!(await bundle()) && !["sign-in", "home"].includes(body.dataset.page)) notice(T.no_data);
    if (page.render) await page.render();
  }

  async function start() {
    showNetwork();
    window.addEventListener("online", () => { showNetwork(); sendSoon(); refresh().then(render); });
    window.addEventListener("offline", showNetwork);
    window.addEventListener("outbox-changed", () => renderOutbox());
    if (O.channel) O.channel.addEventListener("message", () => renderOutbox());
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => null);
    }
    if (page.setup) await page.setup();
    await render();
    // On start: send what waits, then fetch fresh data, then show it.
    if (navigator.onLine && body.dataset.page !== "sign-in") {
      await O.sendAll();
      if (await refresh()) await render();
    }
    body.dataset.ready = "1";
  }

  start();
})();
