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
// A select whose options belong to another select's choice (组 of a 村): <select data-filter-by="village">
// with <option data-village="…">. Only the chosen village's options stay; a choice from another village is cleared.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-filter-by]").forEach((select) => {
    const parent = select.form && select.form.elements.namedItem(select.dataset.filterBy);
    if (!parent) return;
    const apply = () => {
      const chosen = parent.value;
      select.querySelectorAll("option[data-village]").forEach((option) => {
        const show = chosen !== "" && option.dataset.village === chosen;
        option.hidden = !show;
        option.disabled = !show;
        if (!show && option.selected) select.value = "";
      });
    };
    parent.addEventListener("change", apply);
    apply();
  });
});
