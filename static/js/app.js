// Site behaviour. Loaded as a file: the CSP forbids inline script.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm dangerous actions: <button data-confirm="确定要...？">
  document.body.addEventListener("click", (event) => {
    const el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.dataset.confirm)) {
      event.preventDefault();
    }
  });
  // Progress bars whose width comes from data-progress (0–100), also in
  // fragments htmx swaps in (polled progress of imports and exports).
  const sizeBars = (root) => {
    root.querySelectorAll("[data-progress]").forEach((bar) => {
      bar.style.width = `${Math.max(0, Math.min(100, Number(bar.dataset.progress) || 0))}%`;
    });
  };
  sizeBars(document);
  document.body.addEventListener("htmx:afterSettle", (event) => sizeBars(event.detail.elt.parentElement || document));
});
