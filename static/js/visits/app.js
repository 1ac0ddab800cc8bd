// The phone's visit app: visit list, offline forms, photos, honest sync status.
// Loaded as a file (the CSP forbids inline script). Personal data lives only in
// VisitStore (encrypted); the page is built with textContent, never innerHTML.
(function () {
  "use strict";
  const Store = window.VisitStore;
  const body = document.body;
  const URLS = {
    sw: body.dataset.sw,
    scope: body.dataset.scope,
    session: body.dataset.session,
    download: body.dataset.download,
    sync: body.dataset.sync,
    login: body.dataset.login,
    logout: body.dataset.logout,
  };
  const CACHE = "kanjia-visits-shell-v2";
  const WIPE_AFTER_MS = 7 * 24 * 3600 * 1000;
  const PHOTO_MAX_SIDE = 1600;
  const $ = (id) => document.getElementById(id);
  let tasks = null;
  let current = null; // the task open in the editor

  // --- Small DOM helpers ------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => c !== null && c !== undefined && node.append(c));
    return node;
  }
  const show = (node, on) => node.classList.toggle("d-none", !on);
  function notice(text, kind) {
    const box = $("notice");
    box.textContent = text || "";
    box.className = `alert alert-${kind || "warning"} py-2 small${text ? "" : " d-none"}`;
  }
  const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  const fmt = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", { hour12: false }) : "");

  // --- Network ----------------------------------------------------------------------------------
  const online = () => navigator.onLine;
  async function session() {
    // {ok, csrf, wipe, login}: never throws on a refused session.
    const meta = await Store.meta();
    const headers = meta.deviceToken ? { "X-Visit-Device": meta.deviceToken } : {};
    const response = await fetch(URLS.session, { headers, credentials: "same-origin", cache: "no-store" });
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, ...data };
  }
  async function enforceWipe(reason) {
    await Store.wipe();
    tasks = null;
    await render();
    notice(`${reason}：本机保存的走访数据已全部清除。`, "danger");
  }
  async function refreshShell() {
    // Keep the app page and its files for offline use (only an authenticated 200 page).
    if (!window.caches) return;
    const cache = await caches.open(CACHE);
    const page = await fetch(URLS.scope, { credentials: "same-origin", cache: "no-store" });
    if (!page.ok || page.redirected) return;
    await cache.put(URLS.scope, page);
    const assets = [
      ...Array.from(document.querySelectorAll("script[src]"), (s) => s.src),
      ...Array.from(document.querySelectorAll("link[rel=stylesheet]"), (l) => l.href),
    ];
    await cache.addAll(assets);
  }
  function needLogin(text) {
    const link = $("relogin");
    link.href = URLS.login;
    show(link, true);
    notice(text || "登录已过期：请重新登录后再同步。未同步的表单已加密保存在本机，不会丢失。");
  }

  // --- Status -----------------------------------------------------------------------------------
  async function renderStatus() {
    const forms = await Store.forms();
    const count = (s) => forms.filter((f) => f.status === s).length;
    const net = $("net");
    net.textContent = online() ? "在线" : "离线";
    net.className = `badge ${online() ? "text-bg-success" : "text-bg-secondary"}`;
    const parts = [`待同步 ${count("pending")} 份`];
    if (count("failed")) parts.push(`同步失败 ${count("failed")} 份`);
    if (count("conflict")) parts.push(`冲突待处理 ${count("conflict")} 份`);
    parts.push(`已同步 ${count("synced")} 份`);
    $("status").textContent = parts.join(" · ");
    $("status").dataset.pending = String(count("pending"));
    $("status").dataset.failed = String(count("failed"));
    $("status").dataset.conflict = String(count("conflict"));
    const meta = await Store.meta();
    $("download-info").textContent = meta.downloadedAt
      ? `任务下载于 ${fmt(meta.downloadedAt)}；超过 7 天未与服务器联系，本机数据将自动清除。`
      : "尚未下载走访任务（须在有信号时下载）。";
  }

  const STATUS_TEXT = {
    pending: ["已保存，待同步", "text-bg-warning"],
    failed: ["同步失败", "text-bg-danger"],
    conflict: ["冲突待处理", "text-bg-danger"],
    synced: ["已同步（服务器已保存）", "text-bg-success"],
  };

  async function render() {
    await renderStatus();
    const list = $("list");
    list.replaceChildren();
    show($("editor"), false);
    show($("conflict"), false);
    show(list, true);
    if (!tasks) tasks = await Store.tasks();
    const forms = Object.fromEntries((await Store.forms()).map((f) => [f.id, f]));
    const items = tasks ? [...tasks.investigations, ...tasks.spot_checks] : [];
    const keys = new Set(items.map((t) => t.key));
    // Forms whose task is no longer in the list are shown too: nothing unsynced is hidden.
    for (const form of Object.values(forms)) {
      if (!keys.has(form.id) && Store.UNSYNCED.includes(form.status)) {
        const full = await Store.form(form.id);
        items.push({ key: form.id, kind: full.kind, orphan: true, household: full.household, label: full.label });
      }
    }
    if (!items.length) {
      list.append(el("p", { class: "text-muted", text: tasks ? "没有待走访的户。" : "请在有信号时点“下载走访任务”。" }));
      return;
    }
    for (const task of items) {
      const form = forms[task.key];
      const h = task.household || {};
      const [text, css] = form ? STATUS_TEXT[form.status] : ["未填写", "text-bg-light"];
      const card = el(
        "div",
        { class: "task", "data-task": task.key },
        el("div", { class: "d-flex justify-content-between gap-2" },
          el("h2", { text: `${task.kind} · ${h.head_name || task.label || ""}户` }),
          el("span", { class: `badge ${css}`, "data-testid": "form-status", text })),
        el("div", { class: "meta", text: [h.village, h.group, h.address].filter(Boolean).join(" ") }),
      );
      if (form && form.status === "failed") {
        const full = await Store.form(task.key);
        card.append(el("div", { class: "field-error", "data-testid": "failure", text: reasonText(full) }));
      }
      if (form && form.status === "conflict") {
        const full = await Store.form(task.key);
        card.append(el("div", { class: "field-error", "data-testid": "conflict-reason", text: full.reason || "" }));
        card.append(el("button", { class: "btn btn-sm btn-outline-danger mt-1", type: "button", text: "查看差异并处理", onclick: () => openConflict(task.key) }));
      } else if (!task.orphan) {
        card.append(el("button", { class: "btn btn-sm btn-outline-primary mt-1", type: "button", text: form && form.status !== "synced" ? "继续填写" : "填写", onclick: () => openEditor(task) }));
      }
      list.append(card);
    }
  }

  function reasonText(form) {
    const lines = [form.reason || "同步失败"];
    Object.entries(form.errors || {}).forEach(([name, messages]) => lines.push(`${label(form.kind, name)}：${messages.join("；")}`));
    return lines.join("\n");
  }

  // --- Forms ------------------------------------------------------------------------------------
  const CHECK_DOCS = [["doc_hukou", "户口簿"], ["doc_id_card", "身份证"], ["doc_dibao_card", "低保证"], ["doc_social_security", "社保卡"], ["doc_archive_bag", "档案袋"]];
  const LABELS = {
    visited_on: "入户调查日期",
    investigators: "调查人员",
    family_present: "在场家庭成员",
    living_conditions: "居住及生活状况",
    recommended_outcome: "调查建议",
    recommended_amount: "建议月保障金(元)",
    heard_on: "核查日期",
    heard_report: "听：汇报情况",
    documents_note: "查：资料核查情况",
    seen_housing: "看：住房情况",
    seen_living: "看：生活水平",
    seen_assets: "看：家庭财产",
    seen_income: "看：收入来源",
    seen_occupation: "看：从事职业",
    neighbours_visited: "访：走访邻居",
    neighbours_said: "访：邻居反映",
    conclusion: "核查结论",
    rectification: "整改要求",
    rectification_due: "整改期限",
    photos: "照片",
    __all__: "表单",
    status: "办理环节",
    team: "负责小组",
    ...Object.fromEntries(CHECK_DOCS),
  };
  function label(kind, name) {
    const item = /^item_(\d)(_note)?$/.exec(name);
    if (item && tasks) {
      const found = tasks.items.find((i) => String(i.kind) === item[1]);
      return `${found ? found.label : `事项${item[1]}`}${item[2] ? "（说明）" : ""}`;
    }
    const flag = /^flag_(\d+)_(disposition|note)$/.exec(name);
    if (flag) return `重点复核标记#${flag[1]}${flag[2] === "note" ? "核实说明" : "处理结论"}`;
    return LABELS[name] || name;
  }

  function field(name, text, input, errors) {
    input.name = name;
    input.id = `f-${name}`;
    const wrap = el("div", { class: "mb-2" }, el("label", { class: "form-label small mb-0", for: input.id, text }), input);
    (errors[name] || []).forEach((m) => wrap.append(el("div", { class: "field-error", text: m })));
    return wrap;
  }
  const textInput = (value, attrs) => el("input", { class: "form-control form-control-sm", type: "text", value: value || "", ...attrs });
  const dateInput = (value) => el("input", { class: "form-control form-control-sm", type: "date", value: value || "" });
  const area = (value) => {
    const node = el("textarea", { class: "form-control form-control-sm", rows: "3" });
    node.value = value || "";
    return node;
  };
  function select(value, options) {
    const node = el("select", { class: "form-select form-select-sm" }, options.map(([v, t]) => el("option", { value: v, text: t })));
    node.value = value || "";
    return node;
  }

  function serverFields(task, server) {
    // The server's version in the phone form's field names.
    const form = (server && server.form) || null;
    const out = {};
    if (!form) return out;
    if (task.kind === "入户调查") {
      ["visited_on", "family_present", "living_conditions", "recommended_outcome", "recommended_amount"].forEach((n) => (out[n] = form[n] || ""));
      out.investigators = (form.investigators || []).map(String);
      Object.entries(form.items || {}).forEach(([k, v]) => {
        out[`item_${k}`] = v.abnormal ? "1" : "0";
        out[`item_${k}_note`] = v.note || "";
      });
    } else {
      Object.assign(out, form);
    }
    return out;
  }

  async function openEditor(task) {
    current = task;
    const saved = await Store.form(task.key);
    const usable = saved && saved.status !== "synced" ? saved : null;
    const values = usable ? usable.fields : serverFields(task, task.server);
    const errors = (usable && usable.errors) || {};
    const editor = $("editor");
    editor.replaceChildren();
    const h = task.household;
    editor.append(
      el("div", { class: "form-section" },
        el("h3", { text: `${task.kind} · ${h.head_name}户` }),
        el("div", { class: "small", text: [h.village, h.group, h.address].filter(Boolean).join(" ") }),
        el("ul", { class: "small mb-0" }, h.members.map((m) => el("li", { text: `${m.name}（${m.relation}，${m.age}岁）${m.id}` })))),
    );
    if (usable && usable.status === "failed") editor.append(el("div", { class: "alert alert-danger py-1 small", "data-testid": "form-errors", text: reasonText(usable) }));
    const form = el("form", { id: "visit-form", novalidate: true });
    if (task.kind === "入户调查") buildInvestigation(form, task, values, errors);
    else buildCheck(form, task, values, errors);
    // Photos: the phone's camera, resized on the phone, stored encrypted with the form.
    const thumbs = el("div", { class: "photo-thumbs", "data-testid": "photos" });
    const camera = el("input", { type: "file", accept: "image/*", capture: "environment", class: "form-control form-control-sm", "data-testid": "camera" });
    camera.addEventListener("change", async () => {
      for (const file of camera.files) {
        try {
          await Store.addPhoto(task.key, await resize(file));
        } catch (error) {
          notice("照片无法读取，请重新拍摄。", "danger");
        }
      }
      camera.value = "";
      await showThumbs(task.key, thumbs);
    });
    form.append(el("div", { class: "form-section" }, el("h3", { text: "照片" }), camera, thumbs));
    form.append(
      el("div", { class: "d-flex gap-2 mb-4" },
        el("button", { type: "submit", class: "btn btn-primary", "data-testid": "save", text: "保存（无信号也可保存）" }),
        el("button", { type: "button", class: "btn btn-outline-secondary", text: "返回列表", onclick: () => render() })),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      await saveForm(task, form);
    });
    editor.append(form);
    show($("list"), false);
    show(editor, true);
    await showThumbs(task.key, thumbs);
    window.scrollTo(0, 0);
  }

  async function showThumbs(formId, box) {
    box.replaceChildren();
    for (const photo of await Store.photos(formId)) {
      const url = await new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result);
        reader.readAsDataURL(photo.blob);
      });
      box.append(el("img", { src: url, alt: "照片" }), el("button", { type: "button", class: "btn btn-sm btn-link", text: "删除", onclick: async () => { await Store.deletePhoto(photo.id); await showThumbs(formId, box); } }));
    }
  }

  async function resize(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    const scale = Math.min(1, PHOTO_MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("toBlob"))), "image/jpeg", 0.8));
  }

  function buildInvestigation(form, task, v, errors) {
    const basics = el("div", { class: "form-section" }, el("h3", { text: "入户调查" }));
    basics.append(field("visited_on", "入户调查日期", dateInput(v.visited_on || today()), errors));
    const chosen = new Set((v.investigators || [String(tasks.user.id)]).map(String));
    const people = el("div", {}, task.investigators.map((p) => el("label", { class: "me-3" }, el("input", { type: "checkbox", name: "investigators", value: String(p.id), checked: chosen.has(String(p.id)) }), ` ${p.name}`)));
    basics.append(el("div", { class: "mb-2" }, el("div", { class: "form-label small mb-0", text: "调查人员（至少两人）" }), people, ...(errors.investigators || []).map((m) => el("div", { class: "field-error", text: m }))));
    basics.append(field("family_present", "在场家庭成员", textInput(v.family_present, { maxlength: "200" }), errors));
    basics.append(field("living_conditions", "居住及生活状况", area(v.living_conditions), errors));
    form.append(basics);
    const items = el("div", { class: "form-section" }, el("h3", { text: "九类重点复核事项" }));
    tasks.items.forEach((item) => {
      const name = `item_${item.kind}`;
      const value = v[name] || "0";
      const row = el("div", { class: "mb-2", "data-item": String(item.kind) }, el("div", { class: "small", text: item.label }),
        el("label", { class: "me-3" }, el("input", { type: "radio", name, value: "0", checked: value === "0" }), " 无异常"),
        el("label", {}, el("input", { type: "radio", name, value: "1", checked: value === "1" }), " 有异常"),
        textInput(v[`${name}_note`], { name: `${name}_note`, placeholder: "情况说明（有异常必填）", maxlength: "300" }));
      [...(errors[name] || []), ...(errors[`${name}_note`] || [])].forEach((m) => row.append(el("div", { class: "field-error", text: m })));
      items.append(row);
    });
    form.append(items);
    const pending = task.flags.filter((f) => f.disposition === "待核实");
    if (pending.length) {
      const flags = el("div", { class: "form-section" }, el("h3", { text: "重点复核标记的处理结论" }));
      pending.forEach((f) => {
        flags.append(el("div", { class: "small fw-bold", text: `${f.label}：${f.reason}` }));
        flags.append(field(`flag_${f.id}_disposition`, "处理结论", select(v[`flag_${f.id}_disposition`], [["", "暂不处理"], ...tasks.dispositions.map((d) => [d, d])]), errors));
        flags.append(field(`flag_${f.id}_note`, "核实说明", textInput(v[`flag_${f.id}_note`]), errors));
      });
      form.append(flags);
    }
    const end = el("div", { class: "form-section" }, el("h3", { text: "调查建议" }));
    end.append(field("recommended_outcome", "调查建议", select(v.recommended_outcome, [["", "请选择"], ...task.outcomes.map((o) => [o, o])]), errors));
    end.append(field("recommended_amount", "建议月保障金(元)", textInput(v.recommended_amount, { inputmode: "decimal" }), errors));
    end.append(el("p", { class: "small text-muted mb-0", "data-testid": "stage-note", text: tasks.note }));
    form.append(end);
  }

  function buildCheck(form, task, v, errors) {
    const a = el("div", { class: "form-section" }, el("h3", { text: `听查看访（${task.selection}）` }));
    a.append(field("heard_on", "核查日期", dateInput(v.heard_on || today()), errors));
    a.append(field("heard_report", "听：汇报情况", area(v.heard_report), errors));
    a.append(el("div", { class: "mb-2" }, CHECK_DOCS.map(([n, t]) => el("label", { class: "me-3" }, el("input", { type: "checkbox", name: n, checked: !!v[n] && v[n] !== "false" }), ` ${t}`))));
    a.append(field("documents_note", "查：资料核查情况", area(v.documents_note), errors));
    ["seen_housing", "seen_living", "seen_assets", "seen_income", "seen_occupation"].forEach((n) => a.append(field(n, LABELS[n], area(v[n]), errors)));
    a.append(field("neighbours_visited", "访：走访邻居", textInput(v.neighbours_visited, { maxlength: "200" }), errors));
    a.append(field("neighbours_said", "访：邻居反映", area(v.neighbours_said), errors));
    a.append(field("conclusion", "核查结论", select(v.conclusion, [["", "请选择"], ["属实", "属实"], ["不属实", "不属实"], ["需整改", "需整改"]]), errors));
    a.append(field("rectification", "整改要求（需整改时）", area(v.rectification), errors));
    a.append(field("rectification_due", "整改期限", dateInput(v.rectification_due), errors));
    form.append(a);
  }

  function collect(form) {
    const fields = {};
    for (const input of form.querySelectorAll("input[name], select[name], textarea[name]")) {
      if (input.type === "file") continue;
      if (input.type === "checkbox") {
        if (input.name === "investigators") {
          fields.investigators = fields.investigators || [];
          if (input.checked) fields.investigators.push(input.value);
        } else fields[input.name] = input.checked;
      } else if (input.type === "radio") {
        if (input.checked) fields[input.name] = input.value;
      } else fields[input.name] = input.value;
    }
    return fields;
  }

  async function saveForm(task, form) {
    const existing = await Store.form(task.key);
    const keep = existing && existing.status !== "synced" ? existing : {};
    const content = {
      kind: task.kind,
      target: task.kind === "入户调查" ? task.case : task.check,
      household: task.household,
      label: task.household.head_name,
      // What the form is based on: kept from the first save, so a conflict is found.
      token: keep.token || task.token,
      base: keep.base || { status: task.server.status || "", team: task.server.team || "" },
      client_id: keep.client_id || crypto.randomUUID(),
      fields: collect(form),
    };
    await Store.saveForm(task.key, "pending", content, new Date().toISOString());
    notice("已加密保存在本机，待同步。有信号时点“同步”。", "success");
    await render();
  }

  // --- Conflicts --------------------------------------------------------------------------------
  function display(task, name, value) {
    if (name === "investigators") {
      const names = Object.fromEntries((task.investigators || []).map((p) => [String(p.id), p.name]));
      return (value || []).map((id) => names[String(id)] || `#${id}`).join("、");
    }
    if (/^item_\d$/.test(name)) return value === "1" ? "有异常" : value === "0" ? "无异常" : "";
    if (value === true) return "是";
    if (value === false) return "否";
    return value === undefined || value === null ? "" : String(value);
  }

  async function openConflict(key) {
    const form = await Store.form(key);
    const task = (tasks && [...tasks.investigations, ...tasks.spot_checks].find((t) => t.key === key)) || { kind: form.kind, investigators: [], household: form.household };
    const server = form.server || {};
    const theirs = serverFields({ kind: form.kind }, server);
    Object.entries(server.flags || {}).forEach(([id, f]) => {
      theirs[`flag_${id}_disposition`] = f.disposition;
      theirs[`flag_${id}_note`] = f.note;
    });
    const mine = form.fields;
    const names = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])];
    const rows = [];
    if (server.status && form.base && server.status !== form.base.status) rows.push(["status", form.base.status, server.status]);
    if (server.team !== undefined && form.base && server.team !== form.base.team) rows.push(["team", form.base.team, server.team]);
    names.forEach((n) => {
      const a = display(task, n, mine[n]);
      const b = display(task, n, theirs[n]);
      if (a !== b) rows.push([n, a, b]);
    });
    const box = $("conflict");
    box.replaceChildren(
      el("div", { class: "form-section" },
        el("h3", { text: `冲突：${form.kind} · ${form.label}户` }),
        el("p", { class: "small", "data-testid": "conflict-text", text: form.reason || "" }),
        el("table", { class: "table table-sm diff", "data-testid": "diff" },
          el("thead", {}, el("tr", {}, el("th", { text: "项目" }), el("th", { text: "手机上的记录" }), el("th", { text: "服务器上的记录" }))),
          el("tbody", {}, rows.map(([n, a, b]) => el("tr", { class: "changed" }, el("td", { text: label(form.kind, n) }), el("td", { text: a }), el("td", { text: b }))))),
        el("p", { class: "small text-muted", text: "两边的记录都保留着：手机上的记录在您处理前一直加密保存在本机；服务器也保存了一份手机提交的副本（走访同步记录）。" }),
        server.can_overwrite
          ? el("button", { type: "button", class: "btn btn-sm btn-warning me-2", "data-testid": "overwrite", text: "以手机记录为准，下次同步时覆盖", onclick: () => resolveConflict(key, "overwrite") })
          : el("p", { class: "small fw-bold", text: "本案已不能再保存这份表单，请把手机上的记录告知镇民政办。" }),
        el("button", { type: "button", class: "btn btn-sm btn-outline-danger me-2", "data-testid": "discard", text: "放弃手机上的记录", onclick: () => resolveConflict(key, "discard") }),
        el("button", { type: "button", class: "btn btn-sm btn-outline-secondary", text: "返回列表", onclick: () => render() })),
    );
    show($("list"), false);
    show(box, true);
  }

  async function resolveConflict(key, how) {
    const form = await Store.form(key);
    if (how === "discard") {
      if (!window.confirm("确定放弃手机上的这份记录吗？服务器保留的副本不受影响。")) return;
      await Store.discardForm(key);
    } else {
      const { id, status, savedAt, syncedAt, ...content } = form;
      content.token = form.serverToken;
      content.reason = "";
      await Store.saveForm(key, "pending", content, form.savedAt);
    }
    await render();
  }

  // --- Download, sync, logout -------------------------------------------------------------------
  async function download() {
    if (!online()) return notice("没有信号：请到有信号的地方再下载走访任务。");
    const s = await session();
    if (s.wipe) return enforceWipe(s.wipe);
    if (!s.ok) return needLogin();
    const meta = await Store.meta();
    const deviceId = meta.deviceId || crypto.randomUUID();
    const response = await fetch(URLS.download, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": s.csrf },
      body: new URLSearchParams({ device: deviceId }),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) return notice(data.reason || "下载失败，请稍后重试。", "danger");
    const { device_token: deviceToken, ...list } = data;
    await Store.saveTasks(list);
    tasks = list;
    const now = new Date().toISOString();
    await Store.setMeta({ deviceId, deviceToken, downloadedAt: now, lastContact: now, userId: list.user.id });
    await refreshShell().catch(() => null);
    notice(`已下载：入户调查 ${list.investigations.length} 户，抽查 ${list.spot_checks.length} 户。`, "success");
    await render();
  }

  async function sync() {
    if (!online()) return notice("没有信号：表单已加密保存在本机，有信号时再同步。");
    const s = await session();
    if (s.wipe) return enforceWipe(s.wipe);
    if (!s.ok) return needLogin();
    show($("relogin"), false);
    const meta = await Store.meta();
    const pending = (await Store.forms()).filter((f) => f.status === "pending");
    const tally = { applied: 0, failed: 0, conflict: 0 };
    for (const row of pending) {
      const form = await Store.form(row.id);
      const body = new FormData();
      body.append("form", JSON.stringify({ kind: form.kind, target: form.target, client_id: form.client_id, token: form.token, base: form.base, saved_at: form.savedAt, fields: form.fields }));
      (await Store.photos(row.id)).forEach((p, i) => body.append("photos", p.blob, `photo-${i + 1}.jpg`));
      let response;
      try {
        response = await fetch(URLS.sync, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": s.csrf, "X-Visit-Device": meta.deviceToken || "" }, body });
      } catch (error) {
        notice("同步中断（信号不好）：未同步的表单仍保存在本机，稍后再试。");
        break;
      }
      const json = (response.headers.get("Content-Type") || "").includes("json");
      const data = json ? await response.json() : {};
      if (response.status === 401) {
        needLogin();
        break;
      }
      if (!json) {
        needLogin("安全令牌已失效或登录已过期：请重新登录后再同步（表单不会丢失）。");
        break;
      }
      const { id, status, savedAt, syncedAt, ...content } = form;
      if (response.ok && data.applied) {
        await Store.markSynced(row.id);
        tally.applied += 1;
      } else if (response.ok && data.result === "冲突") {
        await Store.saveForm(row.id, "conflict", { ...content, reason: data.reason, server: data.server, serverToken: data.token }, form.savedAt);
        tally.conflict += 1;
      } else {
        await Store.saveForm(row.id, "failed", { ...content, reason: data.reason || "同步失败", errors: data.errors || {} }, form.savedAt);
        tally.failed += 1;
      }
    }
    if (tally.applied || tally.failed || tally.conflict || !pending.length) {
      await Store.setMeta({ lastContact: new Date().toISOString() });
      notice(`同步完成：服务器已保存 ${tally.applied} 份；失败 ${tally.failed} 份；冲突 ${tally.conflict} 份。`, tally.failed || tally.conflict ? "warning" : "success");
    }
    await render();
  }

  async function logout() {
    const unsynced = await Store.unsyncedCount();
    if (unsynced && !window.confirm(`还有 ${unsynced} 份表单未同步：它们会加密保留在本机，重新登录后同步。确定退出吗？`)) return;
    // The session (and its CSRF token) first: reading it opens the store, which must be gone after.
    const s = online() ? await session().catch(() => ({})) : {};
    if (unsynced === 0) await Store.wipe();
    if (online()) {
      if (s.ok) {
        const f = el("form", { method: "post", action: URLS.logout }, el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: s.csrf }));
        document.body.append(f);
        f.submit();
        return;
      }
    }
    tasks = null;
    await render();
    notice(unsynced ? "已退出：未同步的表单加密保留在本机。" : "已退出，本机走访数据已清除。", "info");
  }

  // --- Start ------------------------------------------------------------------------------------
  async function start() {
    $("download").addEventListener("click", () => download().catch(failed));
    $("sync").addEventListener("click", () => sync().catch(failed));
    $("logout").addEventListener("click", () => logout().catch(failed));
    window.addEventListener("online", () => renderStatus());
    window.addEventListener("offline", () => renderStatus());
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register(URLS.sw, { scope: URLS.scope }).catch(() => null);
    }
    const meta = await Store.meta();
    if (meta.lastContact && Date.now() - new Date(meta.lastContact).getTime() > WIPE_AFTER_MS) {
      await enforceWipe("超过 7 天未与服务器联系");
      return;
    }
    await render();
    if (online()) {
      const s = await session().catch(() => null);
      if (s && s.wipe) return enforceWipe(s.wipe);
      if (s && !s.ok) return needLogin(await Store.unsyncedCount() ? undefined : "登录已过期，请重新登录。");
      if (s && s.ok) {
        if (meta.userId && meta.userId !== s.user && (await Store.unsyncedCount()) === 0) {
          await Store.wipe(); // another person's data on this phone, nothing unsynced
          tasks = null;
          await render();
        }
        await refreshShell().catch(() => null);
      }
    }
    document.body.dataset.ready = "1";
  }
  function failed(error) {
    notice(`出错了：${error && error.message ? error.message : error}`, "danger");
  }
  start().catch(failed).finally(() => (document.body.dataset.ready = "1"));
})();
