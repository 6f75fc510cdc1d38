// Draws a case's pinned BPMN diagram with bpmn-js, fitted to its box, and marks completed, active and
// overdue elements. Lanes are role codes in the diagram: they are shown by the role's name.
(function () {
  const box = document.getElementById("diagram");
  if (!box || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container: box });
  const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";

  function named(xml, lanes) {
    const doc = new DOMParser().parseFromString(xml, "application/xml");
    for (const lane of Array.from(doc.getElementsByTagNameNS(BPMN, "lane"))) {
      const label = lanes[lane.getAttribute("name")];
      if (label) lane.setAttribute("name", label);
    }
    return new XMLSerializer().serializeToString(doc);
  }

  fetch(box.dataset.src, { credentials: "same-origin" })
    .then((r) => r.json())
    .then(async (body) => {
      await viewer.importXML(named(body.xml, body.lanes || {}));
      const canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport", "auto");
      for (const [id, state] of Object.entries(body.states)) {
        try { canvas.addMarker(id, state); } catch (e) { /* element not drawn */ }
      }
      for (const button of document.querySelectorAll("[data-zoom]")) {
        button.addEventListener("click", () => {
          const how = button.dataset.zoom;
          if (how === "fit") canvas.zoom("fit-viewport", "auto");
          else canvas.zoom(canvas.zoom() * (how === "in" ? 1.25 : 0.8));
        });
      }
      box.dataset.ready = "1";
    })
    .catch((err) => { box.textContent = String(err); });
})();
