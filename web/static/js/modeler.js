// The analyst's modeler: bpmn-js with the properties panel and its Daiban group (or dmn-js for decision tables),
// Chinese palette and context pad, and validate / save draft / deploy / import / export through the API.
(function () {
  const box = document.getElementById("canvas");
  if (!box) return;
  const cfg = box.dataset;
  const text = JSON.parse(document.getElementById("messages").textContent);
  const status = document.getElementById("status");
  const problems = document.getElementById("problems");
  const deployButton = document.getElementById("deploy");
  let saved = null; // {key, version} of the draft saved from this page
  let marked = [];

  function say(message, kind) {
    status.hidden = false;
    status.className = "flash " + (kind || "");
    status.textContent = message;
  }

  function fill(template, values) {
    return template.replace(/%\((\w+)\)s/g, (_, k) => values[k]);
  }

  // bpmn-js's translate module: the palette, context pad, popup menu and properties panel ask
  // `translate(template, replacements)` for every label; zh-CN strings come from a data file.
  function translateModule(strings) {
    function translate(template, replacements) {
      const found = strings[template] || template;
      return found.replace(/{([^}]+)}/g, (_, k) => (replacements || {})[k] ?? "{" + k + "}");
    }
    return { translate: ["value", translate] };
  }

  async function translations() {
    if (!cfg.locale.startsWith("zh")) return {};
    const response = await fetch(cfg.translations);
    return response.ok ? response.json() : {};
  }

  async function makeModeler() {
    if (cfg.type === "dmn") {
      return new window.DmnJS({ container: box, common: { additionalModules: [translateModule(await translations())] } });
    }
    // The SpiffWorkflow extension elements (forms, time limits, scripts, decisions) are known to the
    // modeler through a moddle descriptor, so they survive import and export and the panel edits them.
    const spiffworkflow = await (await fetch(cfg.moddle)).json();
    return new window.BpmnJS({
      container: box,
      // The name (general) and the Daiban settings are what an analyst edits most: open them.
      propertiesPanel: { parent: "#properties", layout: { groups: { general: { open: true }, daiban: { open: true } } } },
      moddleExtensions: { spiffworkflow },
      daiban: {
        choices: JSON.parse(document.getElementById("panel-choices").textContent),
        text: JSON.parse(document.getElementById("panel-text").textContent),
        locale: cfg.locale,
      },
      additionalModules: [...window.DaibanPropertiesPanel.modules, translateModule(await translations())],
    });
  }

  async function openXml(modeler, xml) {
    const { warnings } = await modeler.importXML(xml);
    if (cfg.type === "dmn") {
      const table = modeler.getViews().find((v) => v.type === "decisionTable");
      if (table) await modeler.open(table);
    } else {
      // Fit the diagram, leaving room on the left for the palette that floats over the canvas.
      const canvas = modeler.get("canvas");
      const inner = canvas.viewbox().inner;
      const pad = Math.max(inner.width * 0.15, 120);
      canvas.viewbox({ x: inner.x - pad, y: inner.y - 20, width: inner.width + pad + 20, height: inner.height + 40 });
    }
    clearMarks(modeler);
    // Anything the modeler could not read would silently vanish on saving: say so.
    for (const warning of warnings || []) {
      const line = document.createElement("li");
      line.textContent = text.lost + " " + String(warning.message).split("\n")[0];
      problems.appendChild(line);
    }
  }

  function clearMarks(modeler) {
    problems.innerHTML = "";
    if (cfg.type === "bpmn") {
      const canvas = modeler.get("canvas");
      marked.forEach((id) => { try { canvas.removeMarker(id, "invalid"); } catch (e) { /* gone */ } });
      modeler.get("overlays").remove({ type: "validation" });
    } else {
      box.querySelectorAll(".invalid").forEach((el) => el.classList.remove("invalid"));
    }
    marked = [];
  }

  // Errors are keyed by element id: a red marker and a note on the diagram element (or table cell).
  function markErrors(modeler, errors) {
    clearMarks(modeler);
    for (const err of errors) {
      const line = document.createElement("li");
      line.textContent = (err.element ? err.element + ": " : "") + err.message + (err.detail ? " (" + err.detail + ")" : "");
      problems.appendChild(line);
      if (!err.element) continue;
      if (cfg.type === "dmn") {
        box.querySelectorAll('[data-element-id="' + CSS.escape(err.element) + '"]').forEach((el) => el.classList.add("invalid"));
        continue;
      }
      try {
        modeler.get("canvas").addMarker(err.element, "invalid");
        modeler.get("overlays").add(err.element, "validation", {
          position: { top: -14, left: 0 },
          html: '<div class="validation-note" title="' + line.textContent.replace(/"/g, "&quot;") + '">!</div>',
        });
        marked.push(err.element);
      } catch (e) { /* element is not drawn (e.g. a condition inside a flow) */ }
    }
  }

  async function call(url, body, type) {
    const response = await fetch(url, {
      method: "POST", credentials: "same-origin", body,
      headers: { "Content-Type": type || "application/xml", "X-CSRFToken": cfg.csrf },
    });
    return { status: response.status, json: await response.json().catch(() => ({})) };
  }

  async function currentXml(modeler) {
    return (await modeler.saveXML({ format: true })).xml;
  }

  makeModeler().then(async (modeler) => {
    const response = await fetch(cfg.src, { credentials: "same-origin" });
    await openXml(modeler, await response.text());
    window.daibanModeler = modeler; // for the browser test and the console
    box.dataset.ready = "1";

    document.getElementById("validate").addEventListener("click", async () => {
      const result = await call(cfg.validate, await currentXml(modeler));
      if (result.status === 200) { clearMarks(modeler); say(text.valid, "success"); }
      else { markErrors(modeler, result.json.errors || []); say(text.invalid, "error"); }
    });

    document.getElementById("save").addEventListener("click", async () => {
      const result = await call(cfg.save, await currentXml(modeler));
      if (result.status === 201) {
        clearMarks(modeler);
        saved = result.json;
        deployButton.disabled = false;
        const blocking = saved.deploy_problems || [];
        if (blocking.length) {
          // Saved, and can be test-run; what deploying it would refuse is marked like any problem.
          markErrors(modeler, blocking);
          say(fill(text.savedProblems, { version: saved.version }), "error");
        } else say(fill(text.saved, { version: saved.version }), "success");
      } else if (result.status === 422) {
        markErrors(modeler, result.json.errors || []);
        say(text.invalid, "error");
      } else { say(result.json.detail || text.failed, "error"); }
    });

    deployButton.addEventListener("click", async () => {
      const target = saved || { key: cfg.key, version: cfg.version };
      const url = cfg.deploy.replace("/KEY/", "/" + encodeURIComponent(target.key) + "/").replace("/0/", "/" + target.version + "/");
      const result = await call(url, "{}", "application/json");
      if (result.status === 200) say(fill(text.deployed, { version: result.json.version }), "success");
      else say(result.json.detail || text.failed, "error");
    });

    document.getElementById("import").addEventListener("change", async (event) => {
      const file = event.target.files[0];
      if (file) await openXml(modeler, await file.text()).catch((err) => say(String(err), "error"));
    });

    document.getElementById("export").addEventListener("click", async () => {
      const blob = new Blob([await currentXml(modeler)], { type: "application/xml" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = cfg.key + "." + cfg.type;
      link.click();
      URL.revokeObjectURL(link.href);
    });
  }).catch((err) => say(String(err), "error"));
})();
