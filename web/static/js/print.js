// Print buttons on the A4 sheets (no inline handlers: the CSP allows our own script files only).
document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
document.querySelectorAll("[data-back]").forEach((link) => link.addEventListener("click", (event) => {
  event.preventDefault();
  history.back();
}));
