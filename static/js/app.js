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
// data-filter-key names the option attribute (default "village"; it may list several values, space-separated);
// options without it always stay; data-filter-empty="all" shows every option while nothing is chosen.
// An <optgroup> left with no option shown is hidden too (the 区纪委's staff grouped by town).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[data-filter-by]").forEach((select) => {
    const parent = select.form && select.form.elements.namedItem(select.dataset.filterBy);
    if (!parent) return;
    const key = select.dataset.filterKey || "village";
    const apply = () => {
      const chosen = parent.value;
      const all = chosen === "" && select.dataset.filterEmpty === "all";
      select.querySelectorAll(`option[data-${key}]`).forEach((option) => {
        const show = all || (chosen !== "" && option.dataset[key].split(" ").includes(chosen));
        option.hidden = !show;
        option.disabled = !show;
        if (!show && option.selected) {
          if (select.multiple) option.selected = false;
          else select.value = "";
        }
      });
      select.querySelectorAll("optgroup").forEach((group) => {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    };
    parent.addEventListener("change", apply);
    apply();
  });
});
