// "添加成员/财产/收入": clone the formset's empty form (a <template>) and bump TOTAL_FORMS.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-add-row]").forEach((button) => {
    button.addEventListener("click", () => {
      const prefix = button.dataset.addRow;
      const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
      const template = document.getElementById(`${prefix}-template`);
      const index = Number(total.value);
      const html = template.innerHTML.replaceAll("__prefix__", String(index));
      document.getElementById(`${prefix}-rows`).insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
    });
  });
});
