// Draws a case's pinned BPMN diagram with bpmn-js and marks completed, active and overdue elements.
(function () {
  const box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container: box });
  fetch(box.dataset.src, { credentials: "same-origin" })
    .then((r) => r.json())
    .then(async (body) => {
      await viewer.importXML(body.xml);
      const canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport");
      for (const [id, state] of Object.entries(body.states)) {
        try { canvas.addMarker(id, state); } catch (e) { /* element not drawn */ }
      }
      box.dataset.ready = "1";
    })
    .catch((err) => { box.textContent = String(err); });
})();
