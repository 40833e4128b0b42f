// deskops offline console: polls the server for the page's regions and sends what the person does.
// No framework, no build step. Regions are HTML the server rendered (and escaped); this script only
// swaps them in when their key changes, and reads data-* attributes to know what was acted on.
"use strict";

(function () {
  const prefix = document.body.dataset.prefix;
  // Poll twice a second; right after the person acted, ten times a second for a few seconds
  // (the app answers asynchronously: modals open and cards change shortly after the click).
  const POLL_MS = 500;
  const FAST_POLL_MS = 100;
  const FAST_FOR_MS = 3000;
  let fastUntil = 0;
  let lastPoll = 0;
  const el = (id) => document.getElementById(id);
  const regionNodes = {
    nav: el("nav"),
    main: el("main-region"),
    modal: el("modal-region"),
    problems: el("problems-region"),
  };
  const keys = {};
  let version = "";
  let user = "";
  let place = "";
  let polling = null;
  let inFlight = false;
  let homeOpenedFor = "";

  // --- where we are and who we are ---------------------------------------------------------

  function readPlace() {
    const hash = decodeURIComponent(location.hash.replace(/^#/, ""));
    return hash || "channel:C0HELPDSK";
  }

  function chooseUser() {
    const select = el("acting-user");
    const asked = new URLSearchParams(location.search).get("as") || localStorage.getItem("deskops.as");
    if (asked && [...select.options].some((o) => o.value === asked)) select.value = asked;
    user = select.value;
  }

  // --- talking to the server ---------------------------------------------------------------

  async function post(path, body) {
    const response = await fetch(`${prefix}/api/${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ user, ...body }),
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = { ok: false, error: `HTTP ${response.status}` }; }
    note(answer.ok ? answer.notice || "" : answer.error || "something went wrong", !answer.ok || !!answer.notice);
    fastUntil = Date.now() + FAST_FOR_MS;
    refresh();
    return answer;
  }

  function note(text, isProblem) {
    const box = el("composer-note");
    box.textContent = text;
    box.classList.toggle("is-problem", !!isProblem && !!text);
  }

  async function refresh() {
    if (inFlight) { refresh.again = true; return; }
    inFlight = true;
    lastPoll = Date.now();
    try {
      const query = new URLSearchParams({ user, place, v: version });
      const response = await fetch(`${prefix}/api/state?${query}`, { cache: "no-store" });
      if (response.ok) apply(await response.json());
    } catch (e) {
      note("The console server does not answer. Is `deskops serve` still running?", true);
    } finally {
      inFlight = false;
      if (refresh.again) { refresh.again = false; refresh(); }
    }
  }

  function apply(state) {
    version = state.version;
    if (!state.regions) return;
    for (const [name, region] of Object.entries(state.regions)) {
      if (keys[name] === region.key) continue;
      keys[name] = region.key;
      if (name === "modal") swapModal(region.html);
      else if (name === "main") swapMain(region.html);
      else regionNodes[name].innerHTML = region.html;
      if (name === "nav") updatePlaceholder();
    }
    document.body.classList.toggle("has-modal", !!regionNodes.modal.firstElementChild);
    el("composer").hidden = !place.startsWith("channel:");
  }

  function swapMain(html) {
    const list = regionNodes.main.querySelector(".timeline");
    const atBottom = !list || list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    regionNodes.main.innerHTML = html;
    const fresh = regionNodes.main.querySelector(".timeline");
    if (fresh && atBottom) fresh.scrollTop = fresh.scrollHeight;
  }

  // A modal is redrawn when the app updates it; keep what the person typed and not yet sent.
  function swapModal(html) {
    const old = regionNodes.modal.querySelector(".modal");
    const oldId = old ? old.dataset.view : null;
    const typed = {};
    const focusedId = document.activeElement ? document.activeElement.id : "";
    if (old) {
      for (const field of old.querySelectorAll("input.bk-field, textarea.bk-field")) {
        if (field.value !== field.defaultValue) typed[fieldKey(field)] = [field.value, field.dataset.value];
      }
    }
    regionNodes.modal.innerHTML = html;
    const modal = regionNodes.modal.querySelector(".modal");
    if (!modal) {
      if (old && !place.startsWith("channel:")) el("main").focus();
      else if (old) input.focus();
      return;
    }
    if (modal.dataset.view === oldId) {
      for (const field of modal.querySelectorAll("input.bk-field, textarea.bk-field")) {
        if (!(fieldKey(field) in typed)) continue;
        field.value = typed[fieldKey(field)][0];
        if (field.dataset.type === "external_select") field.dataset.value = typed[fieldKey(field)][1] || "";
      }
    }
    const again = focusedId && document.getElementById(focusedId);
    const target = again && modal.contains(again) ? again
      : modal.querySelector(".has-error .bk-field, .has-error input") || modal.querySelector(".modal-body .bk-field, .modal-body input, .modal-body button");
    if (target) target.focus({ preventScroll: modal.dataset.view === oldId });
  }

  function fieldKey(field) {
    return `${field.dataset.blockId}\u0000${field.dataset.actionId}`;
  }

  // --- reading a surface -------------------------------------------------------------------

  function surfaceOf(node) {
    const surface = node.closest("[data-surface]");
    if (!surface) return null;
    const ref = { surface: surface.dataset.surface };
    if (surface.dataset.channel) ref.channel = surface.dataset.channel;
    if (surface.dataset.ts) ref.ts = surface.dataset.ts;
    if (surface.dataset.ephemeral) ref.ephemeral = surface.dataset.ephemeral;
    if (surface.dataset.view) ref.view = surface.dataset.view;
    return { node: surface, ref };
  }

  function chosenOf(control) {
    const type = control.dataset.type;
    if (control.type === "checkbox" || control.type === "radio") {
      const group = control.closest(".bk-choices");
      const picked = [...group.querySelectorAll("input:checked")].map((i) => i.value);
      return type === "checkboxes" ? picked : picked[0] || null;
    }
    if (control.multiple) return [...control.selectedOptions].map((o) => o.value);
    if (type === "external_select") return control.dataset.value || null;
    return control.value;
  }

  // Values of the input blocks of a modal, by block_id and action_id, as Slack's state.values.
  function valuesOf(surfaceNode) {
    const values = {};
    for (const block of surfaceNode.querySelectorAll("[data-input-block]")) {
      const control = block.querySelector("[data-action-id]");
      if (!control || control.dataset.type === "file_input") continue;  // uploaded when picked
      const blockId = block.dataset.inputBlock;
      values[blockId] = { [control.dataset.actionId]: chosenOf(control) };
    }
    return values;
  }

  // --- what the person does ----------------------------------------------------------------

  function act(control, extra) {
    const found = surfaceOf(control);
    if (!found) return;
    const body = { ...found.ref, block_id: control.dataset.blockId, action_id: control.dataset.actionId, ...extra };
    if (found.ref.surface === "view") body.values = valuesOf(found.node);
    return post("act", body);
  }

  function confirmThen(button, go) {
    const confirm = button.nextElementSibling && button.nextElementSibling.classList.contains("bk-confirm")
      ? button.nextElementSibling : null;
    if (!confirm) return go();
    const layer = el("confirm-layer");
    el("confirm-title").textContent = confirm.querySelector(".bk-confirm-title").textContent;
    const text = el("confirm-text");
    text.replaceChildren(...[...confirm.querySelector(".bk-confirm-text").childNodes].map((n) => n.cloneNode(true)));
    const yes = el("confirm-yes");
    yes.textContent = confirm.querySelector(".bk-confirm-yes").textContent;
    yes.className = "btn " + (confirm.dataset.style === "danger" ? "btn-danger" : "btn-primary");
    el("confirm-no").textContent = confirm.querySelector(".bk-confirm-no").textContent;
    layer.hidden = false;
    yes.focus();
    const close = (ok) => {
      layer.hidden = true;
      yes.onclick = null;
      el("confirm-no").onclick = null;
      layer.onkeydown = null;
      button.focus();
      if (ok) go();
    };
    yes.onclick = () => close(true);
    el("confirm-no").onclick = () => close(false);
    layer.onkeydown = (event) => { if (event.key === "Escape") close(false); };
  }

  document.addEventListener("click", (event) => {
    const target = event.target;
    const modalButton = target.closest("[data-modal]");
    if (modalButton) {
      const modal = modalButton.closest(".modal");
      const view = modal.dataset.view;
      if (modalButton.dataset.modal === "submit") post("submit", { view, values: valuesOf(modal) });
      else post("close", { view });
      return;
    }
    const dismiss = target.closest("[data-dismiss]");
    if (dismiss) { post("dismiss", { ephemeral: dismiss.dataset.dismiss }); return; }
    const hint = target.closest("[data-suggestion]");
    if (hint) { useSuggestion(hint.dataset.suggestion); return; }
    const button = target.closest("button[data-action-id]");
    if (button) {
      confirmThen(button, () => {
        if (button.dataset.url) window.open(button.dataset.url, "_blank", "noopener");
        act(button, button.dataset.value !== undefined ? { value: button.dataset.value } : {});
      });
    }
  });

  // A file picked in a file input is uploaded at once, as Slack's client does; the view then
  // holds it (its name is listed under the picker).
  function uploadFile(control) {
    const file = control.files && control.files[0];
    const found = surfaceOf(control);
    if (!file || !found) return;
    const reader = new FileReader();
    reader.onload = () => {
      const data = String(reader.result).split(",", 2)[1] || "";
      post("file", {
        view: found.ref.view, block_id: control.dataset.blockId, action_id: control.dataset.actionId,
        name: file.name, data,
      });
    };
    reader.readAsDataURL(file);
  }

  document.addEventListener("change", (event) => {
    if (event.target.dataset && event.target.dataset.type === "file_input") { uploadFile(event.target); return; }
    const control = event.target.closest("[data-action-id]");
    if (!control || !control.dataset.dispatch || control.tagName === "BUTTON") return;
    const value = control.dataset.type === "overflow" ? control.value : chosenOf(control);
    if (control.dataset.type === "overflow" && !value) return;
    act(control, { chosen: value });
  });

  document.addEventListener("submit", (event) => {
    const modal = event.target.closest(".modal");
    if (!modal) return;
    event.preventDefault();
    post("submit", { view: modal.dataset.view, values: valuesOf(modal) });
  });

  // Keep Tab inside the open dialog (a confirmation, else the modal), as a modal dialog should.
  function trapFocus(event) {
    const layer = !el("confirm-layer").hidden ? el("confirm-layer") : regionNodes.modal.querySelector(".modal");
    if (!layer || event.key !== "Tab") return;
    const focusable = [...layer.querySelectorAll("button, input, select, textarea, a[href]")]
      .filter((node) => !node.disabled && !node.hidden && node.tabIndex !== -1 && node.offsetParent !== null);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!layer.contains(document.activeElement)) { event.preventDefault(); first.focus(); }
    else if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
    else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
  }

  document.addEventListener("keydown", (event) => {
    trapFocus(event);
    if (typeAheadKey(event)) return;
    if (event.key === "Escape" && el("confirm-layer").hidden) {
      const modal = regionNodes.modal.querySelector(".modal");
      if (modal) post("close", { view: modal.dataset.view });
    }
    const field = event.target;
    if (event.key === "Enter" && field.matches && field.matches("input[data-dispatch]")) {
      event.preventDefault();
      act(field, { chosen: field.value });
    }
  });

  // --- type-ahead (external_select): typing asks the app for options, as Slack's client does ---

  const TYPE_AHEAD_MS = 250;  // wait for a pause in typing before asking
  let typeAheadTimer = null;
  let typeAheadAsked = 0;

  function listOf(box) { return document.getElementById(box.getAttribute("aria-controls")); }

  function showOptions(box, options) {
    const list = listOf(box);
    list.replaceChildren(...options.map((option, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = `${list.id}-${index}`;
      item.dataset.value = option.value;
      item.textContent = option.label;
      return item;
    }));
    if (!options.length) {
      const none = document.createElement("li");
      none.className = "bk-typeahead-none";
      none.textContent = "No matches";
      list.append(none);
    }
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
  }

  function hideOptions(box) {
    listOf(box).hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  async function askOptions(box) {
    const found = surfaceOf(box);
    const typed = box.value;
    if (!found || typed.length < Number(box.dataset.minQuery || 3)) { hideOptions(box); return; }
    const asked = ++typeAheadAsked;
    const response = await fetch(`${prefix}/api/suggest`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        user, view: found.ref.view, block_id: box.dataset.blockId, action_id: box.dataset.actionId, typed,
      }),
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = { ok: false, error: `HTTP ${response.status}` }; }
    if (asked !== typeAheadAsked || !box.isConnected) return;  // the person typed on meanwhile
    if (!answer.ok) { note(answer.error || "something went wrong", true); hideOptions(box); return; }
    showOptions(box, answer.options || []);
  }

  function pickOption(box, item) {
    box.value = item.textContent;
    box.defaultValue = item.textContent;
    box.dataset.value = item.dataset.value;
    hideOptions(box);
    if (box.dataset.dispatch) act(box, { chosen: item.dataset.value });
  }

  function typeAheadKey(event) {
    const box = event.target;
    if (!box.matches || !box.matches("input[data-type='external_select']")) return false;
    const list = listOf(box);
    const items = [...list.querySelectorAll("li[role='option']")];
    const current = items.findIndex((item) => item.id === box.getAttribute("aria-activedescendant"));
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !list.hidden && items.length) {
      event.preventDefault();
      const next = (current + (event.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      items.forEach((item, index) => item.setAttribute("aria-selected", String(index === next)));
      box.setAttribute("aria-activedescendant", items[next].id);
      return true;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      if (!list.hidden && current >= 0) pickOption(box, items[current]);
      return true;
    }
    if (event.key === "Escape" && !list.hidden) { hideOptions(box); return true; }
    return false;
  }

  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("input[data-type='external_select']")) return;
    box.dataset.value = "";  // what is typed is a search, not a choice, until an option is picked
    clearTimeout(typeAheadTimer);
    typeAheadTimer = setTimeout(() => askOptions(box), TYPE_AHEAD_MS);
  });

  document.addEventListener("mousedown", (event) => {
    const item = event.target.closest && event.target.closest(".bk-typeahead-list li[role='option']");
    if (!item) return;
    event.preventDefault();  // keep the focus in the box
    pickOption(item.closest(".bk-typeahead").querySelector("input"), item);
  });

  // --- the message box ---------------------------------------------------------------------

  const input = el("composer-input");
  const hints = el("command-hints");

  function showHints() {
    const text = input.value;
    let shown = 0;
    for (const item of hints.children) {
      const match = text.startsWith("/") && !text.includes("\n") && item.dataset.suggestion.startsWith(text.split(" ")[0]);
      item.hidden = !match;
      if (match) shown += 1;
    }
    hints.hidden = shown === 0 || text.length === 0;
  }

  function useSuggestion(suggestion) {
    input.value = suggestion.replace(/\s*[\[<].*$/, "") + " ";
    hints.hidden = true;
    input.focus();
  }

  function visibleHints() {
    return [...hints.children].filter((item) => !item.hidden);
  }

  input.addEventListener("input", showHints);
  hints.addEventListener("keydown", (event) => {
    const items = visibleHints();
    const index = items.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const next = index + (event.key === "ArrowDown" ? 1 : -1);
      if (next >= items.length) input.focus();
      else items[Math.max(next, 0)].focus();
    } else if (event.key === "Enter" && index >= 0) {
      event.preventDefault();
      useSuggestion(items[index].dataset.suggestion);
    } else if (event.key === "Escape") {
      hints.hidden = true;
      input.focus();
    }
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowUp" && !hints.hidden && visibleHints().length) {
      event.preventDefault();
      visibleHints().slice(-1)[0].focus();
      return;
    }
    if (event.key === "Escape") hints.hidden = true;
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      el("composer").requestSubmit();
    }
  });

  el("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    const channel = place.slice("channel:".length);
    input.value = "";
    hints.hidden = true;
    const answer = await post("type", { channel, text });
    if (!answer.ok) input.value = text;
  });

  // --- the shortcuts (lightning) menu: the app's global shortcuts -----------------------------

  const shortcutsButton = el("shortcuts-button");
  const shortcutMenu = el("shortcut-menu");
  function showShortcuts(open) {
    shortcutMenu.hidden = !open;
    shortcutsButton.setAttribute("aria-expanded", String(open));
    if (open) { const first = shortcutMenu.querySelector("li[data-shortcut]"); if (first) first.focus(); }
  }
  shortcutsButton.addEventListener("click", () => showShortcuts(shortcutMenu.hidden));
  shortcutMenu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") { showShortcuts(false); shortcutsButton.focus(); }
    if (event.key === "Enter" && event.target.dataset.shortcut) event.target.click();
  });
  shortcutMenu.addEventListener("click", (event) => {
    const item = event.target.closest("li[data-shortcut]");
    if (!item) return;
    showShortcuts(false);
    post("shortcut", { callback_id: item.dataset.shortcut });
  });

  // --- navigation --------------------------------------------------------------------------

  function updatePlaceholder() {
    const link = document.querySelector(`#nav a[href="#${CSS.escape(place)}"]`);
    const name = link && link.dataset.channelName ? `#${link.dataset.channelName}` : "the app";
    input.placeholder = `Message ${name}, or a slash command such as /backup add`;
  }

  function go() {
    place = readPlace();
    version = "";
    for (const name of Object.keys(keys)) delete keys[name];
    updatePlaceholder();
    note("", false);
    if (place === "home" && homeOpenedFor !== user) {
      homeOpenedFor = user;
      post("home", {});
    }
    refresh();
  }

  window.addEventListener("hashchange", () => { homeOpenedFor = ""; go(); });
  el("acting-user").addEventListener("change", (event) => {
    user = event.target.value;
    localStorage.setItem("deskops.as", user);
    const url = new URL(location.href);
    url.searchParams.set("as", user);
    history.replaceState(null, "", url);
    homeOpenedFor = "";
    go();
  });

  chooseUser();
  go();
  polling = setInterval(() => {
    const now = Date.now();
    if (document.hidden || (now > fastUntil && now - lastPoll < POLL_MS)) return;
    refresh();
  }, FAST_POLL_MS);
  window.deskopsConsole = { refresh, get polling() { return polling; } };
})();
